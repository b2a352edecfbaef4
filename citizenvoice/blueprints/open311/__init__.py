"""Open311 GeoReport v2 under /open311: discovery, services, requests, tokens."""

from citizenvoice.blueprints.open311.views import open311_blueprint

__all__ = ["open311_blueprint"]
