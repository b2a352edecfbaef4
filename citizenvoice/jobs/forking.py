"""What a child forked from a worker inherits, and what it must not.

RQ forks from the worker process: its scheduler runs in a child (``with_scheduler``), and the
forking worker (``--fork``) runs each job in a work-horse child. A child inherits every open
file descriptor, PostgreSQL sockets included. If the worker then dies without closing its
connection (SIGKILL, the OOM killer), the child's copy keeps the socket open, so the server
never learns that its client is gone: the transaction the worker had open, with the row locks
of the batch it was analysing, lives as long as the child does. Every other worker's job for
those submissions then waits out its statement timeout and is retried into failure.

So a worker closes its pooled connections before every fork (between jobs, when RQ forks, the
pool holds all it has), and its children stop when it dies, as they would under systemd,
instead of running on unsupervised (a scheduler holding its lock, a work-horse its job).
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import weakref

from sqlalchemy.engine import Engine

__all__ = ["close_pool_before_fork", "stop_children_with_parent"]

log = logging.getLogger("citizenvoice.worker")

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def close_pool_before_fork(engine: Engine) -> None:
    """Close ``engine``'s pooled connections before every later fork of this process.

    A connection checked out at that moment is not closed: call this where none is (the
    session removed), as a worker is between jobs. The engine reconnects on its next use.
    """
    reference = weakref.ref(engine)

    def dispose() -> None:
        live = reference()
        if live is not None:
            live.dispose()

    os.register_at_fork(before=dispose)


def stop_children_with_parent() -> None:
    """Every child forked from now on gets SIGTERM when this process dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()

    def ask_for_parent_death_signal() -> None:
        if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
            log.warning(
                "child %s: no parent-death signal (errno %s)", os.getpid(), ctypes.get_errno()
            )
        elif os.getppid() != parent:  # the parent died before the request took effect
            os.kill(os.getpid(), signal.SIGTERM)

    os.register_at_fork(after_in_child=ask_for_parent_death_signal)
