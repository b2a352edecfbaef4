"""Holding, excluding and releasing flagged survey answers, on PostgreSQL and SQLite: the
office holds a group's answers for a department (an outlier) or an hour (a burst); held and
excluded answers leave the office's results, the findings and the appraisal's survey counts;
exclusion needs a reason; every step is audited; racing decisions apply once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from factories import csrf_token, login, make_user
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select

from citizenvoice.cli import seed_demo_data
from citizenvoice.domain.workdays import SHANGHAI
from citizenvoice.extensions import db
from citizenvoice.models import AuditEntry, Department, SurveyAnswer, SurveyCampaign, SurveyHold
from citizenvoice.models.base import utcnow
from citizenvoice.services.appraisal import current_month_code, period_by_code
from citizenvoice.services.appraisal.survey_counts import survey_counts
from citizenvoice.services.survey import create_campaign
from citizenvoice.services.survey_results import campaign_flags, campaign_results


@pytest.fixture
def office(db_app: Flask) -> Iterator[tuple[Flask, FlaskClient, int]]:
    """A Hangzhou campaign where residents rate cgzf 不满意 and three groups 满意 (40 each)."""
    with db_app.app_context():
        seed_demo_data(0)
        code = current_month_code()
        assert code is not None
        campaign = create_campaign(period_by_code(code), "hangzhou")
        cgzf = db.session.scalar(select(Department.id).where(Department.code == "cgzf"))
        groups = {g.code: g.id for g in campaign.groups}
        start = utcnow() - timedelta(days=2)
        rows = []
        for group, rating in (
            ("residents", "dissatisfied"),
            ("enterprises", "satisfied"),
            ("experts", "satisfied"),
            ("npc_deputies", "satisfied"),
        ):
            for i in range(40):
                # one rater an hour over 40 hours: no burst
                rows.append(
                    {
                        "campaign_id": campaign.id,
                        "group_id": groups[group],
                        "department_id": cgzf,
                        "rating": rating,
                        "created_at": start + timedelta(hours=i, minutes=7),
                    }
                )
        db.session.execute(insert(SurveyAnswer), rows)
        db.session.commit()
        campaign_id = campaign.id
    yield db_app, login(db_app, make_user(db_app, "office")), campaign_id


def _residents_n(app: Flask, campaign_id: int) -> int:
    with app.app_context():
        campaign = db.session.get(SurveyCampaign, campaign_id)
        assert campaign is not None
        cgzf = next(r for r in campaign_results(campaign) if r.code == "cgzf")
        n = next(r.n for code, r, _ in cgzf.groups if code == "residents")
        # the appraisal's survey indicator counts the same answers as the office's page
        counts = survey_counts(period_by_code(current_month_code() or ""))
        residents = next(c for c in counts["cgzf"] if c.group == "residents")
        assert residents.dissatisfied == n
        return n


def _post(client: FlaskClient, path: str, data: dict[str, str]) -> tuple[int, str]:
    page = client.get(path.split("/holds")[0])
    response = client.post(
        path, data={"csrf_token": csrf_token(page.get_data(as_text=True)), **data}
    )
    return response.status_code, response.get_data(as_text=True)


def _audit(app: Flask) -> list[tuple[str, dict]]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEntry.action, AuditEntry.details).order_by(AuditEntry.seq)
        ).all()
    return [(a, d) for a, d in rows if a.startswith("survey_")]


def test_outlier_is_held_excluded_with_a_reason_and_released(office) -> None:
    app, client, campaign_id = office
    base = f"/office/surveys/{campaign_id}"
    html = client.get(base).get_data(as_text=True)
    assert "暂停计入，待复核" in html and "residents" in html
    with app.app_context():
        campaign = db.session.get(SurveyCampaign, campaign_id)
        flags = campaign_flags(campaign)  # type: ignore[arg-type]
        assert [(f.kind, f.group, f.subject) for f in flags] == [
            ("group_outlier", "residents", "cgzf")
        ]
    assert _residents_n(app, campaign_id) == 40
    hold = {"group": "residents", "department": "cgzf"}
    assert _post(client, f"{base}/holds", hold)[0] == 303
    assert _post(client, f"{base}/holds", hold)[0] == 409  # already under review
    assert _residents_n(app, campaign_id) == 0
    with app.app_context():
        campaign = db.session.get(SurveyCampaign, campaign_id)
        assert campaign_flags(campaign) == []  # type: ignore[arg-type]
        hold_id = db.session.scalars(select(SurveyHold.id)).one()
    decide = f"{base}/holds/{hold_id}"
    for reason in ("", "   ", "\x00", "x" * 501):
        status, page = _post(client, decide, {"action": "exclude", "reason": reason})
        assert status == 400 and "理由" in page
    assert _post(client, decide, {"action": "drop", "reason": "x"})[0] == 400
    reason = "同一社区集中填写，经核实为组织代填"
    assert _post(client, decide, {"action": "exclude", "reason": reason})[0] == 303
    assert _post(client, decide, {"action": "exclude", "reason": reason})[0] == 409
    assert _residents_n(app, campaign_id) == 0
    assert reason in client.get(base).get_data(as_text=True)
    assert _post(client, decide, {"action": "release"})[0] == 303
    assert _residents_n(app, campaign_id) == 40
    actions = _audit(app)
    assert [a for a, _ in actions] == ["survey_hold", "survey_exclude", "survey_release"]
    assert actions[0][1]["answers"] == 40 and actions[1][1]["reason"] == reason
    assert _post(client, f"{base}/holds/999999", {"action": "release"})[0] == 404
    with app.app_context():
        period = period_by_code(current_month_code() or "")
        period.status = "published"  # what publish() sets; its scores are final
        db.session.commit()
    status, page = _post(client, decide, {"action": "exclude", "reason": reason})
    assert status == 409 and "已发布" in page
    assert _post(client, f"{base}/holds", hold)[0] == 409


def test_a_burst_hour_is_held_alone(office) -> None:
    """An hour window holds only that hour's answers of the group."""
    app, client, campaign_id = office
    with app.app_context():
        first = db.session.scalars(
            select(SurveyAnswer.created_at).order_by(SurveyAnswer.created_at)
        ).first()
        assert first is not None
        label = first.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:00")
    base = f"/office/surveys/{campaign_id}"
    for bad in ("2026-13-01 10:00", "=1+1", "x" * 3000, "2026-01-01 10:30"):
        status, _ = _post(client, f"{base}/holds", {"group": "residents", "hour": bad})
        assert status == 400, bad
    assert _post(client, f"{base}/holds", {"group": "nobody", "hour": label})[0] == 404
    assert _post(client, f"{base}/holds", {"group": "residents"})[0] == 400  # no scope
    assert _post(client, f"{base}/holds", {"group": "residents", "hour": label})[0] == 303
    assert _residents_n(app, campaign_id) == 39
    assert _audit(app)[0][1]["hour"] == label


@pytest.mark.timeout(120)
def test_racing_exclusions_apply_once(office) -> None:
    """Three simultaneous exclusions of one held batch over the app: one 303, two 409."""
    app, client, campaign_id = office
    base = f"/office/surveys/{campaign_id}"
    assert _post(client, f"{base}/holds", {"group": "residents", "department": "cgzf"})[0] == 303
    with app.app_context():
        hold_id = db.session.scalars(select(SurveyHold.id)).one()
    # three office sessions, each its own client: concurrent requests through the whole app
    users = [make_user(app, "office", None, f"office_race_{i}") for i in range(3)]
    clients = [login(app, user) for user in users]
    tokens = [csrf_token(c.get(base).get_data(as_text=True)) for c in clients]
    statuses = [0, 0, 0]
    start = threading.Barrier(3)

    def send(index: int) -> None:
        start.wait()
        response = clients[index].post(
            f"{base}/holds/{hold_id}",
            data={"csrf_token": tokens[index], "action": "exclude", "reason": f"理由{index}"},
        )
        statuses[index] = response.status_code

    threads = [threading.Thread(target=send, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert sorted(statuses) == [303, 409, 409], statuses
    assert [a for a, _ in _audit(app)].count("survey_exclude") == 1
