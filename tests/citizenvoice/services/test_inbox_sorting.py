"""The inbox sorts by the deadline running now (soonest first) when asked."""

from __future__ import annotations

from datetime import timedelta

from support import file_submission

from citizenvoice.extensions import db
from citizenvoice.models import Submission, User, utcnow
from citizenvoice.services.cases import InboxFilters, inbox


def test_sort_by_due_puts_the_soonest_running_deadline_first(seeded):
    later = file_submission(
        seeded, "小区路灯坏了一个多月没人修，晚上出行很不安全。", department="cgzf"
    )
    sooner = file_submission(seeded, "人行道上的井盖缺失，老人小孩经过很危险。", department="cgzf")
    no_clock = file_submission(seeded, "建议在公园增加健身器材。", department=None)
    with seeded.app_context():
        now = utcnow()
        db.session.get(Submission, later).sign_due_at = now + timedelta(days=2)
        db.session.get(Submission, sooner).sign_due_at = now + timedelta(hours=1)
        office = User(
            username="o", password_hash="x", role="office", active=True, session_token="t"
        )
        db.session.add(office)
        db.session.commit()
        ids = [c.id for c in inbox(office, InboxFilters(sort="due")).items]
        assert ids.index(sooner) < ids.index(later) < ids.index(no_clock)
        newest = [c.id for c in inbox(office, InboxFilters()).items]
        assert newest.index(no_clock) < newest.index(sooner) < newest.index(later)
