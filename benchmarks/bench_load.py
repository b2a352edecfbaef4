"""The production stack under a mixed load, driven by locust: latency, errors, the bottleneck.

Prints one JSON object. Run from the repository root (DATABASE_URL names the PostgreSQL server,
whose database ``--database`` is dropped and recreated; REDIS_URL names a Redis database of
this run's own, which is flushed)::

    python -m benchmarks.bench_load [--submit-rate 30] [--read-rate 120] [--seconds 60]
        [--workers 4] [--rq-workers 2] [--find-max] [--url http://127.0.0.1:8000]

What it does (everything on 127.0.0.1):

1. creates, migrates and loads ``--database`` with ``--cases`` cases and their analyses
   (the 19 demo departments and one more, ``benchmarks.bench_inbox.load_cases``), gives 5,000
   of them real tracking codes, and makes one department staff account per signed-in load
   user (the busiest departments first);
2. starts gunicorn (``gunicorn.conf.py``, ``--workers`` sync processes) and ``--rq-workers``
   ``python worker.py`` processes in production configuration, with the submission and
   lookup rate limits set to 1,000,000 a minute for this run only (the limits would
   otherwise turn the load into 429s: they are per client address, and every request here
   comes from 127.0.0.1);
3. runs ``locust --headless`` (``benchmarks/load_locustfile.py``) with a fixed number of users
   per request type, each paced by ``constant_throughput``, so the offered rates are
   ``--submit-rate`` submissions (``POST /api/v1/feedback``) and ``--read-rate`` reads a second:
   30% ``GET /api/v1/feedback/<code>``, 20% ``GET /track/<code>``, 20% ``GET /workspace/``
   (signed-in department users), 20% public pages (``/`` and ``/submit/complaint``), 10%
   ``/healthz`` (``/`` when the app has no ``/healthz``: said in the output). Statistics are
   reset after ``--warmup`` seconds, then ``--seconds`` are measured; the run is bounded in
   time (locust ``-t``) and so in requests (rate times time);
4. samples the CPU of gunicorn's processes, the workers, this database's PostgreSQL backends,
   the Redis server (shared: other work shows up there) and locust every second;
5. after the run, with the stack stopped, measures in-process what each request type costs
   the web process (``benchmarks.load_costs``: CPU and wall ms a request, ``--cost-requests``
   of each), which holds on a busy machine far better than the latencies do.

Per request type: requests, throughput, failures, p50 / p95 / p99 (locust's percentiles, ms)
and p95 as a ratio to the probe's p95. A step *meets the target* when every type is served at
95% of its offered rate or more, there are no failures, and submissions' p95 is under
``--target-p95`` ms. ``--find-max`` multiplies the mix by each factor of ``--steps`` in turn and
stops at the first step that misses: the output names the highest mix that met the target, the
first that did not, and the bottleneck there (the machine's CPU when other work holds it,
else the process group using the most CPU). ``--workers 2,4,8`` measures each gunicorn size in
turn on the same database.
``--url`` measures a stack started elsewhere on this machine (nothing is started or seeded;
codes come from submissions made before the run, staff from ``--staff-login``; that stack's
rate limits must be raised as above). The machine's load average is in the output: other work
on a shared machine changes every figure.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.load_costs import measure_costs
from benchmarks.load_stack import CpuSampler, Stack, seed_stack, start_processes

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# Share of the read rate per request type (sums to 1).
READ_MIX = {"track_api": 0.3, "track_page": 0.2, "inbox": 0.2, "public": 0.2, "health": 0.1}
PER_USER_MAX = 1.0  # requests a second one locust user makes: 1 s before it falls behind
SERVED_SHARE = 0.95


def plan_classes(submit_rate: float, read_rate: float) -> dict[str, dict[str, float]]:
    """Users and per-user rate of each locust class for the given offered rates."""
    rates = {"submit": submit_rate, **{k: read_rate * v for k, v in READ_MIX.items()}}
    classes = {}
    for kind, rate in rates.items():
        users = math.ceil(rate / PER_USER_MAX - 1e-9) if rate > 0 else 0
        classes[kind] = {"users": users, "per_user": rate / users if users else 0.0, "rate": rate}
    return classes


CLASS_NAMES = {
    "submit": "Submitter",
    "track_api": "TrackApi",
    "track_page": "TrackPage",
    "public": "PublicPages",
    "inbox": "Staff",
    "health": "Probe",
}


def _number(text: str | None) -> float:
    """A locust CSV figure; 0 for the "N/A" of a name without requests."""
    try:
        return float(text or 0)
    except ValueError:
        return 0.0


def read_stats(path: Path, seconds: float) -> dict[str, dict[str, Any]]:
    """Locust's ``*_stats.csv`` as {name: figures}; throughput over the measured seconds."""
    rows: dict[str, dict[str, Any]] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            count = int(row["Request Count"])
            if not count:
                continue  # sign-ins happen in the warm-up, before the statistics are reset
            rows[row["Name"]] = {
                "requests": count,
                "per_second": round(count / seconds, 1),
                "failures": int(row["Failure Count"]),
                "p50_ms": _number(row["50%"]),
                "p95_ms": _number(row["95%"]),
                "p99_ms": _number(row["99%"]),
                "max_ms": round(_number(row["Max Response Time"]), 1),
            }
    return rows


def run_locust(
    url: str, plan: dict[str, Any], args: argparse.Namespace, workdir: Path, label: str
) -> tuple[dict[str, Any], tuple[float, float]]:
    """One locust run of ``plan``: (stats by name, (measurement's start time, its seconds))."""
    plan_path = workdir / f"{label}-plan.json"
    marker = workdir / f"{label}-measuring"
    marker.unlink(missing_ok=True)  # a run before (another gunicorn size) left its own
    plan["reset_after"] = args.warmup
    plan["marker"] = str(marker)
    plan_path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    classes = [CLASS_NAMES[k] for k, c in plan["classes"].items() if c["users"]]
    users = sum(int(c["users"]) for c in plan["classes"].values())
    command = [
        str(BIN / "locust"),
        "-f",
        str(ROOT / "benchmarks" / "load_locustfile.py"),
        "--headless",
        "--host",
        url,
        "-u",
        str(users),
        "-r",
        str(max(users, 1)),
        "-t",
        f"{math.ceil(args.warmup + args.seconds + 1)}s",
        "--stop-timeout",
        "5",
        "--csv",
        str(workdir / label),
        "--loglevel",
        "ERROR",
        "--only-summary",
        "--exit-code-on-error",
        "0",
        *classes,
    ]
    env = {**os.environ, "CITIZENVOICE_LOAD_PLAN": str(plan_path)}
    log = workdir / f"{label}-locust.log"
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run(
            command,
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=args.warmup + args.seconds + 180,
            check=False,
        )
    if done.returncode != 0 or not marker.exists():
        raise RuntimeError(f"locust failed ({done.returncode}):\n{log.read_text()[-3000:]}")
    window = json.loads(marker.read_text(encoding="utf-8"))
    if "start" not in window:
        raise RuntimeError("locust stopped before the warm-up ended")
    measured = float(window.get("stop", window["start"] + args.seconds)) - float(window["start"])
    stats = read_stats(workdir / f"{label}_stats.csv", measured)
    return stats, (float(window["start"]), measured)


def summarise(
    stats: dict[str, dict[str, Any]], plan: dict[str, Any], target_p95: float
) -> dict[str, Any]:
    """Per-type figures with p95 ratios to the probe, and whether the step met the target."""
    probe_name = f"GET {plan['health_path']} (probe)"
    probe_p95 = stats.get(probe_name, {}).get("p95_ms") or 0.0
    for row in stats.values():
        row["p95_vs_probe"] = round(row["p95_ms"] / probe_p95, 1) if probe_p95 else None
    offered = {
        "POST /api/v1/feedback": plan["classes"]["submit"]["rate"],
        "GET /api/v1/feedback/[code]": plan["classes"]["track_api"]["rate"],
        "GET /track/[code]": plan["classes"]["track_page"]["rate"],
        "GET /workspace/": plan["classes"]["inbox"]["rate"],
        probe_name: plan["classes"]["health"]["rate"],
    }
    public = stats.get("GET /", {}).get("per_second", 0) + stats.get(
        "GET /submit/complaint", {}
    ).get("per_second", 0)
    served = {
        name: (stats.get(name, {}).get("per_second", 0.0) / rate if rate else 1.0)
        for name, rate in offered.items()
    }
    pub_rate = plan["classes"]["public"]["rate"]
    served["public pages"] = public / pub_rate if pub_rate else 1.0
    total = stats.get("Aggregated", {})
    submit = stats.get("POST /api/v1/feedback", {})
    errors = int(total.get("failures", 0))
    reasons = []
    if errors:
        reasons.append(f"{errors} failed requests")
    short = sorted(name for name, share in served.items() if share < SERVED_SHARE)
    if short:
        reasons.append("served below 95% of the offered rate: " + ", ".join(short))
    if submit and submit["p95_ms"] >= target_p95:
        reasons.append(f"submission p95 {submit['p95_ms']:.0f} ms >= {target_p95:.0f} ms")
    return {
        "offered_submit_per_second": plan["classes"]["submit"]["rate"],
        "offered_read_per_second": round(
            sum(c["rate"] for k, c in plan["classes"].items() if k != "submit"), 1
        ),
        "throughput_per_second": total.get("per_second", 0.0),
        "errors": errors,
        "served_share": {k: round(v, 3) for k, v in served.items()},
        "meets_target": not reasons,
        "misses": reasons,
        "requests": {k: v for k, v in stats.items() if k != "Aggregated"},
    }


def run_step(
    stack: Stack, submit_rate: float, read_rate: float, args: argparse.Namespace, label: str
) -> dict[str, Any]:
    """Offer one mix, measure it and the CPU of every process group meanwhile."""
    classes = plan_classes(submit_rate, read_rate)
    if not stack.staff:
        classes["inbox"].update(users=0, per_user=0.0, rate=0.0)
    elif len(stack.staff) < classes["inbox"]["users"]:
        # Signing in again ends an account's other sessions: one account per inbox user.
        print(
            f"warning: {classes['inbox']['users']} inbox users share {len(stack.staff)} "
            "accounts; give one --staff-login each, or their sessions end each other's",
            file=sys.stderr,
        )
    plan = {
        "classes": classes,
        "codes": stack.codes,
        "bodies": stack.bodies,
        "staff": stack.staff,
        "health_path": stack.health_path,
    }
    sampler = CpuSampler(stack)
    sampler.start()
    loads = [os.getloadavg()[0]]
    try:
        stats, (started, measured) = run_locust(stack.url, plan, args, stack.workdir, label)
    finally:
        sampler.stop()
    loads.append(os.getloadavg()[0])
    result = summarise(stats, plan, args.target_p95)
    result["measured_seconds"] = round(measured, 1)
    result["cpu_percent_of_one_core"] = sampler.averages(started, started + measured)
    result["cpu_ms_per_request"] = cpu_per_request(result)
    stack_ms = result["cpu_ms_per_request"].get("stack (gunicorn + workers + postgres)")
    # What the mix's CPU cost allows if the stack had every core (no load generator, no
    # other work): an upper bound, since waits and the GIL are left out.
    result["requests_per_second_bound_on_idle_cores"] = (
        round(1000 * (os.cpu_count() or 1) / stack_ms) if stack_ms else None
    )
    result["bottleneck"] = bottleneck(result)
    result["postgres_connections_peak"] = sampler.peak_backends
    result["load_average_1min"] = [round(x, 2) for x in loads]
    return result


OUR_GROUPS = ("gunicorn", "rq workers", "postgres (this database's backends)")


def cpu_per_request(step: dict[str, Any]) -> dict[str, float]:
    """CPU milliseconds each group spent per answered request (less sensitive to other work)."""
    served = step["throughput_per_second"]
    cpu = step["cpu_percent_of_one_core"]
    if not served:
        return {}
    costs = {k: round(10 * v / served, 2) for k, v in cpu.items() if k != "machine_total"}
    costs["stack (gunicorn + workers + postgres)"] = round(
        sum(costs.get(k, 0.0) for k in OUR_GROUPS), 2
    )
    return costs


def bottleneck(step: dict[str, Any], cores: int | None = None) -> str:
    """What limited ``step``: the machine's CPU taken by other work, or our busiest group."""
    cpu = dict(step["cpu_percent_of_one_core"])
    machine = cpu.pop("machine_total", None)
    if not cpu or machine is None:
        return "unknown (no process sampled)"
    capacity = 100 * (cores or os.cpu_count() or 1)
    if not any(k in cpu for k in OUR_GROUPS):
        return (
            f"unknown: the app at --url is not sampled (machine at {machine:.0f}% of {capacity}%)"
        )
    ours = sum(cpu.get(k, 0.0) for k in OUR_GROUPS)
    group = max(cpu, key=lambda k: cpu[k])
    busiest = f"busiest of ours: {group} at {cpu[group]:.0f}% of one core"
    if machine >= 0.9 * capacity and ours < 0.5 * machine:
        return (
            f"the machine's CPU: {machine:.0f}% of {capacity}% busy, the stack using only "
            f"{ours:.0f}% (other work on the machine took the rest); {busiest}"
        )
    if machine >= 0.9 * capacity:
        return (
            f"CPU: the machine at {machine:.0f}% of {capacity}%, the stack {ours:.0f}%; {busiest}"
        )
    return f"not CPU (machine at {machine:.0f}% of {capacity}%): {busiest}; look at waits"


def find_max(stack: Stack, args: argparse.Namespace) -> dict[str, Any]:
    """Step the mix up by ``--steps``; the highest that met the target and where it broke."""
    steps = []
    for factor in (float(f) for f in args.steps.split(",")):
        step = run_step(
            stack, args.submit_rate * factor, args.read_rate * factor, args, f"step{factor:g}"
        )
        step["factor"] = factor
        steps.append(step)
        print(
            f"step x{factor:g}: meets_target={step['meets_target']} {step['misses']}",
            file=sys.stderr,
        )
        if not step["meets_target"]:
            break
    met = [s for s in steps if s["meets_target"]]
    missed = next((s for s in steps if not s["meets_target"]), None)
    return {
        "steps": steps,
        "highest_meeting_target": (
            {
                "factor": met[-1]["factor"],
                "submit_per_second": met[-1]["offered_submit_per_second"],
                "read_per_second": met[-1]["offered_read_per_second"],
            }
            if met
            else None
        ),
        "saturates_at": (
            {
                "factor": missed["factor"],
                "submit_per_second": missed["offered_submit_per_second"],
                "read_per_second": missed["offered_read_per_second"],
                "misses": missed["misses"],
                "bottleneck": bottleneck(missed),
            }
            if missed
            else None
        ),
        "bottleneck_at_last_step": bottleneck(steps[-1]),
    }


def _local_url(url: str) -> str:
    host = urlsplit(url).hostname
    if host not in {"127.0.0.1", "localhost", "::1"}:
        raise SystemExit("--url must point at this machine (127.0.0.1): the benchmark is local")
    return url.rstrip("/")


def health_path(url: str) -> str:
    """/healthz when the app serves it, else / (an app from before the health endpoints)."""
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=60) as response:
            return "/healthz" if response.status == 200 else "/"
    except urllib.error.HTTPError:
        return "/"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--submit-rate", type=float, default=30.0, help="submissions a second")
    parser.add_argument("--read-rate", type=float, default=120.0, help="reads a second")
    parser.add_argument("--seconds", type=float, default=60.0, help="measured seconds a step")
    parser.add_argument("--warmup", type=float, default=10.0, help="unmeasured seconds first")
    parser.add_argument(
        "--workers", default="4", help="gunicorn processes; a list (2,4,8) measures each"
    )
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn process")
    parser.add_argument("--rq-workers", type=int, default=2, help="worker.py processes")
    parser.add_argument("--cases", type=int, default=20_000, help="cases loaded before the run")
    parser.add_argument("--target-p95", type=float, default=300.0, help="submission p95, ms")
    parser.add_argument("--find-max", action="store_true", help="step the mix up (--steps)")
    parser.add_argument("--steps", default="0.5,1,1.5,2,2.5,3", help="factors of the mix")
    parser.add_argument("--url", default=None, help="an app already running on 127.0.0.1")
    parser.add_argument(
        "--staff-login",
        action="append",
        default=[],
        metavar="USER:PASSWORD",
        help="with --url: department accounts for the inbox requests (repeat)",
    )
    parser.add_argument(
        "--cost-requests",
        type=int,
        default=100,
        help="requests a type for the in-process CPU costs after the run; 0: skip",
    )
    parser.add_argument("--database", default="citizenvoice_load_bench")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark the arguments describe and print its figures as one JSON object."""
    args = parse_args(argv)
    if args.url:
        args.url = _local_url(args.url)
    out: dict[str, Any] = {
        "cores": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "settings": {
            k: getattr(args, k)
            for k in ("seconds", "warmup", "workers", "threads", "rq_workers", "cases", "url")
        },
        "rate_limits": "submission and lookup limits 1000000/minute for this run"
        if not args.url
        else "as configured by the stack at --url",
    }
    readers = max(plan_classes(0, args.read_rate * _top(args))["inbox"]["users"], 1)
    sizes = [int(w) for w in str(args.workers).split(",")]
    with tempfile.TemporaryDirectory(prefix="cv-load-") as tmp:
        stack = seed_stack(args, Path(tmp), readers)
        try:
            for size in sizes:
                if not args.url:
                    start_processes(stack, size, args.threads, args.rq_workers)
                result = measure_stack(stack, args)
                stack.stop()
                if len(sizes) == 1:
                    out.update(result)
                else:
                    out.setdefault("by_gunicorn_workers", {})[str(size)] = result
            if args.cost_requests and not args.url:
                out["web_cost_in_process"] = measure_costs(stack, args.cost_requests)
        finally:
            stack.stop()
    out["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return out


def measure_stack(stack: Stack, args: argparse.Namespace) -> dict[str, Any]:
    """One step or the find-max ladder against the running stack."""
    stack.health_path = health_path(stack.url)
    out: dict[str, Any] = {"health_path": stack.health_path}
    if stack.health_path != "/healthz":
        out["note"] = "no /healthz on this app: the probe baseline is GET /"
    if args.find_max:
        out.update(find_max(stack, args))
    else:
        out["step"] = run_step(stack, args.submit_rate, args.read_rate, args, "run")
    return out


def _top(args: argparse.Namespace) -> float:
    return max(float(f) for f in args.steps.split(",")) if args.find_max else 1.0


if __name__ == "__main__":
    main()
