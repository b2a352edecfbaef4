"""Publishing a period: counts first, no prompt without a terminal, early only with a reason.

On the CLI and on the office page alike; a forced publication is audited with its reason.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from factories import csrf_token, follow_ups, make_user, sign_in
from sqlalchemy import select

from citizenvoice.extensions import db
from citizenvoice.models import AuditEntry
from citizenvoice.services.appraisal import (
    PRESETS,
    AppraisalError,
    compute,
    ensure_periods,
    period_by_code,
    publish,
    publish_summary,
    settings_json,
    update_settings,
)


@pytest.fixture
def computed_month(seeded) -> str:
    """This month (not ended), Beijing preset, one department with enough follow-ups, computed."""
    with seeded.app_context():
        period = next(p for p in ensure_periods() if p.kind == "month")
        update_settings(period, settings_json(PRESETS["beijing12345"][1], "beijing12345"), "t")
        db.session.commit()
        code = period.code
    follow_ups(seeded, "jtys", satisfied=30, dissatisfied=5)
    follow_ups(seeded, "jyty", satisfied=3, dissatisfied=2)  # 样本不足
    with seeded.app_context():
        compute(period_by_code(code), "t")
        db.session.commit()
    return code


def _publish_entries(app) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.scalars(select(AuditEntry).where(AuditEntry.action == "period_publish"))
        )


def test_summary_counts_ranked_and_insufficient_departments(seeded, computed_month):
    with seeded.app_context():
        summary = publish_summary(period_by_code(computed_month))
    assert summary.ranked == 1
    assert summary.insufficient >= 1  # jyty, and every department with no follow-ups
    assert summary.departments == summary.ranked + summary.insufficient
    assert summary.ended is False


def test_cli_refuses_an_open_period_and_forces_only_with_a_reason(seeded, computed_month):
    runner = seeded.test_cli_runner()
    plain = runner.invoke(args=["appraisal", "publish", "--period", computed_month])
    assert plain.exit_code != 0 and "尚未结束" in plain.output
    no_reason = runner.invoke(args=["appraisal", "publish", "--period", computed_month, "--force"])
    assert no_reason.exit_code != 0 and "原因" in no_reason.output
    assert _publish_entries(seeded) == []
    forced = runner.invoke(
        args=["appraisal", "publish", "--period", computed_month, "--force", "--reason", "年终提前"]
    )
    # CliRunner's stdin is not a terminal: no prompt, the explicit command is carried out.
    assert forced.exit_code == 0, forced.output
    assert "1 ranked" in forced.output and "样本不足" in forced.output
    (entry,) = _publish_entries(seeded)
    assert entry.details["forced"] is True and entry.details["reason"] == "年终提前"
    assert entry.details["ranked"] == 1


def test_cli_asks_in_a_terminal_and_a_no_publishes_nothing(seeded, computed_month, monkeypatch):
    import citizenvoice.cli.appraisal as cli

    monkeypatch.setattr(cli, "_interactive", lambda: True)
    args = ["appraisal", "publish", "--period", computed_month, "--force", "--reason", "r"]
    refused = seeded.test_cli_runner().invoke(args=args, input="n\n")
    assert refused.exit_code != 0 and "Publish and freeze?" in refused.output
    assert _publish_entries(seeded) == []
    accepted = seeded.test_cli_runner().invoke(args=[*args, "--yes"])
    assert accepted.exit_code == 0 and "Publish and freeze?" not in accepted.output


def test_an_ended_period_publishes_without_force(seeded, computed_month):
    with seeded.app_context():
        period = period_by_code(computed_month)
        summary = publish(period, "office1", today=period.ends_on)
        db.session.commit()
        assert summary.ended and period.status == "published"
    (entry,) = _publish_entries(seeded)
    assert "forced" not in entry.details


def test_service_refuses_force_with_a_blank_reason(seeded, computed_month):
    with seeded.app_context():
        period = period_by_code(computed_month)
        with pytest.raises(AppraisalError, match="原因"):
            publish(period, "office1", force=True, reason="   ")
        with pytest.raises(AppraisalError, match="尚未结束"):
            publish(period, "office1", today=period.ends_on - timedelta(days=1))


def test_office_page_confirms_with_counts_and_forces_only_with_a_reason(
    seeded, client, computed_month
):
    make_user(seeded, "office", username="office1")
    sign_in(seeded, "office1", client=client)
    page = client.get(f"/office/periods/{computed_month}").get_data(as_text=True)
    token = csrf_token(page)
    # A bare POST (the old one-click button) only leads to the confirm step.
    bare = client.post(f"/office/periods/{computed_month}/publish", data={"csrf_token": token})
    assert bare.status_code == 303 and bare.location.endswith(f"/periods/{computed_month}/publish")
    confirm = client.get(f"/office/periods/{computed_month}/publish").get_data(as_text=True)
    assert re.search(r'id="count-ranked">1<', confirm)
    assert 'id="not-ended"' in confirm and 'name="reason"' in confirm
    no_reason = client.post(
        f"/office/periods/{computed_month}/publish",
        data={"csrf_token": token, "confirmed": "1", "force": "1"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "须填写原因" in no_reason
    assert _publish_entries(seeded) == []
    done = client.post(
        f"/office/periods/{computed_month}/publish",
        data={"csrf_token": token, "confirmed": "1", "force": "1", "reason": "市里要求提前公布"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "已发布" in done
    (entry,) = _publish_entries(seeded)
    assert entry.actor == "office1" and entry.details["reason"] == "市里要求提前公布"
    no_csrf = client.post(f"/office/periods/{computed_month}/publish", data={"confirmed": "1"})
    assert no_csrf.status_code == 400
