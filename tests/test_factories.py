"""The shared test factories and fixtures (tests/factories.py, conftest ``auth``, ``make_user``,
``make_case``) do what the real product does, on both databases."""

from __future__ import annotations

import pytest
from factories import PASSWORD, STAGES
from sqlalchemy import func, select

from citizenvoice.extensions import db
from citizenvoice.models import CaseReply, FollowUp, StatusEvent, Submission, User

COMPLAINT = "小区门口的路灯坏了一个多月，晚上出行很不安全，请尽快派人维修。"


@pytest.fixture
def app(db_app):
    """Every test here runs on PostgreSQL and on the embedded SQLite (conftest.db_app)."""
    return db_app


def test_make_user_creates_an_active_account_through_the_service(seeded, make_user):
    named = make_user("department_staff", "cgzf", "cg_staff")
    unnamed = [make_user("office"), make_user("office")]
    assert named == "cg_staff" and len(set(unnamed)) == 2
    with seeded.app_context():
        user = db.session.scalar(select(User).where(User.username == "cg_staff"))
        assert user.active and user.role == "department_staff"
        assert user.department.code == "cgzf"
        assert user.password_hash.startswith("scrypt:") and PASSWORD not in user.password_hash


def test_auth_signs_in_with_the_login_form_and_out_with_the_logout_form(seeded, make_user, auth):
    make_user("office", username="office1")
    client = auth.login("office1")
    assert client.get("/office/queue").status_code == 200
    other = auth.login("office1")  # a second sign-in ends the first session
    assert other.get("/office/queue").status_code == 200
    assert client.get("/office/queue").status_code == 302
    assert auth.logout().status_code == 303
    assert other.get("/office/queue").status_code == 302  # back to the login page
    with pytest.raises(AssertionError):
        auth.login("office1", "wrong-password-123")  # a refused login fails the test


@pytest.mark.parametrize("until", STAGES)
def test_make_case_walks_a_case_through_the_workflow(seeded, make_case, until):
    case = make_case(COMPLAINT, department="cgzf", title="路灯不亮", until=until)
    # A satisfied follow-up closes the case.
    expected = {
        "filed": "received",
        "signed": "signed",
        "replied": "replied",
        "followed_up": "closed",
    }
    with seeded.app_context():
        stored = db.session.get(Submission, case["id"])
        assert stored.tracking_code == case["code"]
        assert stored.status == case["status"] == expected[until]
        events = set(
            db.session.scalars(
                select(StatusEvent.action).where(StatusEvent.submission_id == stored.id)
            )
        )
        replies = db.session.scalar(select(func.count()).select_from(CaseReply))
        follow_ups = db.session.scalar(select(func.count()).select_from(FollowUp))
    walked = STAGES.index(until)
    assert ("sign" in events) == (walked >= 1)
    assert replies == (1 if walked >= 2 else 0)
    assert follow_ups == (1 if walked >= 3 else 0)
