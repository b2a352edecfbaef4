"""Staff accounts after creation: password change for everyone, reset from the CLI, account
management for system administrators (audited), and no residents' footer on staff pages."""

from __future__ import annotations

import pytest
from factories import PASSWORD, csrf_token, make_user, post_login
from sqlalchemy import select

from citizenvoice.extensions import db
from citizenvoice.models import AuditEntry, User

NEW_PASSWORD = "lantern-river-cobalt-9"
FOOTER = "您的意见将用于政府绩效评估中的群众评价"


def _audit(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.fixture
def admin(seeded, client):
    make_user(seeded, "system_admin", None, "root1")
    assert post_login(client, "root1").status_code == 303
    return "root1"


def test_every_user_changes_their_own_password_from_the_nav(seeded, client):
    make_user(seeded, "department_staff", "zjj", "zj1")
    post_login(client, "zj1")
    inbox = client.get("/staff").get_data(as_text=True)
    assert 'href="/staff/password"' in inbox
    page = client.get("/staff/password").get_data(as_text=True)
    form = {"csrf_token": csrf_token(page), "current": PASSWORD, "new": NEW_PASSWORD}
    mismatch = client.post("/staff/password", data={**form, "repeated": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 400 and "两次输入的新密码不一致" in mismatch.get_data(True)
    wrong = client.post(
        "/staff/password", data={**form, "current": "not-my-password", "repeated": NEW_PASSWORD}
    )
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.get_data(True)
    short = client.post("/staff/password", data={**form, "new": "short", "repeated": "short"})
    assert short.status_code == 400 and "密码至少 10 位" in short.get_data(True)
    done = client.post("/staff/password", data={**form, "repeated": NEW_PASSWORD})
    assert done.status_code == 303
    assert client.get("/staff").status_code == 200  # this browser stays signed in
    (entry,) = _audit(seeded, "password_change")
    assert entry.actor == "zj1" and NEW_PASSWORD not in str(entry.details)
    other = seeded.test_client()
    assert post_login(other, "zj1").status_code == 401  # the old password no longer works
    assert post_login(other, "zj1", NEW_PASSWORD).status_code == 303


def test_password_change_needs_csrf_and_sign_in(seeded, client):
    assert client.get("/staff/password").status_code in (302, 401)
    make_user(seeded, "department_staff", "zjj", "zj1")
    post_login(client, "zj1")
    refused = client.post(
        "/staff/password",
        data={"current": PASSWORD, "new": NEW_PASSWORD, "repeated": NEW_PASSWORD},
    )
    assert refused.status_code == 400
    with seeded.app_context():
        user = db.session.scalar(select(User).where(User.username == "zj1"))
        from werkzeug.security import check_password_hash

        assert check_password_hash(user.password_hash, PASSWORD)


def test_cli_reset_password_from_stdin_ends_sessions_and_is_audited(seeded, client):
    make_user(seeded, "office", None, "office1")
    post_login(client, "office1")
    assert client.get("/office/routing").status_code == 200
    result = seeded.test_cli_runner().invoke(
        args=["users", "reset-password", "--username", "office1", "--password-stdin"],
        input=NEW_PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert client.get("/office/routing").status_code != 200  # the old session ended
    assert post_login(seeded.test_client(), "office1", NEW_PASSWORD).status_code == 303
    (entry,) = _audit(seeded, "password_reset")
    assert entry.actor == "cli" and entry.subject_id == "office1"


def test_cli_reset_password_without_a_terminal_never_prompts(seeded):
    make_user(seeded, "office", None, "office1")
    runner = seeded.test_cli_runner()
    no_source = runner.invoke(args=["users", "reset-password", "--username", "office1"])
    assert no_source.exit_code != 0 and "not a terminal" in no_source.output
    short = runner.invoke(
        args=["users", "reset-password", "--username", "office1", "--password", "short"]
    )
    assert short.exit_code != 0 and "密码至少" in short.output
    unknown = runner.invoke(
        args=["users", "reset-password", "--username", "nobody", "--password", NEW_PASSWORD]
    )
    assert unknown.exit_code != 0 and "用户不存在" in unknown.output


def test_user_management_is_for_system_admins_only(seeded, client):
    make_user(seeded, "office", None, "office1")
    post_login(client, "office1")
    assert client.get("/staff/users").status_code == 403
    assert 'href="/staff/users"' not in client.get("/staff").get_data(as_text=True)


def test_admin_creates_moves_re_roles_and_disables_accounts(seeded, client, admin):
    page = client.get("/staff/users").get_data(as_text=True)
    assert 'id="users"' in page and "root1" in page
    token = csrf_token(page)
    created = client.post(
        "/staff/users",
        data={
            "csrf_token": token,
            "username": "cg1",
            "password": PASSWORD,
            "role": "department_staff",
            "department": "cgzf",
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "已创建账号 cg1" in created
    staff = seeded.test_client()
    assert post_login(staff, "cg1").status_code == 303
    moved = client.post(
        "/staff/users/cg1",
        data={"csrf_token": token, "role": "department_admin", "department": "zjj", "active": "1"},
    )
    assert moved.status_code == 303
    assert staff.get("/workspace/inbox").status_code != 200  # re-roled: signs in again
    disabled = client.post(
        "/staff/users/cg1",
        data={"csrf_token": token, "role": "department_admin", "department": "zjj", "active": "0"},
    )
    assert disabled.status_code == 303
    assert post_login(seeded.test_client(), "cg1").status_code == 401
    with seeded.app_context():
        user = db.session.scalar(select(User).where(User.username == "cg1"))
        assert (user.role, user.department.code, user.active) == ("department_admin", "zjj", False)
    (create_entry,) = _audit(seeded, "user_create")
    assert create_entry.actor == "root1" and PASSWORD not in str(create_entry.details)
    updates = _audit(seeded, "user_update")
    assert [u.details["after"]["active"] for u in updates] == [True, False]
    assert updates[0].details["before"] == {
        "role": "department_staff",
        "department": "cgzf",
        "active": True,
    }


def test_admin_page_refuses_bad_changes_with_a_message(seeded, client, admin):
    token = csrf_token(client.get("/staff/users").get_data(as_text=True))
    no_department = client.post(
        "/staff/users",
        data={
            "csrf_token": token,
            "username": "x1",
            "password": PASSWORD,
            "role": "department_staff",
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "须指定部门" in no_department
    last_admin = client.post(
        "/staff/users/root1",
        data={"csrf_token": token, "role": "office", "department": "", "active": "1"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "唯一的系统管理员" in last_admin
    no_csrf = client.post(
        "/staff/users/root1", data={"role": "office", "department": "", "active": "1"}
    )
    assert no_csrf.status_code == 400
    assert _audit(seeded, "user_update") == []


def test_staff_pages_do_not_carry_the_residents_footer(seeded, client, admin):
    assert FOOTER in seeded.test_client().get("/").get_data(as_text=True)
    for path in ("/staff", "/staff/password", "/staff/users", "/office/routing", "/login"):
        assert FOOTER not in client.get(path).get_data(as_text=True), path
