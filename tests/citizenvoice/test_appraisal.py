"""The performance office's appraisal: periods API, compute / publish / verify, imports, audit."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from factories import csrf_token, follow_ups, make_user, sign_in
from openpyxl import Workbook
from sqlalchemy import select, text, update
from support import file_submission

from citizenvoice.extensions import db
from citizenvoice.models import (
    AuditEntry,
    Department,
    DimensionScore,
    FollowUp,
    Period,
    Submission,
    utcnow,
)
from citizenvoice.services.appraisal import (
    PRESETS,
    AppraisalError,
    compute,
    ensure_periods,
    period_by_code,
    publish,
    settings_json,
    update_settings,
)
from citizenvoice.services.dimension_import import apply as import_apply
from citizenvoice.services.dimension_import import preview as import_preview

FORCE = ("--force", "--reason", "测试：提前发布")


def _current_month(app) -> Period:
    return next(p for p in ensure_periods() if p.kind == "month")


@pytest.fixture
def app(db_app):
    """Every appraisal journey runs on PostgreSQL and on the embedded SQLite (conftest.db_app)."""
    return db_app


@pytest.fixture
def beijing_month(seeded):
    """This month's period with the Beijing 12345 preset (三率 only), and two departments' follow-ups."""
    with seeded.app_context():
        period = _current_month(seeded)
        update_settings(period, settings_json(PRESETS["beijing12345"][1], "beijing12345"), "test")
        db.session.commit()
        code = period.code
    follow_ups(seeded, "jtys", satisfied=30, dissatisfied=5)
    follow_ups(seeded, "jyty", satisfied=20, dissatisfied=15)
    return code


def test_seed_creates_the_current_month_quarter_and_year(seeded, client):
    body = client.get("/api/v1/periods").get_json()
    kinds = {row["code"]: row for row in body}
    assert len(body) == 3
    assert all(set(row) >= {"code", "name", "start", "end", "status"} for row in body)
    assert sorted(row["status"] for row in body) == ["open", "open", "open"]
    assert any(re.fullmatch(r"\d{4}-Q[1-4]", code) for code in kinds)


def test_compute_ranks_within_groups_and_verify_recomputes_exactly(seeded, beijing_month):
    runner = seeded.test_cli_runner()
    computed = runner.invoke(args=["appraisal", "compute", "--period", beijing_month])
    assert computed.exit_code == 0, computed.output
    assert "2 ranked" in computed.output
    verified = runner.invoke(args=["appraisal", "verify", "--period", beijing_month])
    assert verified.exit_code == 0, verified.output
    with seeded.app_context():
        from citizenvoice.services.appraisal import result_rows

        rows = {r["department"]: r for r in result_rows(period_by_code(beijing_month))}
    assert rows["jtys"]["rank"] == 1 and rows["jyty"]["rank"] == 2  # both 公共服务
    satisfaction = next(
        i for i in rows["jtys"]["citizen"]["indicators"] if i["indicator"] == "satisfaction"
    )
    assert (
        satisfaction["n"] == 35
        and satisfaction["low"] <= satisfaction["score"] <= satisfaction["high"]
    )
    assert rows["zjj"]["rank"] is None and "样本不足" in rows["zjj"]["reason"]


def test_scores_are_public_only_after_publication_and_frozen_then(seeded, beijing_month, client):
    runner = seeded.test_cli_runner()
    assert client.get(f"/api/v1/periods/{beijing_month}/scores").status_code == 404
    runner.invoke(args=["appraisal", "compute", "--period", beijing_month])
    # This month has not ended: publishing it needs --force with a reason.
    published = runner.invoke(args=["appraisal", "publish", "--period", beijing_month, *FORCE])
    assert published.exit_code == 0, published.output
    body = client.get(f"/api/v1/periods/{beijing_month}/scores").get_json()
    first = next(r for r in body["rows"] if r["department"] == "jtys")
    assert set(first) >= {
        "department",
        "department_name",
        "group",
        "dimensions",
        "citizen",
        "total",
        "rank",
    }
    assert first["citizen"]["indicators"][0]["n"] == 35
    assert body["algorithm_version"] and len(body["result_sha256"]) == 64
    again = runner.invoke(args=["appraisal", "compute", "--period", beijing_month])
    assert again.exit_code != 0 and "已发布" in again.output
    with seeded.app_context():
        period = period_by_code(beijing_month)
        with pytest.raises(AppraisalError, match="冻结"):
            update_settings(period, settings_json(PRESETS["hangzhou"][1], "hangzhou"), "test")


def test_verify_fails_when_a_raw_row_changes_after_publication(seeded, beijing_month):
    runner = seeded.test_cli_runner()
    runner.invoke(args=["appraisal", "compute", "--period", beijing_month])
    published = runner.invoke(args=["appraisal", "publish", "--period", beijing_month, *FORCE])
    assert published.exit_code == 0, published.output
    with seeded.app_context():
        db.session.execute(
            update(FollowUp)
            .where(FollowUp.satisfaction == "dissatisfied")
            .values(satisfaction="satisfied")
        )
        db.session.commit()
    result = runner.invoke(args=["appraisal", "verify", "--period", beijing_month])
    assert result.exit_code != 0
    assert "differences" in result.output


def test_settings_changes_are_versioned_validated_and_audited(seeded):
    with seeded.app_context():
        period = _current_month(seeded)
        version = period.settings_version
        bad = settings_json(PRESETS["hangzhou"][1], "hangzhou")
        bad["dimensions"] = [
            ["citizen", "社会评价", 60.0],
            ["goals", "目标考核", 45.0],
            ["leadership", "领导考评", 5.0],
        ]
        with pytest.raises(AppraisalError):
            update_settings(period, bad, "office1")
        db.session.rollback()
        period = _current_month(seeded)
        update_settings(
            period, settings_json(PRESETS["beijing12345"][1], "beijing12345"), "office1"
        )
        db.session.commit()
        assert period.settings_version == version + 1
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "period_settings"))
        assert entry.actor == "office1" and entry.details["after"]["preset"] == "beijing12345"


def _csv(rows: list[str]) -> bytes:
    return ("\n".join(["部门代码,维度,得分,周期", *rows]) + "\n").encode("utf-8")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("nope,目标考核,80,{code}", "部门代码不存在"),
        ("zjj,目标考核,180,{code}", "得分超出范围"),
        ("zjj,目标考核,abc,{code}", "得分不是数字"),
        ("zjj,目标考核,80,2020-01", "周期不符"),
        ("zjj,不存在的维度,80,{code}", "没有该维度"),
        ("zjj,社会评价,80,{code}", "市民评价维度由系统计算"),
        ("zjj,创新创优,9,{code}", "得分超出范围"),
    ],
)
def test_import_reports_each_error_per_row_in_chinese_and_applies_nothing(seeded, line, message):
    with seeded.app_context():
        period = _current_month(seeded)
        result = import_preview(
            period,
            "scores.csv",
            _csv([line.format(code=period.code), f"jtys,目标考核,90,{period.code}"]),
        )
        assert not result.ok
        assert any(message in e for e in result.rows[0].errors)
        assert result.rows[1].errors == ()
        with pytest.raises(AppraisalError):
            import_apply(period, result, "office1")
        assert db.session.scalar(select(DimensionScore.id)) is None


def test_import_of_a_duplicate_row_is_refused(seeded):
    with seeded.app_context():
        period = _current_month(seeded)
        result = import_preview(
            period, "s.csv", _csv([f"zjj,目标考核,80,{period.code}", f"zjj,goals,85,{period.code}"])
        )
        assert "重复行" in "".join(result.rows[1].errors)


def test_xlsx_import_applies_once_and_a_reimport_changes_nothing(seeded):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["部门代码", "维度", "得分"])
    sheet.append(["jtys", "目标考核", 88.5])
    sheet.append(["jtys", "领导考评", 90])
    sheet.append(["jtys", "创新创优", 2])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with seeded.app_context():
        period = _current_month(seeded)
        first = import_preview(period, "scores.xlsx", buffer.getvalue())
        assert first.ok, first.rows
        assert import_apply(period, first, "office1") == 3
        db.session.commit()
        assert (
            import_apply(
                period, import_preview(period, "scores.xlsx", buffer.getvalue()), "office1"
            )
            == 0
        )
        db.session.commit()
        stored = dict(
            db.session.execute(select(DimensionScore.dimension, DimensionScore.score))
            .tuples()
            .all()
        )
        assert stored == {"goals": 88.5, "leadership": 90.0, "bonus": 2.0}


def test_the_import_page_previews_before_it_applies(seeded, client):
    make_user(seeded, "office", username="office1")
    sign_in(seeded, "office1", client=client)
    with seeded.app_context():
        code = _current_month(seeded).code
    page = client.get(f"/office/periods/{code}/import").get_data(as_text=True)
    token = csrf_token(page)
    preview = client.post(
        f"/office/periods/{code}/import",
        data={
            "csrf_token": token,
            "file": (io.BytesIO(_csv([f"zjj,目标考核,80,{code}"])), "s.csv"),
        },
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200 and 'id="confirm-import"' in preview.get_data(as_text=True)
    with seeded.app_context():
        assert db.session.scalar(select(DimensionScore.id)) is None  # nothing before confirmation
    html = preview.get_data(as_text=True)
    fields = dict(
        re.findall(r'name="(payload|sha256|filename|csrf_token)"[^>]*value="([^"]*)"', html)
    )
    confirmed = client.post(f"/office/periods/{code}/import", data={**fields, "confirm": "1"})
    assert confirmed.status_code == 303
    with seeded.app_context():
        assert db.session.scalar(select(DimensionScore.score)) == 80.0
    assert "绩效考评" in client.get(f"/office/periods/{code}").get_data(as_text=True)


def test_audit_verify_detects_tampering(seeded, beijing_month):
    runner = seeded.test_cli_runner()
    runner.invoke(args=["appraisal", "compute", "--period", beijing_month])
    intact = runner.invoke(args=["audit", "verify"])
    assert intact.exit_code == 0 and "intact" in intact.output
    with seeded.app_context():
        db.session.execute(
            text(
                "UPDATE audit_entry SET actor = 'someone-else' WHERE id = (SELECT min(id) FROM audit_entry)"
            )
        )
        db.session.commit()
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code != 0 and "broken" in broken.output


def test_publication_freezes_the_audit_head_and_verify_holds_the_chain_to_it(seeded, beijing_month):
    runner = seeded.test_cli_runner()
    runner.invoke(args=["appraisal", "compute", "--period", beijing_month])
    published = runner.invoke(
        args=["appraisal", "publish", "--period", beijing_month, "--force", "--reason", "测试"]
    )
    assert published.exit_code == 0, published.output
    with seeded.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "period_publish"))
        assert period_by_code(beijing_month).audit_head == f"{entry.seq}:{entry.hash}"
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    with seeded.app_context():
        db.session.execute(
            update(Period)
            .where(Period.code == beijing_month)
            .values(audit_head=f"{entry.seq}:" + "0" * 64)
        )
        db.session.commit()
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1 and f"published with {beijing_month}" in broken.output


def test_publish_refuses_when_raw_rows_changed_since_compute(seeded, beijing_month):
    with seeded.app_context():
        period = period_by_code(beijing_month)
        compute(period, "office1")
        db.session.commit()
        db.session.execute(update(FollowUp).values(resolved=True))
        db.session.commit()
        with pytest.raises(AppraisalError, match="重新计算"):
            publish(period_by_code(beijing_month), "office1", force=True, reason="test")


def test_follow_ups_outside_the_period_do_not_count(seeded, beijing_month):
    with seeded.app_context():
        period = period_by_code(beijing_month)
        # A moment computed here, not date arithmetic in SQL: SQLite has no interval type.
        long_ago = utcnow() - timedelta(days=400)
        db.session.execute(update(FollowUp).values(created_at=long_ago))
        db.session.execute(update(Submission).values(created_at=long_ago))
        db.session.commit()
        result = compute(period, "office1")
        assert all(t.rank is None for t in result.totals)


def test_a_burst_from_one_client_is_held_then_released_or_excluded_with_a_reason(
    seeded, beijing_month
):
    from citizenvoice.models import RatingReview
    from citizenvoice.services.appraisal import gather_counts
    from citizenvoice.services.integrity import check_period, decide

    with seeded.app_context():
        jtys = db.session.scalar(select(Department.id).where(Department.code == "jtys"))
        burst = list(
            db.session.scalars(select(FollowUp).where(FollowUp.department_id == jtys).limit(6))
        )
        for row in burst:
            row.client_fingerprint = "same-phone"
        db.session.commit()
        period = period_by_code(beijing_month)
        outcome = check_period(period, "office1")
        db.session.commit()
        assert outcome.newly_held == 6
        reasons = [reason for found in outcome.reasons.values() for reason in found]
        assert all("分钟内提交" in reason for reason in reasons)
        counts = {c.department: c for c in gather_counts(period)}
        assert counts["jtys"].follow_ups == 35 - 6
        review = db.session.scalar(select(RatingReview).limit(1))
        with pytest.raises(AppraisalError, match="理由"):
            decide(review.id, "exclude", "  ", "office1")
        decide(review.id, "release", "核实为同一家庭的多件诉求", "office1")
        db.session.commit()
        assert {c.department: c for c in gather_counts(period)}["jtys"].follow_ups == 35 - 5
        other = db.session.scalar(
            select(RatingReview).where(RatingReview.status == "held").limit(1)
        )
        decide(other.id, "exclude", "同一设备批量刷评", "office1")
        db.session.commit()
        actions = set(db.session.scalars(select(AuditEntry.action)))
        assert {"integrity_check", "integrity_release", "integrity_exclude"} <= actions


def test_only_follow_up_ratings_are_scored_and_open_ratings_are_not(seeded, beijing_month):
    from citizenvoice.services.appraisal import gather_counts

    file_submission(
        seeded, "政务服务中心办事很快，工作人员态度很好。", kind="rating", department="jtys"
    )
    with seeded.app_context():
        db.session.execute(update(FollowUp).values(rating=5))
        db.session.commit()
        counts = {c.department: c for c in gather_counts(period_by_code(beijing_month))}
        assert counts["jtys"].ratings.n == 35  # the follow-ups' ratings, not the open 评价
        assert counts["jtys"].ratings.total == 175.0


def test_office_page_explains_a_department_and_exports_results(seeded, beijing_month, client):
    from openpyxl import load_workbook

    seeded.test_cli_runner().invoke(args=["appraisal", "compute", "--period", beijing_month])
    make_user(seeded, "office", username="office1")
    sign_in(seeded, "office1", client=client)
    page = client.get(f"/office/periods/{beijing_month}?department=jyty").get_data(as_text=True)
    assert 'id="explanation"' in page and "最弱的指标" in page
    assert "不满意或负面情绪的诉求 15 件" in page
    csv_body = client.get(f"/office/periods/{beijing_month}/results.csv").data.decode("utf-8-sig")
    assert "市交通运输局" in csv_body and "满意率 n" in csv_body
    sheet = load_workbook(
        io.BytesIO(client.get(f"/office/periods/{beijing_month}/results.xlsx").data)
    ).active
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["组别", "排名", "部门代码", "部门"]
    assert sheet.max_row == 1 + 19  # every demo department has a row


def test_near_identical_comments_are_held_as_a_campaign(seeded, beijing_month):
    from citizenvoice.services.integrity import check_period

    with seeded.app_context():
        jyty = db.session.scalar(select(Department.id).where(Department.code == "jyty"))
        rows = list(
            db.session.scalars(select(FollowUp).where(FollowUp.department_id == jyty).limit(4))
        )
        for i, row in enumerate(rows):
            row.comment = "教育局办事效率高，态度非常好，给满分！" + ("！" * i)
        db.session.commit()
        outcome = check_period(period_by_code(beijing_month), "office1")
        db.session.commit()
        held = {
            fid for fid, reasons in outcome.reasons.items() if any("高度相似" in r for r in reasons)
        }
        assert held == {row.id for row in rows}
