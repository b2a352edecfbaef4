"""Office page 模型管理: champion and challengers per kind, shadow runs, promote, roll back.

Registered on the office blueprint (imported at the bottom of the package's ``__init__``).
Every action goes through the registry services (the promotion rule lives there; a forced
promotion stays CLI-only) and is audited there.
"""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from citizenvoice.blueprints.actions import commit_or_flash
from citizenvoice.blueprints.auth import role_required
from citizenvoice.blueprints.office.views import OFFICE_ROLES, ActionForm, office_blueprint
from citizenvoice.domain.model_registry import KINDS
from citizenvoice.domain.shadow import MAX_SHADOW_DAYS
from citizenvoice.extensions import db
from citizenvoice.services.model_registry import RegistryError, list_versions, promote, rollback
from citizenvoice.services.model_shadow import start_shadow, stop_shadow

__all__: list[str] = []  # routes only: they register on office_blueprint

KIND_LABELS = {"category": "诉求分类", "sentiment": "情感分析"}


def _checked() -> None:
    """Refuse a form without a valid CSRF token."""
    if not ActionForm().validate_on_submit():
        abort(400)


def _back() -> str:
    return url_for("office.models_page")


@office_blueprint.get("/models")
@role_required(*OFFICE_ROLES)
def models_page() -> Any:
    """Per kind: the champion, the challengers with their figures and shadow runs, actions."""
    versions = list_versions()
    db.session.rollback()
    kinds = [
        {
            "kind": kind,
            "label": KIND_LABELS[kind],
            "champion": next(
                v for v in versions if v["kind"] == kind and v["status"] == "champion"
            ),
            "challengers": [
                v for v in versions if v["kind"] == kind and v["status"] == "challenger"
            ],
            "shadows": [v for v in versions if v["kind"] == kind and "shadow" in v],
        }
        for kind in KINDS
    ]
    return render_template(
        "office/models.html", kinds=kinds, form=ActionForm(), max_days=MAX_SHADOW_DAYS
    )


@office_blueprint.post("/models/shadow")
@role_required(*OFFICE_ROLES)
def model_shadow_start() -> Response:
    """Start (or replace) the shadow run of a challenger for a number of days; audited."""
    _checked()
    version = (request.form.get("version") or "")[:200]
    try:
        days = int((request.form.get("days") or "")[:6])
    except ValueError:
        days = 0
    return commit_or_flash(
        lambda: start_shadow(version, days, actor=current_user.username),
        refused=RegistryError,
        done="影子运行已开始",
        then=_back(),
    )


@office_blueprint.post("/models/shadow/stop")
@role_required(*OFFICE_ROLES)
def model_shadow_stop() -> Response:
    """End the shadow run of a kind; audited."""
    _checked()
    kind = (request.form.get("kind") or "")[:40]
    return commit_or_flash(
        lambda: stop_shadow(kind, actor=current_user.username),
        refused=RegistryError,
        done="影子运行已停止",
        then=_back(),
    )


@office_blueprint.post("/models/promote")
@role_required(*OFFICE_ROLES)
def model_promote() -> Response:
    """Promote a challenger by the promotion rule (its refusal is shown); audited."""
    _checked()
    version = (request.form.get("version") or "")[:200]
    return commit_or_flash(
        lambda: promote(version, actor=current_user.username),
        refused=RegistryError,
        done="已设为正式模型，下一批分析起生效",
        then=_back(),
    )


@office_blueprint.post("/models/rollback")
@role_required(*OFFICE_ROLES)
def model_rollback() -> Response:
    """Back to the previous champion of a kind (or the shipped model); audited."""
    _checked()
    kind = (request.form.get("kind") or "")[:40]
    return commit_or_flash(
        lambda: rollback(kind, actor=current_user.username, reason="模型管理页面回退"),
        refused=RegistryError,
        done="已回退，下一批分析起生效",
        then=_back(),
    )
