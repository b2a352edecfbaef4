"""The departments' workspace: inbox, case page, exports; workflow actions come with issue 5."""

from citizenvoice.blueprints.workspace.views import workspace_blueprint

__all__ = ["workspace_blueprint"]
from citizenvoice.blueprints.workspace import rectification as _rectification  # noqa: F401  (routes)
from citizenvoice.blueprints.workspace import survey as _survey  # noqa: F401  (routes)
