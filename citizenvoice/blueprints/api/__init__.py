"""JSON API v1 (contract in README): departments, feedback, periods; its OpenAPI document."""

from citizenvoice.blueprints.api import media as _media  # noqa: F401  (registers the routes)
from citizenvoice.blueprints.api import openapi as _openapi  # noqa: F401  (registers the route)
from citizenvoice.blueprints.api.docs import api_docs_blueprint
from citizenvoice.blueprints.api.views import api_blueprint

__all__ = ["api_blueprint", "api_docs_blueprint"]
