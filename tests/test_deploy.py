"""The supervised deployment in deploy/: systemd units, the Procfile and supervisord.

The units are checked by ``systemd-analyze verify`` where it exists (paths rewritten to this
checkout) and always by parsing for the keys a copyable deployment needs. The slow test starts
supervisord with deploy/supervisord.conf on private ports and a private Redis, SIGKILLs a
worker and sees supervisord start it again and the new worker analyse a submission.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import runpy
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select
from support import (
    PROJECT_ROOT,
    SUBPROCESS_LOGS,
    TEST_DATABASE_URL,
    RedisServer,
    wait_for,
)

from citizenvoice.extensions import db
from citizenvoice.models import Submission

DEPLOY = PROJECT_ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
REQUIRED_SERVICE_KEYS = {
    "User",
    "WorkingDirectory",
    "EnvironmentFile",
    "ExecStart",
    "Restart",
    "RestartSec",
    "MemoryMax",
    "LimitNOFILE",
    "TasksMax",
    "KillSignal",
    "TimeoutStopSec",
}


def _unit(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser


def test_the_three_units_exist():
    assert {unit.name for unit in UNITS} == {
        "citizenvoice-web.service",
        "citizenvoice-worker@.service",
        "citizenvoice-scheduler.service",
    }


@pytest.mark.parametrize("path", UNITS, ids=lambda path: path.name)
def test_each_unit_restarts_always_with_limits_and_an_environment_file(path: Path):
    unit = _unit(path)
    service = unit["Service"]
    assert set(service) >= REQUIRED_SERVICE_KEYS, REQUIRED_SERVICE_KEYS - set(service)
    assert service["Restart"] == "always"
    assert service["User"] not in {"", "root"}
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    assert "worker.py" in service["ExecStart"] or "gunicorn" in service["ExecStart"]


def test_the_web_unit_migrates_before_it_starts_and_the_others_run_worker_py():
    web = _unit(DEPLOY / "systemd" / "citizenvoice-web.service")["Service"]
    assert web["ExecStartPre"].endswith("flask --app wsgi db upgrade")
    assert "gunicorn -c" in web["ExecStart"]
    scheduler = _unit(DEPLOY / "systemd" / "citizenvoice-scheduler.service")["Service"]
    assert scheduler["ExecStart"].endswith("worker.py --cron")
    worker = _unit(DEPLOY / "systemd" / "citizenvoice-worker@.service")["Service"]
    assert worker["ExecStart"].endswith("worker.py")
    # A worker may finish a 60-s job after SIGTERM before it is killed.
    assert int(worker["TimeoutStopSec"]) > 60


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_analyze_verifies_the_units(tmp_path: Path):
    names = []
    for path in UNITS:
        text = path.read_text(encoding="utf-8")
        text = text.replace("/opt/citizenvoice/.venv", sys.prefix)
        text = text.replace("/opt/citizenvoice", str(PROJECT_ROOT))
        name = path.name.replace("@.service", "@1.service")
        (tmp_path / name).write_text(text, encoding="utf-8")
        names.append(f"./{name}")
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *names],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Unknown" not in result.stderr, result.stderr  # unknown keys only warn


def _procfile() -> dict[str, str]:
    lines = (DEPLOY / "Procfile").read_text(encoding="utf-8").splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def _supervisor_programs() -> dict[str, str]:
    parser = configparser.RawConfigParser()
    parser.read(DEPLOY / "supervisord.conf", encoding="utf-8")
    return {
        section.removeprefix("program:"): parser[section]["command"]
        for section in parser.sections()
        if section.startswith("program:")
    }


def test_supervisord_runs_the_procfile_processes_with_autorestart():
    procfile = _procfile()
    programs = _supervisor_programs()
    assert set(programs) == set(procfile) - {"release"}
    for name, command in programs.items():
        # The same program and arguments, with the venv's binaries and supervisord's syntax.
        normalised = re.sub(r"%\(ENV_CITIZENVOICE_VENV\)s/bin/", "", command)
        normalised = re.sub(r"%\(ENV_(\w+)\)s", r"${\1}", normalised)
        assert normalised == procfile[name]
    parser = configparser.RawConfigParser()
    parser.read(DEPLOY / "supervisord.conf", encoding="utf-8")
    for name in programs:
        assert parser[f"program:{name}"]["autorestart"] == "true"


def test_gunicorn_lets_workers_drain_on_sigterm():
    namespace = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))
    assert isinstance(namespace["graceful_timeout"], int)
    assert 0 < namespace["graceful_timeout"] < 45  # inside the units' stop timeouts


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _status(env: dict[str, str]) -> dict[str, tuple[str, int | None]]:
    """supervisorctl status: {process name: (state, pid)}."""
    result = subprocess.run(
        [
            str(Path(sys.prefix) / "bin" / "supervisorctl"),
            "-c",
            str(DEPLOY / "supervisord.conf"),
            "status",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    states: dict[str, tuple[str, int | None]] = {}
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            pid = re.search(r"pid (\d+)", line)
            states[parts[0]] = (parts[1], int(pid.group(1)) if pid else None)
    return states


@pytest.mark.redis
@pytest.mark.worker
@pytest.mark.slow
def test_supervisord_brings_a_killed_worker_back_and_it_analyses(seeded, tmp_path: Path):
    if not (Path(sys.prefix) / "bin" / "supervisord").exists():
        pytest.fail("supervisor is not installed (pip install -e '.[test]')")
    redis_server = RedisServer()
    redis_server.start()
    port = _free_port()
    env = dict(os.environ)
    env.update(
        {
            "CITIZENVOICE_ENV": "testing",
            "DATABASE_URL": TEST_DATABASE_URL,
            "REDIS_URL": redis_server.url,
            "CITIZENVOICE_VENV": sys.prefix,
            "CITIZENVOICE_RUN_DIR": str(tmp_path),
            "CITIZENVOICE_BIND": f"127.0.0.1:{port}",
            "CITIZENVOICE_WEB_WORKERS": "1",
        }
    )
    supervisord = subprocess.Popen(
        [str(Path(sys.prefix) / "bin" / "supervisord"), "-c", str(DEPLOY / "supervisord.conf")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(
            lambda: [state for state, _ in _status(env).values()].count("RUNNING") == 4,
            timeout=120,
            interval=1,
        )
        _, victim = _status(env)["worker:worker-0"]
        assert victim is not None
        os.kill(victim, signal.SIGKILL)
        wait_for(
            lambda: (
                _status(env)["worker:worker-0"][0] == "RUNNING"
                and _status(env)["worker:worker-0"][1] != victim
            ),
            timeout=120,
            interval=1,
        )
        # Only the restarted worker listens: the other one is stopped, so it must do the work.
        subprocess.run(
            [
                str(Path(sys.prefix) / "bin" / "supervisorctl"),
                "-c",
                str(DEPLOY / "supervisord.conf"),
                "stop",
                "worker:worker-1",
            ],
            env=env,
            capture_output=True,
            timeout=120,
            check=True,
        )
        wait_for(lambda: _http_ok(port), timeout=60, interval=0.5)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/feedback",
            data=json.dumps(
                {
                    "kind": "complaint",
                    "department": None,
                    "text": "小区电梯一个月内坏了四次，物业说没有维修资金，老人小孩上下楼非常困难。",
                }
            ).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 201

        def analysed() -> bool:
            with seeded.app_context():
                statuses = list(db.session.scalars(select(Submission.analysis_status)))
                db.session.remove()
            return statuses == ["done"]

        wait_for(analysed, timeout=120, interval=0.5)
    finally:
        supervisord.send_signal(signal.SIGTERM)
        supervisord.wait(timeout=120)
        redis_server.stop()
        SUBPROCESS_LOGS.extend(tmp_path.glob("*.log"))
    assert supervisord.returncode == 0


def _http_ok(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.mark.slow
def test_gunicorn_finishes_the_request_in_hand_on_sigterm(seeded, tmp_path: Path):
    """SIGTERM arrives while a submission's body is still on its way: it is answered, then
    gunicorn exits 0 (graceful_timeout lets the worker finish)."""
    port = _free_port()
    env = dict(os.environ)
    env.update({"CITIZENVOICE_ENV": "testing", "DATABASE_URL": TEST_DATABASE_URL, "PYTHONPATH": ""})
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [
                str(Path(sys.prefix) / "bin" / "gunicorn"),
                "-c",
                "gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "wsgi:app",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    SUBPROCESS_LOGS.append(log_path)
    try:
        wait_for(lambda: _http_ok(port), timeout=60, interval=0.5)
        body = json.dumps(
            {
                "kind": "complaint",
                "department": None,
                "text": "路灯坏了两个星期，晚上很黑，请尽快修理。",
            }
        ).encode()
        head = (
            f"POST /api/v1/feedback HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", port), timeout=60) as client:
            client.sendall(head + body[:10])  # the worker is now reading the rest of the body
            server.send_signal(signal.SIGTERM)
            wait_for(lambda: b"Handling signal: term" in log_path.read_bytes(), timeout=30)
            client.sendall(body[10:])
            answer = b""
            while chunk := client.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 201"), answer[:200]
        assert server.wait(timeout=60) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=30)
