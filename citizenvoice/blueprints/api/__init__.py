"""JSON API v1 (contract in README): departments, feedback submission and lookup."""

from citizenvoice.blueprints.api.views import api_blueprint

__all__ = ["api_blueprint"]
