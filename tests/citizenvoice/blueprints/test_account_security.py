"""Per-account sign-in back-off, how `users create` takes a password, and which client address
the rate limits key on behind (or without) a reverse proxy."""

from __future__ import annotations

import fcntl
import os
import select
import subprocess
import sys
import termios
import time

import pytest
from factories import PASSWORD, make_user, post_login
from sqlalchemy import select as sql_select
from support import PROJECT_ROOT, TEST_DATABASE_URL, TEST_REDIS_URL, testing_config, worker_env

from citizenvoice import create_app
from citizenvoice.extensions import db
from citizenvoice.models import User

COMPLAINT = "A1区人民路夜市每天晚上占道经营到凌晨，噪音和油烟严重影响居民休息，请城管尽快处理。"


def _attempt(client, username: str, password: str, address: str):
    """One sign-in from ``address`` (each from its own address, so the per-IP limit is idle)."""
    return post_login(client, username, password, environ_base={"REMOTE_ADDR": address})


@pytest.fixture
def office_user(seeded):
    return make_user(seeded, "office", username="office1")


# --------------------------------------------------------------------------- per-account back-off


@pytest.mark.parametrize("username", ["office1", "no-such-user"])
def test_five_failures_for_one_username_lock_it_from_every_address(client, office_user, username):
    for i in range(5):
        assert _attempt(client, username, "wrong-password-1", f"198.51.100.{i}").status_code == 401
    locked = _attempt(client, username, PASSWORD, "203.0.113.9")  # even the right password
    assert locked.status_code == 429
    assert "该账号登录失败次数过多，请 1 分钟后再试" in locked.get_data(as_text=True)
    assert 0 < int(locked.headers["Retry-After"]) <= 60
    # Another account is not affected.
    other = _attempt(client, "someone-else", "wrong-password-1", "203.0.113.10")
    assert other.status_code == 401


def test_an_unknown_username_gets_the_same_answers_as_a_real_one(client, office_user):
    answers = {}
    for username in ("office1", "no-such-user"):
        seen = []
        for i in range(6):
            response = _attempt(client, username, "wrong-password-1", f"198.51.100.{i + 20}")
            seen.append((response.status_code, "分钟后再试" in response.get_data(as_text=True)))
        answers[username] = seen
    assert answers["office1"] == answers["no-such-user"]


def test_each_further_lock_lasts_longer(client, office_user, redis_client):
    for i in range(5):
        _attempt(client, "office1", "wrong-password-1", f"198.51.100.{i}")
    first = _attempt(client, "office1", "wrong-password-1", "198.51.100.50")
    assert int(first.headers["Retry-After"]) <= 60
    # The first lock runs out (its key expires in the limiter's Redis).
    for key in redis_client.scan_iter(match="*citizenvoice:login:lock:*"):
        redis_client.delete(key)
    for i in range(5):
        assert _attempt(client, "office1", "wrong-password-1", f"198.51.100.{i + 60}").status_code
    second = _attempt(client, "office1", PASSWORD, "198.51.100.70")
    assert second.status_code == 429
    assert 60 < int(second.headers["Retry-After"]) <= 120
    assert "2 分钟后再试" in second.get_data(as_text=True)


def test_a_successful_sign_in_clears_the_failures(client, office_user):
    for i in range(4):
        _attempt(client, "office1", "wrong-password-1", f"198.51.100.{i}")
    assert _attempt(client, "office1", PASSWORD, "198.51.100.9").status_code == 303
    other = type(client)(client.application, client.response_wrapper, use_cookies=True)
    for i in range(4):
        response = _attempt(other, "office1", "wrong-password-1", f"198.51.100.{i + 10}")
        assert response.status_code == 401
    assert _attempt(other, "office1", PASSWORD, "198.51.100.19").status_code == 303


# --------------------------------------------------------------------------- users create


def _user_exists(app, username: str) -> bool:
    with app.app_context():
        return db.session.scalar(sql_select(User).where(User.username == username)) is not None


def test_users_create_reads_the_password_from_stdin(seeded, client):
    result = seeded.test_cli_runner().invoke(
        args=["users", "create", "--username", "viastdin", "--password-stdin", "--role", "office"],
        input="a-long-unusual-secret\nignored second line\n",
    )
    assert result.exit_code == 0, result.output
    assert _attempt(client, "viastdin", "a-long-unusual-secret", "198.51.100.1").status_code == 303


def test_users_create_without_a_terminal_or_an_option_stops_with_a_clear_error(seeded):
    result = seeded.test_cli_runner().invoke(
        args=["users", "create", "--username", "nopass", "--role", "office"], input=""
    )
    assert result.exit_code != 0
    assert "--password-stdin" in result.output
    assert not _user_exists(seeded, "nopass")


def test_users_create_refuses_a_common_password_with_the_reason(seeded):
    result = seeded.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "--username",
            "u3",
            "--password",
            "woaini1314520",
            "--role",
            "office",
        ]
    )
    assert result.exit_code != 0 and "密码过于常见" in result.output
    assert not _user_exists(seeded, "u3")


def test_users_create_help_warns_that_password_is_visible(seeded):
    result = seeded.test_cli_runner().invoke(args=["users", "create", "--help"])
    assert "visible to other local users" in " ".join(result.output.split())


def _read_until(fd: int, needle: bytes, timeout: float = 60) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            pytest.fail(f"no {needle!r} on the terminal; saw {seen!r}")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 1024)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


def test_users_create_in_a_terminal_asks_twice_without_echo(seeded):
    """A real pseudo-terminal: the command prompts, hides what is typed, and creates the user."""
    master, slave = os.openpty()

    def _controlling_terminal() -> None:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    env = worker_env(TEST_DATABASE_URL, TEST_REDIS_URL)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "wsgi",
            "users",
            "create",
            "--username",
            "viatty",
            "--role",
            "office",
        ],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=PROJECT_ROOT,
        env=env,
        start_new_session=True,
        preexec_fn=_controlling_terminal,  # the pty must be its controlling terminal
    )
    os.close(slave)
    try:
        _read_until(master, b"Password:")
        os.write(master, b"tty-typed-secret-42\n")
        _read_until(master, b"confirmation:")
        os.write(master, b"tty-typed-secret-42\n")
        output = _read_until(master, b"created viatty")
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    assert b"tty-typed-secret-42" not in output  # not echoed
    assert _user_exists(seeded, "viatty")


# --------------------------------------------------------------------------- proxy and limiter


def _submit(client, forwarded_for: str):
    return client.post(
        "/api/v1/feedback",
        json={"kind": "complaint", "department": "cgzf", "text": COMPLAINT},
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )


def test_without_a_trusted_proxy_a_rotating_forwarded_for_does_not_escape_the_limit(seeded):
    app = create_app(
        testing_config(CITIZENVOICE_PROXY_COUNT="0", CITIZENVOICE_SUBMISSION_LIMIT="2/minute")
    )
    client = app.test_client()
    statuses = [_submit(client, f"198.51.100.{i}").status_code for i in range(3)]
    assert statuses == [201, 201, 429]


def test_with_one_trusted_proxy_the_rightmost_forwarded_address_is_the_client(seeded):
    app = create_app(
        testing_config(CITIZENVOICE_PROXY_COUNT="1", CITIZENVOICE_SUBMISSION_LIMIT="2/minute")
    )
    client = app.test_client()
    # Different rightmost addresses are different clients (behind the one proxy)...
    assert [_submit(client, f"198.51.100.{i}").status_code for i in range(3)] == [201] * 3
    # ...and whatever a client puts to the left of its real address is ignored.
    statuses = [_submit(client, f"192.0.2.{i}, 203.0.113.7").status_code for i in range(3)]
    assert statuses == [201, 201, 429]
