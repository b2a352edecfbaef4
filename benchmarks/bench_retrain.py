"""Benchmark the registry's retrain (``nlp.retrain_model``): time per kind against 15 minutes.

Prints one JSON object. Run: ``.venv/bin/python -m benchmarks.bench_retrain`` (full corpora;
``--shipped-limit N`` for a small trial, ``--kinds category``).

Per kind: wall and process CPU seconds (the machine is shared: CPU time does not depend on
other people's jobs) of one retrain as ``flask models retrain`` runs it, without product
labels (the product's labels add their own count to the corpus: a few thousand more rows are a
few per cent more work), and the challenger's figures on the shipped gold dev split beside the
shipped model's. The dev figures are those of the retrain, not a claim about a new domain.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from nlp import retrain_model

BUDGET_SECONDS = 15 * 60


def _one(kind: str, shipped_limit: int | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        wall, cpu = time.perf_counter(), time.process_time()
        card = retrain_model(
            kind, [], [], Path(tmp) / kind, f"{kind}-bench", shipped_limit=shipped_limit
        )
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    m = card["metrics"]
    return {
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "within_budget": wall < BUDGET_SECONDS,
        "n_shipped_train": m["n_shipped_train"],
        "dev_macro_f1": m["dev"].get("macro_f1"),
        "shipped_dev_macro_f1": m["baseline"]["dev"].get("macro_f1"),
        "dev_n": m["dev"].get("n"),
    }


def main() -> None:
    """Parse the options, retrain each kind once, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kinds", default="category,sentiment")
    parser.add_argument("--shipped-limit", type=int, default=None)
    args = parser.parse_args()
    report = {
        "budget_seconds": BUDGET_SECONDS,
        "shipped_limit": args.shipped_limit,
        **{kind: _one(kind, args.shipped_limit) for kind in args.kinds.split(",")},
    }
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
