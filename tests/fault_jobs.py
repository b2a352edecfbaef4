"""Test-only RQ jobs for the fault tests: a job that holds a worker until the test releases it.

Never imported by the product; the fault tests put ``tests/`` on the worker's PYTHONPATH and
queue ``fault_jobs.gate_job`` by name, so the moment Redis goes away (mid-job, while the
result is stored) is chosen by the test, not by timing.
"""

from __future__ import annotations

import time
from pathlib import Path

# A gate nobody opens must not hold a worker for ever.
GATE_LIMIT_SECONDS = 300


def gate_job(directory: str) -> str:
    """Touch ``started``, wait for ``release`` to exist, touch ``returned`` and return."""
    folder = Path(directory)
    (folder / "started").touch()
    deadline = time.monotonic() + GATE_LIMIT_SECONDS
    while not (folder / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    (folder / "returned").touch()
    return "released"
