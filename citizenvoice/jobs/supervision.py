"""Keep a worker or the cron scheduler running through Redis outages, and stop it cleanly.

RQ's work loop ends ("found an unhandled exception, quitting...") when Redis fails outside its
dequeue wait: while a job's result is stored, during maintenance or a heartbeat, at start and
at teardown; the cron scheduler ends on any Redis error of a tick. Both loops here restart
them after a bounded exponential back-off, so an outage at any moment costs a log line and a
pause, never the process. A stop signal (SIGTERM, SIGINT) ends the loop: a busy worker
finishes its job first (RQ's warm shutdown) and a draining analysis job stops after its
current batch (``stop_requested``).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import redis
from rq import SimpleWorker, Worker
from rq.cron import CronScheduler

__all__ = [
    "Backoff",
    "SupervisedCronScheduler",
    "SupervisedSimpleWorker",
    "SupervisedWorker",
    "forget_registration",
    "request_stop",
    "run_supervised",
    "stop_requested",
]

log = logging.getLogger("citizenvoice.worker")

_STOP = threading.Event()


def stop_requested() -> bool:
    """True once this process was asked to stop: long jobs end after their current step."""
    return _STOP.is_set()


def request_stop() -> None:
    """Ask this process to stop (the signal handlers call it; tests may too)."""
    _STOP.set()


@dataclass
class Backoff:
    """Bounded exponential back-off: ``initial``, doubled per failure, at most ``maximum``."""

    initial: float = 1.0
    maximum: float = 30.0
    _next: float = field(default=0.0, init=False)

    def next_delay(self) -> float:
        """The pause before the next attempt (and double the one after it)."""
        delay = self._next or self.initial
        self._next = min(delay * 2, self.maximum)
        return delay

    def reset(self) -> None:
        """Start again from ``initial`` (after a run that worked for a while)."""
        self._next = 0.0


class _Supervised:
    """What the supervisor needs to know about one run of RQ's work loop."""

    drained = False  # a burst run found the queues empty: its work is done

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        """RQ's warm shutdown, remembered; with Redis down, stop after the current job."""
        request_stop()
        try:
            super().request_stop(signum, frame)  # type: ignore[misc]
        except redis.RedisError:
            # RQ asks Redis whether the worker is busy; unknown, so finish whatever runs.
            self._stop_requested = True

    def _install_signal_handlers(self) -> None:
        """RQ's handlers; a stop asked for while the run was starting ends it at once."""
        super()._install_signal_handlers()  # type: ignore[misc]
        if stop_requested():
            self._stop_requested = True

    def dequeue_job_and_maintain_ttl(
        self, timeout: int | None, max_idle_time: int | None = None
    ) -> Any:
        """RQ's dequeue; an empty result in burst mode means the queues were drained."""
        result = super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)  # type: ignore[misc]
        if result is None:
            self.drained = True
        return result


class SupervisedSimpleWorker(_Supervised, SimpleWorker):
    """RQ's SimpleWorker (jobs in the worker process) under ``run_supervised``."""


class SupervisedWorker(_Supervised, Worker):
    """RQ's forking Worker under ``run_supervised``."""


class SupervisedCronScheduler(CronScheduler):
    """RQ's CronScheduler whose stop signal is remembered (its own loop forgets it)."""

    def _request_stop(self, signum: int, frame: FrameType | None) -> None:
        request_stop()
        super()._request_stop(signum, frame)  # type: ignore[no-untyped-call]


def _on_signal(signum: int, frame: FrameType | None) -> None:
    log.info("stop requested (signal %s)", signum)
    request_stop()


def run_supervised(
    run_once: Callable[[], bool],
    what: str,
    backoff: Backoff | None = None,
    healthy_after: float = 60.0,
) -> int:
    """Call ``run_once`` until it reports its work done or a stop is requested; returns 0.

    ``run_once`` returns True when its work is finished (a drained burst, a requested stop);
    False or a Redis error means it ended early: log, pause (bounded exponential back-off,
    reset after a run that lasted ``healthy_after`` seconds) and run again.
    """
    backoff = backoff or Backoff()
    signals = (signal.SIGTERM, signal.SIGINT)
    previous = {sig: signal.getsignal(sig) for sig in signals}
    try:
        while not stop_requested():
            # Outside RQ's loop (starting, backing off) a signal only sets the flag; RQ
            # installs its own handlers while it runs and the mixins carry the flag over.
            for sig in signals:
                signal.signal(sig, _on_signal)
            if _run_and_pause(run_once, what, backoff, healthy_after):
                return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("%s stopped on request", what)
    return 0


def _run_and_pause(
    run_once: Callable[[], bool], what: str, backoff: Backoff, healthy_after: float
) -> bool:
    """One run; True when its work is done, else pause before the next (False)."""
    started = time.monotonic()
    try:
        if run_once():
            return True
        reason = "its loop ended early"
    except (redis.RedisError, OSError) as exc:
        reason = f"{type(exc).__name__}: {exc}"
    if stop_requested():
        return False
    if time.monotonic() - started > healthy_after:
        backoff.reset()
    delay = backoff.next_delay()
    log.warning("%s stopped (%s); restarting in %.0f s", what, reason, delay)
    _STOP.wait(delay)
    return False


def forget_registration(worker: Any) -> None:
    """Best effort: mark a previous run's worker dead, so a fixed ``--name`` can register again."""
    if worker is None:
        return
    with suppress(redis.RedisError):
        worker.register_death()
