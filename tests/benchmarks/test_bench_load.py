"""The load benchmark's arithmetic: the offered mix, the target verdict, the bottleneck verdict.

The smoke run (test_benchmark_smoke.py) proves the whole thing runs; these pin what its report
means, on made-up locust statistics, without any service.
"""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.bench_load import READ_MIX, bottleneck, plan_classes, summarise

SUBMIT = "POST /api/v1/feedback"


def test_the_mix_offers_each_rate_with_users_of_at_most_one_request_a_second() -> None:
    classes = plan_classes(30, 120)
    assert classes["submit"] == {"users": 30, "per_user": 1.0, "rate": 30}
    assert sum(c["rate"] for k, c in classes.items() if k != "submit") == pytest.approx(120)
    for kind, share in READ_MIX.items():
        users, per_user = classes[kind]["users"], classes[kind]["per_user"]
        assert per_user <= 1.0
        assert users * per_user == pytest.approx(120 * share)
    assert plan_classes(0, 0)["submit"]["users"] == 0


def _stats(submit_p95: float, failures: int = 0, served: float = 1.0) -> dict[str, Any]:
    plan = plan_classes(30, 120)
    names = {
        SUBMIT: "submit",
        "GET /api/v1/feedback/[code]": "track_api",
        "GET /track/[code]": "track_page",
        "GET /workspace/": "inbox",
        "GET /healthz (probe)": "health",
    }
    stats = {
        name: {"per_second": plan[kind]["rate"] * served, "p95_ms": 10.0, "failures": 0}
        for name, kind in names.items()
    }
    stats[SUBMIT]["p95_ms"] = submit_p95
    for page in ("GET /", "GET /submit/complaint"):
        stats[page] = {"per_second": plan["public"]["rate"] / 2 * served, "p95_ms": 20.0}
    stats["Aggregated"] = {"per_second": 150 * served, "p95_ms": 50.0, "failures": failures}
    return stats


def _summary(stats: dict[str, Any]) -> dict[str, Any]:
    plan = {"classes": plan_classes(30, 120), "health_path": "/healthz"}
    return summarise(stats, plan, 300.0)


def test_a_step_meets_the_target_only_when_fast_complete_and_without_errors() -> None:
    good = _summary(_stats(250.0))
    assert good["meets_target"], good["misses"]
    assert good["requests"][SUBMIT]["p95_vs_probe"] == 25.0  # 250 ms against the probe's 10
    assert "Aggregated" not in good["requests"]

    slow = _summary(_stats(300.0))
    assert not slow["meets_target"]
    assert any("p95" in miss for miss in slow["misses"])

    failing = _summary(_stats(100.0, failures=1))
    assert failing["misses"] == ["1 failed requests"]

    short = _summary(_stats(100.0, served=0.9))
    assert not short["meets_target"]
    assert "served below 95%" in short["misses"][0]


def _step(**cpu: float) -> dict[str, Any]:
    names = {
        "gunicorn": "gunicorn",
        "rq": "rq workers",
        "pg": "postgres (this database's backends)",
    }
    return {"cpu_percent_of_one_core": {names.get(k, k): v for k, v in cpu.items()}}


def test_the_bottleneck_is_other_work_when_the_stack_has_a_small_share_of_a_busy_machine() -> None:
    verdict = bottleneck(_step(gunicorn=20, rq=5, pg=5, machine_total=200), cores=2)
    assert verdict.startswith("the machine's CPU")
    assert "gunicorn" in verdict


def test_the_bottleneck_is_the_busiest_group_when_the_stack_has_the_machine() -> None:
    verdict = bottleneck(_step(gunicorn=150, rq=10, pg=30, machine_total=195), cores=2)
    assert verdict.startswith("CPU")
    assert "busiest of ours: gunicorn at 150%" in verdict
    assert bottleneck(_step(gunicorn=40, machine_total=60), cores=2).startswith("not CPU")
    assert bottleneck(_step(machine_total=60), cores=2).startswith("unknown")
