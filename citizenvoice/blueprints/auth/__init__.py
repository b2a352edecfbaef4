"""Staff sign-in and sign-out, and the role checks every staff page uses."""

from citizenvoice.blueprints.auth import password as _password  # noqa: F401 (registers routes)
from citizenvoice.blueprints.auth.views import auth_blueprint, role_required

__all__ = ["auth_blueprint", "role_required"]
