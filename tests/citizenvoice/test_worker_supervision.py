"""The supervising loop around RQ's worker and scheduler: back-off, restarts, stop requests.

No services: ``run_once`` stands in for one run of RQ's loop (the real processes are tested in
test_worker_outages.py). The back-off is replaced by one of zero delay so nothing waits.
"""

from __future__ import annotations

import logging
import os
import signal
import threading

import pytest
import redis

from citizenvoice.jobs import supervision
from citizenvoice.jobs.supervision import Backoff, run_supervised


@pytest.fixture(autouse=True)
def _fresh_stop_flag():
    supervision._STOP.clear()
    yield
    supervision._STOP.clear()


def test_the_backoff_doubles_up_to_its_bound_and_resets():
    backoff = Backoff(initial=1, maximum=8)
    assert [backoff.next_delay() for _ in range(6)] == [1, 2, 4, 8, 8, 8]
    backoff.reset()
    assert backoff.next_delay() == 1


def test_redis_errors_and_early_ends_are_restarted_until_the_work_is_done(caplog):
    outcomes: list[object] = [
        redis.ConnectionError("Connection refused"),
        redis.TimeoutError("Timeout reading from socket"),
        False,  # RQ's loop ended on an exception it logged itself
        True,
    ]
    calls = []

    def run_once() -> bool:
        calls.append(1)
        outcome = outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return bool(outcome)

    with caplog.at_level(logging.WARNING, logger="citizenvoice.worker"):
        assert run_supervised(run_once, "worker", Backoff(initial=0, maximum=0)) == 0
    assert len(calls) == 4
    restarts = [r.getMessage() for r in caplog.records if "restarting in" in r.getMessage()]
    assert len(restarts) == 3
    assert "ConnectionError" in restarts[0] and "TimeoutError" in restarts[1]


def test_a_stop_request_ends_the_loop_with_0_even_after_a_redis_error():
    def run_once() -> bool:
        supervision.request_stop()  # SIGTERM during the run...
        raise redis.ConnectionError("gone")  # ...whose teardown then cannot reach Redis

    assert run_supervised(run_once, "worker", Backoff(initial=0, maximum=0)) == 0
    assert supervision.stop_requested()


def test_other_errors_are_not_swallowed():
    def run_once() -> bool:
        raise RuntimeError("a bug, not an outage")

    with pytest.raises(RuntimeError):
        run_supervised(run_once, "worker", Backoff(initial=0, maximum=0))


@pytest.mark.timeout(30)  # bounds a hang: a loop that waited out its 60-s pause fails
def test_sigterm_during_the_back_off_ends_the_loop_at_once():
    """A 60-s pause is cut short by SIGTERM (the process exits 0, it does not wait it out)."""
    calls = []

    def run_once() -> bool:
        calls.append(1)
        threading.Timer(0.2, os.kill, args=(os.getpid(), signal.SIGTERM)).start()
        raise redis.ConnectionError("Connection refused")

    before = signal.getsignal(signal.SIGTERM)
    assert run_supervised(run_once, "worker", Backoff(initial=60, maximum=60)) == 0
    assert calls == [1]
    assert signal.getsignal(signal.SIGTERM) is before  # the caller's handler is back
