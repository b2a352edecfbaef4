"""A department's 社会评价 results and comments (never who answered).

Registered on the workspace blueprint (imported at the bottom of the package's ``__init__``).
"""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from citizenvoice.blueprints.auth import role_required
from citizenvoice.blueprints.workspace.views import STAFF_ROLES, workspace_blueprint
from citizenvoice.domain.survey import Rating
from citizenvoice.services.survey_comments import department_comment_groups
from citizenvoice.services.survey_results import department_view

__all__: list[str] = []  # routes only: they register on workspace_blueprint


@workspace_blueprint.get("/survey")
@role_required(*STAFF_ROLES)
def survey_results() -> str:
    """The user's department in the latest campaigns: per group n and score, comments, groups."""
    department_id = current_user.department_id
    views = department_view(department_id) if department_id else []
    for view in views:  # only the user's own department's comment groups
        view["groups"] = department_comment_groups(view["campaign"].id, department_id)
    return render_template(
        "workspace/survey.html",
        views=views,
        has_department=bool(department_id),
        labels={r.value: r.label for r in Rating},
    )
