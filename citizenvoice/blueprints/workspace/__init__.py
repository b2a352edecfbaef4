"""The departments' workspace: inbox, case page, exports; workflow actions come with issue 5."""

from citizenvoice.blueprints.workspace.views import workspace_blueprint

__all__ = ["workspace_blueprint"]
