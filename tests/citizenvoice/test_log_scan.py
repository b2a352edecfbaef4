"""The suite's own log scan (tests/conftest.py) fails a run whose logs carry a phone number, an
ID number or a tracking code, from a log record or from a worker's log file, and passes a clean
run. Each run is a real pytest process on a copy of the suite's conftest."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import PROJECT_ROOT

from citizenvoice.domain.tracking import new_tracking_code

pytestmark = pytest.mark.slow  # each test runs a whole pytest session in a subprocess


def _run_suite(tmp_path: Path, body: str, *args: str) -> subprocess.CompletedProcess[str]:
    shutil.copy(PROJECT_ROOT / "tests" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tmp_path / "test_inner.py").write_text(body, encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT_ROOT), str(PROJECT_ROOT / "tests")])
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args, str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.timeout(180)
# make check and make test spread the suite over pytest-xdist workers: a worker's findings
# must fail the whole run too.
@pytest.mark.parametrize("spread", [(), ("-n", "2")], ids=["one_process", "xdist"])
def test_the_scan_fails_a_run_whose_logs_carry_personal_data(tmp_path, spread):
    code = new_tracking_code()
    worker_log = tmp_path / "worker.log"
    worker_log.write_text(f"job=analyse outcome=done code={code}\n", encoding="utf-8")
    result = _run_suite(
        tmp_path,
        "import logging\n"
        "from pathlib import Path\n"
        "from support import SUBPROCESS_LOGS\n\n"
        "def test_passes_but_logs():\n"
        "    logging.getLogger('citizenvoice.jobs').info('filed by 13912345678')\n"
        "    logging.getLogger('werkzeug').warning('id 110101199003071234')\n"
        f"    SUBPROCESS_LOGS.append(Path({str(worker_log)!r}))\n",
        *spread,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "1 passed" in output
    assert "phone number '13912345678'" in output
    assert "ID number '110101199003071234'" in output
    assert f"tracking code '{code}'" in output


@pytest.mark.timeout(180)
def test_the_scan_passes_a_clean_run(tmp_path):
    result = _run_suite(
        tmp_path,
        "import logging\n\n"
        "def test_logs_nothing_private():\n"
        "    logging.getLogger('citizenvoice.jobs').info('job=analyse duration_ms=3.0 case=42')\n",
    )
    assert result.returncode == 0, result.stdout + result.stderr
