"""gunicorn settings for CitizenVoice, read automatically when gunicorn starts in this folder.

Tracking codes are bearer secrets and travel in request paths (``/track/<code>``,
``/api/v1/feedback/<code>``), which gunicorn's access log writes out (the request line and the
Referer). Redaction is installed in the master before any logger is set up, so every worker it
forks inherits it, and again in each worker after it starts, in case the app was loaded first
(``--preload``) or a log configuration replaced the loggers' filters.
"""

from __future__ import annotations

import os
import sys
from typing import Any

# gunicorn reads this file before it imports the app: make the project importable from here.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from citizenvoice.log_redaction import install_log_redaction

install_log_redaction()

# On SIGTERM (systemd stop, supervisord stop, a deploy) the master stops accepting and gives
# each worker this long to finish the requests in hand before it is killed; the units' stop
# timeouts (45 s) leave room for it. A request is never near this long (submit p95 < 0.3 s).
graceful_timeout = 30
# Sync workers, two per core. The app is CPU-bound in Python (a submission costs the web
# process about 15 ms of CPU, an inbox page 13 ms, a tracking lookup 6-9 ms) and waits on
# PostgreSQL and Redis for two to four times as long again, so a second process per core keeps
# the core busy while the first waits; more processes only add memory and contention
# (benchmarks/bench_load.py, docs/load.md). Each process holds one PostgreSQL connection at a
# time. Override with ``-w N`` (or GUNICORN_CMD_ARGS="--workers N") on a bigger machine.
workers = 2 * (os.cpu_count() or 1)
worker_class = "sync"


def post_worker_init(worker: Any) -> None:
    """Re-install redaction in a freshly started worker (idempotent)."""
    install_log_redaction()


# On SIGTERM (systemd stop, supervisord stop, a deploy) the master stops accepting and gives
# each worker this long to finish the requests in hand before it is killed; the units' stop
# timeouts (45 s) leave room for it. A request is never near this long (submit p95 < 0.3 s).
graceful_timeout = 30
