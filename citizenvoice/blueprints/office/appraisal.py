"""Office pages of the appraisal: periods, index settings, compute / publish / verify, import."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from citizenvoice.blueprints.actions import commit_or_flash
from citizenvoice.blueprints.auth import role_required
from citizenvoice.blueprints.inputs import accepts_upload
from citizenvoice.blueprints.office.uploads import IMPORT_BODY_LIMIT, confirmed_upload, new_upload
from citizenvoice.blueprints.office.views import OFFICE_ROLES, ActionForm, office_blueprint
from citizenvoice.charts import bar_chart, line_chart
from citizenvoice.domain.localtime import local_midnight
from citizenvoice.domain.periods import PeriodStatus
from citizenvoice.domain.scoring.settings import Indicator
from citizenvoice.extensions import db
from citizenvoice.models import Period, RatingReview, SurveyCampaign
from citizenvoice.services.appraisal import (
    PRESETS,
    AppraisalError,
    compute,
    ensure_periods,
    explain_department,
    period_by_code,
    period_settings,
    publish,
    publish_summary,
    result_rows,
    result_table,
    settings_json,
    update_settings,
    verify,
)
from citizenvoice.services.dimension_import import apply as import_apply
from citizenvoice.services.dimension_import import importable_dimensions as import_dimensions
from citizenvoice.services.dimension_import import preview as import_preview
from citizenvoice.services.export import table_to_csv, table_to_xlsx
from citizenvoice.services.integrity import check_period, decide
from citizenvoice.services.label_flags import flags_between

__all__: list[str] = []


def _period_or_404(code: str) -> Period:
    try:
        return period_by_code(code)
    except AppraisalError:
        abort(404)


@office_blueprint.get("/periods")
@role_required(*OFFICE_ROLES)
def periods() -> str:
    """All appraisal periods, newest first."""
    rows = list(db.session.scalars(select(Period).order_by(Period.starts_on.desc(), Period.code)))
    return render_template("office/periods.html", periods=rows, form=ActionForm())


@office_blueprint.post("/periods/ensure")
@role_required(*OFFICE_ROLES)
def ensure_current_periods() -> Any:
    """Create the current month, quarter and year if they are missing."""
    if ActionForm().validate_on_submit():
        ensure_periods()
        db.session.commit()
    return redirect(url_for("office.periods"), code=303)


@office_blueprint.get("/periods/<code>")
@role_required(*OFFICE_ROLES)
def period_page(code: str) -> str:
    """Settings, status, results by group with ranks, charts, and the actions."""
    period = _period_or_404(code)
    rows = result_rows(period)
    settings = period_settings(period)
    focus = request.args.get("department") or (rows[0]["department"] if rows else None)
    focus_row = next((r for r in rows if r["department"] == focus), None)
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["group"], []).append(row)
    # A group where nobody is ranked gets no chart (not a "暂无数据" above a full table).
    ranking_charts = {
        group: bar_chart(ranked, max_value=100) if ranked else None
        for group, members in groups.items()
        for ranked in [
            [(r["department_name"], r["total"]) for r in members if r["total"] is not None]
        ]
    }
    explanation = None
    if focus_row:
        try:
            explanation = explain_department(period, focus_row["department"])
        except AppraisalError:
            explanation = None
    trend = _monthly_trend(period, focus_row["department"] if focus_row else None)
    scored = [
        (i["label"], i["score"])
        for i in (focus_row["citizen"]["indicators"] if focus_row else [])
        if i["score"] is not None
    ]
    indicator_chart = bar_chart(scored, max_value=100) if scored else None
    return render_template(
        "office/period.html",
        period=period,
        groups=groups,
        ranking_charts=ranking_charts,
        focus=focus_row,
        indicator_chart=indicator_chart,
        explanation=explanation,
        survey_campaigns=db.session.scalars(
            select(SurveyCampaign).where(SurveyCampaign.period_id == period.id)
        ).all(),
        trend_chart=trend,
        settings=settings,
        raw_settings=period.settings,
        citizen_weights=settings.scoring.weights.as_dict(),
        presets=PRESETS,
        indicators=list(Indicator),
        form=ActionForm(),
    )


def _monthly_trend(period: Period, department: str | None) -> Any:
    """Citizen score and total of a department over the computed monthly periods (line chart)."""
    if department is None:
        return None
    months = list(
        db.session.scalars(
            select(Period)
            .where(
                Period.kind == "month",
                Period.result_json.is_not(None),
                Period.starts_on <= period.starts_on,
            )
            .order_by(Period.starts_on.desc())
            .limit(12)
        )
    )[::-1]
    citizen: list[float | None] = []
    totals: list[float | None] = []
    for month in months:
        row = next((r for r in result_rows(month) if r["department"] == department), None)
        citizen.append(row["citizen"]["score"] if row else None)
        totals.append(row["total"] if row else None)
    return line_chart(
        [m.code for m in months], [("市民评价", citizen), ("总分", totals)], max_value=100
    )


@office_blueprint.get("/periods/<code>/results.<fmt>")
@role_required(*OFFICE_ROLES)
def period_results_export(code: str, fmt: str) -> Response:
    """The period's results as CSV or XLSX (dimensions, indicators with n, totals, ranks)."""
    period = _period_or_404(code)
    if fmt not in {"csv", "xlsx"} or not period.result_json:
        abort(404)
    header, rows = result_table(period)
    if fmt == "csv":
        body, mimetype = table_to_csv(header, rows), "text/csv; charset=utf-8"
    else:
        body = table_to_xlsx(header, rows, period.code)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename=appraisal-{period.code}.{fmt}"
    return response


@office_blueprint.post("/periods/<code>/settings")
@role_required(*OFFICE_ROLES)
def period_settings_page(code: str) -> Any:
    """Apply a preset, or save edited weights (validated; versioned and audited)."""
    period = _period_or_404(code)
    if not ActionForm().validate_on_submit():
        abort(400)
    preset = request.form.get("preset")

    def save() -> None:
        if preset:
            if preset not in PRESETS:
                raise AppraisalError("未知的预设方案")
            new = settings_json(PRESETS[preset][1], preset)
        else:
            new = dict(period.settings)
            new["preset"] = "custom"
            # The form shows every weight in percent (one unit on the page); stored as fractions.
            new["citizen_weights"] = {
                i.value: float(request.form.get(f"w_{i.value}") or 0) / 100
                for i in Indicator
                if float(request.form.get(f"w_{i.value}") or 0) > 0
            }
            new["dimensions"] = [
                [c, n, float(request.form.get(f"d_{c}") or 0)]
                for c, n, _ in period.settings["dimensions"]
            ]
            new["min_n"] = int(request.form.get("min_n") or new["min_n"])
        update_settings(period, new, current_user.username)

    return commit_or_flash(
        save,
        refused=(AppraisalError, ValueError),
        done="考核设置已保存（版本已更新，需重新计算）",
        then=url_for("office.period_page", code=code),
    )


@office_blueprint.post("/periods/<code>/<action>")
@role_required(*OFFICE_ROLES)
def period_action(code: str, action: str) -> Any:
    """计算 / 发布 / 复核 a period."""
    period = _period_or_404(code)
    if not ActionForm().validate_on_submit() or action not in {"compute", "publish", "verify"}:
        abort(400)
    try:
        if action == "compute":
            compute(period, current_user.username)
            message = "已计算"
        elif action == "publish":
            if not request.form.get("confirmed"):
                # Publishing freezes the result: only from the confirm step, which shows counts.
                return redirect(url_for("office.period_publish_confirm", code=code), code=303)
            publish(
                period,
                current_user.username,
                force=bool(request.form.get("force")),
                reason=request.form.get("reason"),
            )
            message = "已发布，结果已冻结并公开"
        else:
            differences = verify(period)
            message = (
                "复核通过：从原始数据重新计算的结果与存档完全一致"
                if not differences
                else "复核发现差异：" + "；".join(differences[:5])
            )
    except AppraisalError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(message, "success" if "差异" not in message else "danger")
    return redirect(url_for("office.period_page", code=code), code=303)


@office_blueprint.get("/periods/<code>/publish")
@role_required(*OFFICE_ROLES)
def period_publish_confirm(code: str) -> Any:
    """The confirm step before publishing: counts, and a reason field to force an open period."""
    period = _period_or_404(code)
    if period.status != PeriodStatus.COMPUTED:
        unready = "请先计算该周期的结果" if period.status == PeriodStatus.OPEN else "该周期已发布"
        flash(unready, "warning")
        return redirect(url_for("office.period_page", code=code), code=303)
    return render_template(
        "office/publish.html",
        period=period,
        summary=publish_summary(period),
        last_day=period.ends_on - timedelta(days=1),
        form=ActionForm(),
    )


@office_blueprint.route("/periods/<code>/import", methods=["GET", "POST"])
@accepts_upload(IMPORT_BODY_LIMIT)
@role_required(*OFFICE_ROLES)
def period_import(code: str) -> Any:
    """Upload a CSV/XLSX of other dimensions: preview with per-row errors, then confirm."""
    period = _period_or_404(code)
    form = ActionForm()
    if request.method == "GET":
        return _import_page(period, form)
    if not form.validate_on_submit():
        abort(400)
    confirm = bool(request.form.get("confirm"))
    upload = confirmed_upload() if confirm else new_upload()
    try:
        if upload is None:
            raise AppraisalError("请选择文件")
        filename, data = upload
        result = import_preview(period, filename, data)
        if confirm:
            changed = import_apply(period, result, current_user.username)
            db.session.commit()
            flash(
                f"导入完成：{changed} 项得分有变化"
                if changed
                else "导入完成：数据与已有记录相同，没有变化",
                "success",
            )
            return redirect(url_for("office.period_page", code=code), code=303)
    except AppraisalError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return _import_page(period, form), 400
    return _import_page(
        period, form, preview=result, payload=base64.b64encode(data).decode("ascii")
    )


def _import_page(period: Period, form: ActionForm, **preview: Any) -> str:
    """The import page: the upload form, and the preview of a file when one was read."""
    return render_template(
        "office/import.html",
        period=period,
        dimension_names=import_dimensions(period),
        form=form,
        **({"preview": None} | preview),
    )


@office_blueprint.route("/periods/<code>/integrity", methods=["GET", "POST"])
@role_required(*OFFICE_ROLES)
def period_integrity(code: str) -> Any:
    """Anomaly checks: held follow-ups with their reasons; release, or exclude with a reason."""
    period = _period_or_404(code)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)

        def run_or_decide() -> None:
            if request.form.get("run"):
                outcome = check_period(period, current_user.username)
                flash(
                    f"已检查 {outcome.checked} 条回访评价，新增待核实 {outcome.newly_held} 条",
                    "success",
                )
            else:
                decide(
                    int(request.form.get("review_id", "0")),
                    request.form.get("decision", ""),
                    request.form.get("reason", ""),
                    current_user.username,
                )
                flash("已处理", "success")

        # Each branch flashes its own outcome.
        return commit_or_flash(
            run_or_decide,
            refused=(AppraisalError, ValueError),
            done=None,
            then=url_for("office.period_integrity", code=code),
        )
    reviews = list(
        db.session.scalars(
            select(RatingReview).order_by(RatingReview.status, RatingReview.id.desc()).limit(500)
        )
    )
    disagreements = flags_between(local_midnight(period.starts_on), local_midnight(period.ends_on))
    return render_template(
        "office/integrity.html",
        period=period,
        reviews=reviews,
        form=form,
        disagreements=disagreements,
    )
