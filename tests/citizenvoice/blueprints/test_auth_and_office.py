"""Staff accounts, sign-in and sign-out, role checks, and the office's queue and routing pages."""

from __future__ import annotations

import pytest
from factories import PASSWORD, csrf_token, make_user, post_login
from sqlalchemy import select

from citizenvoice.extensions import db
from citizenvoice.models import StatusEvent, Submission, User
from citizenvoice.services.analysis import mark_analysis_failed


@pytest.fixture
def office_user(seeded):
    return make_user(seeded, "office", username="office1")


@pytest.fixture
def staff_user(seeded):
    return make_user(seeded, "department_staff", "zjj", "zj_staff")


def test_users_create_stores_a_scrypt_hash_and_lists_the_account(seeded):
    runner = seeded.test_cli_runner()
    args = ["users", "create", "--username", "office1", "--password", PASSWORD]
    created = runner.invoke(args=[*args, "--role", "office"])
    assert created.exit_code == 0, created.output
    with seeded.app_context():
        user = db.session.scalar(select(User).where(User.username == "office1"))
        assert user.password_hash.startswith("scrypt:")
        assert PASSWORD not in user.password_hash
    listed = runner.invoke(args=["users", "list"])
    assert "office1\toffice\t-\tactive" in listed.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "department_staff"], "须指定部门"),
        (["--role", "department_staff", "--department", "nope"], "部门不存在"),
        (["--role", "office", "--department", "zjj"], "不属于某个部门"),
    ],
)
def test_users_create_refuses_bad_accounts_with_a_clear_message(seeded, args, message):
    result = seeded.test_cli_runner().invoke(
        args=["users", "create", "--username", "u1", "--password", PASSWORD, *args]
    )
    assert result.exit_code != 0
    assert message in result.output


def test_users_create_refuses_short_passwords_and_duplicates(seeded, office_user):
    runner = seeded.test_cli_runner()
    short = runner.invoke(
        args=["users", "create", "--username", "u2", "--password", "short", "--role", "office"]
    )
    assert short.exit_code != 0 and "密码至少" in short.output
    args = ["users", "create", "--username", office_user, "--password", PASSWORD]
    again = runner.invoke(args=[*args, "--role", "office"])
    assert again.exit_code != 0 and "已存在" in again.output


def test_login_rotates_the_session_and_opens_the_office_pages(client, seeded, office_user):
    client.get("/login")
    response = post_login(client, office_user)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/office/queue")
    assert client.get("/office/queue").status_code == 200
    with seeded.app_context():
        first_token = db.session.scalar(
            select(User.session_token).where(User.username == office_user)
        )
    client.post(
        "/logout",
        data={"csrf_token": csrf_token(client.get("/office/queue").get_data(as_text=True))},
    )
    post_login(client, office_user)
    with seeded.app_context():
        second_token = db.session.scalar(
            select(User.session_token).where(User.username == office_user)
        )
    assert first_token != second_token


def test_wrong_password_and_unknown_user_get_the_same_generic_answer(client, office_user):
    wrong = post_login(client, office_user, "wrong-password-123")
    unknown = post_login(client, "nobody", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    message = "用户名或密码错误，或账号已停用"
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)


def test_five_failed_logins_a_minute_then_429(client, office_user):
    for _ in range(5):
        assert post_login(client, office_user, "wrong-password-123").status_code == 401
    assert post_login(client, office_user, "wrong-password-123").status_code == 429


def test_logout_really_ends_the_session_even_for_a_copied_cookie(client, seeded, office_user):
    post_login(client, office_user)
    stolen = client.get_cookie("session").value
    client.post(
        "/logout",
        data={"csrf_token": csrf_token(client.get("/office/queue").get_data(as_text=True))},
    )
    other = seeded.test_client()
    other.set_cookie("session", stolen)
    response = other.get("/office/queue")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_disabled_account_cannot_sign_in_and_its_sessions_end(client, seeded, office_user):
    post_login(client, office_user)
    assert (
        seeded.test_cli_runner()
        .invoke(args=["users", "disable", "--username", office_user])
        .exit_code
        == 0
    )
    assert client.get("/office/queue").status_code == 302
    assert post_login(client, office_user).status_code == 401


def test_office_pages_are_for_the_office_only(client, seeded, staff_user):
    anonymous = seeded.test_client()
    assert anonymous.get("/office/queue").status_code == 302
    post_login(client, staff_user)
    assert client.get("/office/queue").status_code == 403
    assert client.get("/office/routing").status_code == 403


def test_login_without_csrf_token_is_refused(client, office_user):
    response = client.post("/login", data={"username": office_user, "password": PASSWORD})
    assert response.status_code == 400


def test_office_sees_failed_analyses_and_retries_them(client, seeded, office_user, file_case):
    case_id = file_case("小区门口路灯坏了一个多月没人修，晚上出行很不安全。")
    with seeded.app_context():
        mark_analysis_failed(case_id, "boom")
        db.session.commit()
    post_login(client, office_user)
    page = client.get("/office/queue").get_data(as_text=True)
    assert f"#{case_id}" in page and "分析失败" in page
    response = client.post(
        "/office/queue/retry-analyses",
        data={"csrf_token": csrf_token(page), "submission_id": str(case_id)},
    )
    assert response.status_code == 303
    with seeded.app_context():
        assert db.session.get(Submission, case_id).analysis_status == "pending"


def test_office_routes_a_flagged_case_by_hand(client, seeded, office_user, file_case):
    case_id = file_case("这个问题不知道该找哪个部门，希望有人管一管。")
    with seeded.app_context():
        submission = db.session.get(Submission, case_id)
        submission.routing = "office"
        db.session.commit()
    post_login(client, office_user)
    page = client.get("/office/routing").get_data(as_text=True)
    assert f"#{case_id}" in page
    response = client.post(
        f"/office/routing/{case_id}", data={"csrf_token": csrf_token(page), "department": "mzj"}
    )
    assert response.status_code == 303
    with seeded.app_context():
        submission = db.session.get(Submission, case_id)
        assert submission.department.code == "mzj" and submission.routing == "office_done"
        notes = list(
            db.session.scalars(select(StatusEvent.note).where(StatusEvent.submission_id == case_id))
        )
        assert any(note.startswith("已分派至市民政局") for note in notes)
        assert submission.sign_due_at is not None
