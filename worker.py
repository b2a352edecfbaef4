"""The background worker: ``python worker.py`` (or ``--cron`` for the scheduler).

Builds the app once, checks that Redis will not evict queue keys, loads the nlp models before
taking any job, and runs an RQ worker on the named queues (analysis first, then scheduled, then
batch). By default it runs jobs in its own process (RQ's SimpleWorker): the models are loaded
once and a message costs milliseconds, so forking a work-horse per job would cost more than the
job; ``--fork`` gives each job its own process (RQ's Worker) for isolation instead.

Recovery: if a worker dies mid-job (SIGKILL, OOM), the job's StartedJobRegistry entry expires
after job timeout + 60 s and the next maintenance run of any live worker (every
``CITIZENVOICE_WORKER_MAINTENANCE`` seconds, default 15) retries it or marks it abandoned; the
outbox relay then re-queues anything still not analysed. With the 60-s analysis timeout a
killed job is running again within about 2.5 minutes. Its batch is not held that long: the dead
worker's transaction ends with its connection (no forked child keeps that open, and its
children stop with it), so the queued jobs of the batch's submissions take them at once.

Outages: a Redis outage at any moment (idle, mid-job, while a result is stored, during the
scheduler's tick) ends one run of RQ's loop, never the process: it logs, backs off (1 s
doubling to 30 s) and starts again, also against a Redis that came back empty (the scheduler
registers its schedule again; the relay re-queues what the empty Redis lost). SIGTERM or
SIGINT stops it: a busy worker finishes its job first, a draining job after its current batch.
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys
import time

import redis
from flask import Flask

from citizenvoice import create_app
from citizenvoice.extensions import db
from citizenvoice.jobs import QUEUE_NAMES, get_analyzer, periodic_jobs, worker_redis
from citizenvoice.jobs.forking import close_pool_before_fork, stop_children_with_parent
from citizenvoice.jobs.supervision import (
    SupervisedCronScheduler,
    SupervisedSimpleWorker,
    SupervisedWorker,
    forget_registration,
    run_supervised,
    stop_requested,
)
from citizenvoice.log_redaction import install_log_redaction

log = logging.getLogger("citizenvoice.worker")

REQUIRED_EVICTION_POLICY = "noeviction"


class RedisSettingsError(RuntimeError):
    """Redis is configured in a way that can lose queued jobs."""


def check_redis_settings(connection: object) -> None:
    """Refuse to run against a Redis that may evict keys (an evicted job is a lost job)."""
    policy = connection.config_get("maxmemory-policy").get("maxmemory-policy")  # type: ignore[attr-defined]
    if policy != REQUIRED_EVICTION_POLICY:
        raise RedisSettingsError(
            f"Redis maxmemory-policy is {policy!r}; set it to {REQUIRED_EVICTION_POLICY!r} "
            "(redis.conf: maxmemory-policy noeviction) so queued jobs are never evicted"
        )


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--queues", nargs="+", default=list(QUEUE_NAMES), help="queues, in priority order"
    )
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    parser.add_argument("--fork", action="store_true", help="run each job in a forked work-horse")
    parser.add_argument(
        "--cron", action="store_true", help="run the periodic-job scheduler instead"
    )
    parser.add_argument("--name", default=None, help="worker name (default: host and pid)")
    return parser.parse_args(argv)


def run_scheduler(app: Flask, connection: redis.Redis[bytes]) -> int:
    """The cron scheduler, rebuilt from ``periodic_jobs`` after every Redis outage."""

    def run_once() -> bool:
        check_redis_settings(connection)
        # A fresh scheduler each run: the schedule lives in this process and is registered in
        # Redis again (a Redis that came back empty has lost it); interval jobs run at once,
        # so the relay re-queues what the outage lost without waiting a full interval.
        scheduler = SupervisedCronScheduler(connection=connection)
        for periodic in periodic_jobs(app.config["RELAY_INTERVAL"]):
            scheduler.register(
                periodic.function,
                periodic.spec.queue,
                cron=periodic.cron,
                interval=periodic.interval,
                job_timeout=periodic.spec.timeout,
                failure_ttl=periodic.spec.failure_ttl,
            )
        if stop_requested():  # asked while the schedule was being built
            return True
        scheduler.start()  # type: ignore[no-untyped-call]
        return stop_requested()

    return run_supervised(run_once, "cron scheduler")


def run_worker(app: Flask, connection: redis.Redis[bytes], args: argparse.Namespace) -> int:
    """An RQ worker on ``args.queues``, restarted after every Redis outage until stopped."""
    worker_class = SupervisedWorker if args.fork else SupervisedSimpleWorker
    previous: list[SupervisedWorker | SupervisedSimpleWorker] = []

    def run_once() -> bool:
        forget_registration(previous.pop() if previous else None)
        check_redis_settings(connection)
        worker = worker_class(
            args.queues,
            connection=connection,
            name=args.name,
            worker_ttl=app.config["WORKER_TTL"],
            maintenance_interval=app.config["WORKER_MAINTENANCE_INTERVAL"],
        )
        previous.append(worker)
        worker.work(burst=args.burst, with_scheduler=True, logging_level="INFO")
        return stop_requested() or (args.burst and worker.drained)

    return run_supervised(run_once, "worker")


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run a worker or the cron scheduler until stopped."""
    args = _parse(argv)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stdout,
    )
    install_log_redaction()  # before the first record: RQ logs job arguments and results
    app = create_app()
    if not app.config.get("REDIS_URL"):
        log.error("REDIS_URL is not set: without Redis the web process analyses in-process")
        return 2
    connection = worker_redis(app.config["REDIS_URL"])
    try:
        if args.cron:
            return run_scheduler(app, connection)
        with app.app_context():
            started = time.perf_counter()
            get_analyzer()  # load models once, before any job (and before any fork)
            log.info("nlp models loaded in %.2f s", time.perf_counter() - started)
            # The app and the models live as long as the worker: keep them out of the cyclic
            # garbage collector's full passes, which otherwise walk jieba's dictionary and the
            # models' objects again and again (tens of milliseconds a pass), as pre-forking
            # servers do.
            gc.freeze()
            # RQ forks its scheduler (and with --fork a work-horse per job) from this process:
            # no child may hold a PostgreSQL socket of ours, nor outlive us (jobs.forking).
            db.session.remove()  # ends the registry read's transaction
            close_pool_before_fork(db.engine)
            stop_children_with_parent()
            return run_worker(app, connection, args)
    except RedisSettingsError as exc:
        log.error("%s", exc)
        return 2


if __name__ == "__main__":
    sys.exit(main())
