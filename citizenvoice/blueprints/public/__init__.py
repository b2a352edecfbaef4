"""The residents' site: file feedback, get a tracking code, follow the case (mobile first)."""

from citizenvoice.blueprints.public import photos as _photos  # noqa: F401  (registers the route)
from citizenvoice.blueprints.public.views import public_blueprint

__all__ = ["public_blueprint"]
