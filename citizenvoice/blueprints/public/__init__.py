"""The residents' site: file feedback, get a tracking code, follow the case (mobile first)."""

from citizenvoice.blueprints.public.views import public_blueprint

__all__ = ["public_blueprint"]
