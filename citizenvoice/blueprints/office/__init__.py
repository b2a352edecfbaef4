"""The performance office's pages (queue monitor, routing; appraisal comes with issue 6)."""

from citizenvoice.blueprints.office.views import office_blueprint

__all__ = ["office_blueprint"]
