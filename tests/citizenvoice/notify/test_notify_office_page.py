"""The office's delivery page: counts per channel and step, opt-outs, queue time percentiles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import login, make_user
from flask import Flask
from sqlalchemy import select

from citizenvoice.domain.accounts import Role
from citizenvoice.domain.notifications import QuietHours
from citizenvoice.extensions import db
from citizenvoice.jobs.notifications import send_due
from citizenvoice.models import Notification
from citizenvoice.services.notification_report import _percentile, delivery_report

from .conftest import file_complaint


def test_nearest_rank_percentiles_are_observed_values() -> None:
    values = [1.0, 2.0, 3.0, 4.0, 100.0]
    assert _percentile(values, 0.5) == 3.0
    assert _percentile(values, 0.95) == 100.0
    assert _percentile([7.0], 0.95) == 7.0


def test_queue_time_leaves_out_the_quiet_hours(notify_app: Flask) -> None:
    for _ in range(3):
        file_complaint(notify_app)
    with notify_app.app_context():
        assert send_due(None, QuietHours(None, None)) == {"sent": 3}
        rows = list(db.session.scalars(select(Notification).order_by(Notification.id)))
        # Queued 10 s and 20 s before sending; the third was filed at night, 8 hours before,
        # and could leave only 5 s before it did: its wait is 5 s, not 8 hours.
        for row, created, allowed in ((rows[0], 10, 10), (rows[1], 20, 20), (rows[2], 28_800, 5)):
            assert row.sent_at is not None
            row.created_at = row.sent_at - timedelta(seconds=created)
            row.not_before = row.sent_at - timedelta(seconds=allowed)
        db.session.commit()
        report = delivery_report()
    assert report.by_channel == {"sms": {"sent": 3}}
    assert report.by_event == {"accepted": {"sent": 3}}
    (sms,) = report.queue_times
    assert (sms.channel, sms.n) == ("sms", 3)
    assert round(sms.p50_seconds) == 10 and round(sms.p95_seconds) == 20


@pytest.mark.slow
def test_office_sees_the_page_and_staff_do_not(notify_app: Flask) -> None:
    file_complaint(notify_app)
    make_user(notify_app, Role.OFFICE, username="office_notify")
    make_user(notify_app, Role.DEPARTMENT_STAFF, "cgzf", username="staff_notify")
    page = login(notify_app, "office_notify").get("/office/notifications")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "消息送达" in html and "短信" in html and "受理" in html and "待发送" in html
    assert "近期没有已发送的消息" in html and "已退订的号码：0 个" in html
    assert login(notify_app, "staff_notify").get("/office/notifications").status_code in (403, 404)
    assert notify_app.test_client().get("/office/notifications").status_code in (302, 303)
