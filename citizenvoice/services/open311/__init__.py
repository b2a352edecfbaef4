"""Open311 GeoReport v2: API keys, the service catalogue, and requests as Open311 shows them."""
