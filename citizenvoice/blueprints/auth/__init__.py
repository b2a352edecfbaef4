"""Staff sign-in and sign-out, the role checks every staff page uses, and account pages."""

from citizenvoice.blueprints.auth import account as _account  # noqa: F401  (registers routes)
from citizenvoice.blueprints.auth.views import auth_blueprint, role_required

__all__ = ["auth_blueprint", "role_required"]
