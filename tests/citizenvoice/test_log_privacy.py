"""No log line carries a phone number, an ID number or a tracking code: SQL errors hide their
parameters, and the app's, werkzeug's and gunicorn's logs redact codes in paths and personal
data anywhere in a message or traceback."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from support import PROJECT_ROOT, TEST_DATABASE_URL, TEST_REDIS_URL, file_submission, worker_env
from werkzeug.serving import make_server

from citizenvoice.domain.tracking import new_tracking_code
from citizenvoice.extensions import db
from citizenvoice.log_redaction import SENSITIVE_PATTERNS, redact_log_text
from citizenvoice.models import FollowUp, Submission
from config import DevelopmentConfig, ProductionConfig, TestingConfig

PHONE = "13912345678"
ID_NUMBER = "11010119900307123X"


def _leaks(text: str) -> list[str]:
    return [name for name, pattern in SENSITIVE_PATTERNS.items() if pattern.search(text)]


class _Collect(logging.Handler):
    """Every formatted line that reaches it, tracebacks included."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def _collected(*names: str) -> Iterator[_Collect]:
    handler = _Collect()
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


def test_redaction_replaces_codes_phones_and_id_numbers_and_leaves_the_rest():
    code = new_tracking_code()
    line = (
        f'127.0.0.1 "GET /track/{code}/follow-up HTTP/1.1" 303 "https://x/track/{code}" '
        f"/api/v1/feedback/{code} /submitted/{code} /track?code={code} "
        f"bare {code} phone {PHONE} +86 139-1234-5678 id {ID_NUMBER}"
    )
    clean = redact_log_text(line)
    assert _leaks(clean) == [], clean
    assert "/track/[code]/follow-up" in clean and "/api/v1/feedback/[code]" in clean
    assert "/track?code=[code]" in clean and "[phone]" in clean and "[id-number]" in clean
    ordinary = "job=analyse-submission-12345 duration_ms=12.5 case=42 sha=" + "ab" * 32
    assert redact_log_text(ordinary) == ordinary


def test_every_environment_hides_sql_parameters():
    environ = {
        "SECRET_KEY": "x",
        "DATABASE_URL": "postgresql://u@h/db",
        "REDIS_URL": "redis://h/0",
    }
    for config in (DevelopmentConfig, TestingConfig, ProductionConfig):
        assert config(environ).SQLALCHEMY_ENGINE_OPTIONS["hide_parameters"] is True


def test_a_database_error_does_not_carry_the_residents_words(file_case, seeded):
    case_id = file_case("路灯坏了一个月，晚上出行很不方便，请尽快修复。")
    comment = f"请回电 {PHONE}，身份证 {ID_NUMBER}"
    with seeded.app_context():
        db.session.execute(insert(FollowUp).values(submission_id=case_id, comment="first"))
        with pytest.raises(IntegrityError) as failed:
            db.session.execute(insert(FollowUp).values(submission_id=case_id, comment=comment))
        db.session.rollback()
    assert PHONE not in str(failed.value) and ID_NUMBER not in str(failed.value)
    assert "hidden" in str(failed.value)


def test_the_apps_error_log_redacts_the_path_and_the_traceback(seeded):
    code = new_tracking_code()
    with _collected("citizenvoice") as collected, seeded.test_request_context(f"/track/{code}"):
        try:
            raise ValueError(f"bad comment {PHONE} {ID_NUMBER}")
        except ValueError:
            seeded.logger.exception("unhandled error on GET /track/%s", code)
    text = "\n".join(collected.lines)
    assert "unhandled error on GET /track/[code]" in text and "ValueError" in text
    assert _leaks(text) == [], text


def test_the_development_servers_request_log_has_no_tracking_code(seeded):
    case_id = file_submission(seeded, "小区门口的下水道堵塞，污水外溢，气味很大，请处理。")
    with seeded.app_context():
        code = db.session.get(Submission, case_id).tracking_code
    server = make_server("127.0.0.1", 0, seeded, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        with _collected("werkzeug") as collected:
            base = f"http://127.0.0.1:{server.server_port}"
            for path in (f"/track/{code}", f"/api/v1/feedback/{code}"):
                with urllib.request.urlopen(base + path, timeout=30) as response:
                    assert response.status == 200
    finally:
        server.shutdown()
        thread.join(timeout=10)
    text = "\n".join(collected.lines)
    assert "GET /track/[code]" in text and "GET /api/v1/feedback/[code]" in text, text
    assert code not in text and _leaks(text) == []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.timeout(120)
def test_gunicorns_access_log_has_no_tracking_code(seeded, tmp_path: Path):
    """The documented deployment (gunicorn in the project folder reads gunicorn.conf.py)."""
    case_id = file_submission(seeded, "小区门口的下水道堵塞，污水外溢，气味很大，请处理。")
    with seeded.app_context():
        code = db.session.get(Submission, case_id).tracking_code
    port = _free_port()
    access, errors = tmp_path / "access.log", tmp_path / "error.log"
    env = worker_env(TEST_DATABASE_URL, TEST_REDIS_URL)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--no-control-socket",
            "--access-logfile",
            str(access),
            "--error-logfile",
            str(errors),
            "wsgi:app",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + f"/track/{code}", timeout=10) as response:
                    assert response.status == 200
                    break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("gunicorn did not start: " + errors.read_text(errors="replace"))
                time.sleep(0.3)
        request = urllib.request.Request(
            base + f"/api/v1/feedback/{code}", headers={"Referer": f"{base}/track/{code}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = access.read_text(encoding="utf-8")
    assert '"GET /track/[code] HTTP/1.1" 200' in text, text
    assert '"GET /api/v1/feedback/[code] HTTP/1.1" 200' in text, text
    logs = text + errors.read_text(encoding="utf-8", errors="replace")
    assert code not in logs and _leaks(logs) == [], logs
