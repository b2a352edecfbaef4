"""Office pages for the 整改 progress sheet: download it as CSV, upload it back.

Registered on the office blueprint (imported at the bottom of the package's ``__init__``).
"""

from __future__ import annotations

from typing import Any

from flask import Response as FlaskResponse
from flask import flash, redirect, request, url_for
from flask_login import current_user

from citizenvoice.blueprints.auth import role_required
from citizenvoice.blueprints.office.views import OFFICE_ROLES, ActionForm, office_blueprint
from citizenvoice.domain.workdays import SHANGHAI
from citizenvoice.extensions import db
from citizenvoice.models import utcnow
from citizenvoice.services.portal import clear_cache
from citizenvoice.services.rectification import RectificationError, export_sheet, import_sheet

__all__: list[str] = []  # routes only: they register on office_blueprint

# Shown at most: a sheet with hundreds of wrong rows needs a fix at its source, not a long page.
MAX_SHOWN_ERRORS = 20


@office_blueprint.get("/rectification/sheet.csv")
@role_required(*OFFICE_ROLES)
def rectification_sheet() -> FlaskResponse:
    """Every task as the progress sheet (UTF-8 with BOM so Excel and WPS read the Chinese)."""
    today = utcnow().astimezone(SHANGHAI).date().isoformat()
    return FlaskResponse(
        "\ufeff" + export_sheet(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f"attachment; filename=rectification-progress-{today}.csv",
            "Cache-Control": "no-store",
        },
    )


@office_blueprint.post("/rectification/sheet")
@role_required(*OFFICE_ROLES)
def rectification_sheet_import() -> Any:
    """Apply an uploaded progress sheet: every row checked, all applied or none."""
    back = redirect(url_for("office.rectification_list") + "#progress-sheet", code=303)
    if not ActionForm().validate_on_submit():
        flash("页面已过期，请重试", "danger")
        return back
    upload = request.files.get("sheet")
    if upload is None or not upload.filename:
        flash("请选择要导入的进度表（CSV 文件）", "danger")
        return back
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        flash("文件不是 UTF-8 编码，请在 Excel/WPS 中另存为“CSV UTF-8”后再导入", "danger")
        return back
    today = utcnow().astimezone(SHANGHAI).date()
    try:
        result = import_sheet(current_user._get_current_object(), text, today)
    except RectificationError as error:
        db.session.rollback()
        shown = error.errors[:MAX_SHOWN_ERRORS]
        flash("未导入任何内容，请改正后重新导入：" + "；".join(shown), "danger")
        return back
    db.session.commit()
    clear_cache()
    flash(f"已导入 {result.applied} 条进展（{result.skipped} 行未填写，未改动）", "success")
    return back
