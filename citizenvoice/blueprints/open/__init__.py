"""The public accountability portal under /open/ (no login) and its open-data files."""

from citizenvoice.blueprints.open import photos as _photos  # noqa: F401  (registers the route)
from citizenvoice.blueprints.open.views import open_blueprint

__all__ = ["open_blueprint"]
