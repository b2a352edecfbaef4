"""Office page 分类体系: the centre's own category tree, and its import (upload, preview, confirm).

The same two steps as the appraisal import: a file is read and checked (nothing written), the
preview lists every row with its errors, and confirming re-reads the very same bytes (carried
by the page with their hash) and stores the tree (services.taxonomy), refused rows left out as
``flask taxonomy import`` leaves them.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from citizenvoice.blueprints.auth import role_required
from citizenvoice.blueprints.inputs import InvalidInput, accepts_upload
from citizenvoice.blueprints.office.uploads import IMPORT_BODY_LIMIT, confirmed_upload, new_upload
from citizenvoice.blueprints.office.views import OFFICE_ROLES, ActionForm, office_blueprint
from citizenvoice.extensions import db
from citizenvoice.models import Department
from citizenvoice.services.taxonomy import TreeFile, read_tree_file, store_tree, tree_nodes
from citizenvoice.services.uploads import UploadError

__all__: list[str] = []  # routes only: they register on office_blueprint


@office_blueprint.route("/taxonomy/import", methods=["GET", "POST"])
@accepts_upload(IMPORT_BODY_LIMIT)
@role_required(*OFFICE_ROLES)
def taxonomy_import() -> Any:
    """The stored tree and the upload form; a file gives a preview, its confirmation stores it."""
    form = ActionForm()
    if request.method == "GET":
        return _page(form)
    if not form.validate_on_submit():
        abort(400)
    confirm = bool(request.form.get("confirm"))
    try:
        upload = confirmed_upload() if confirm else new_upload()
        if upload is None:
            raise UploadError("请选择文件")
        filename, data = upload
        tree = read_tree_file(filename, data)
        if confirm:
            counts = store_tree(tree, current_user.username)
            db.session.commit()
            flash(
                f"导入完成：分类 {counts['nodes']} 个，删除旧分类 {counts['removed']} 个，"
                f"分派规则 {counts['routes']} 条，拒绝 {len(tree.refused)} 行",
                "success",
            )
            return redirect(url_for("office.taxonomy_import"), code=303)
    except (UploadError, InvalidInput) as exc:
        db.session.rollback()
        flash(f"文件无法导入：{exc}", "danger")
        return _page(form), 400
    return _page(form, tree, filename, data)


def _page(
    form: ActionForm, tree: TreeFile | None = None, filename: str = "", data: bytes = b""
) -> str:
    names = dict(db.session.execute(select(Department.id, Department.name)).tuples().all())
    return render_template(
        "office/taxonomy.html",
        form=form,
        nodes=tree_nodes(),
        departments=names,
        preview=tree,
        filename=filename,
        payload=base64.b64encode(data).decode("ascii") if tree else "",
        sha256=hashlib.sha256(data).hexdigest() if tree else "",
    )
