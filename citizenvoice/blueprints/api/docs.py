"""``/api/docs``: the OpenAPI document rendered by a locally served Swagger UI (no CDN)."""

from __future__ import annotations

from flask import Blueprint, render_template

__all__ = ["api_docs_blueprint"]

api_docs_blueprint = Blueprint("api_docs", __name__)


@api_docs_blueprint.get("/api/docs")
def page() -> str:
    """The interactive API reference (Swagger UI reads ``/api/v1/openapi.json``)."""
    return render_template("api/docs.html")
