"""Benchmark a centre's own taxonomy (issue 22): category macro-F1 after a few hundred labels.

Run: ``.venv/bin/python -m benchmarks.bench_taxonomy`` (one retrain per size, about 3-4 CPU
minutes each; ``--sizes 300,500``). Prints one JSON object.

A simulated centre's history is part of the TipDM dev fold: the grouped 20% split the shipped
category model never trained on (``dev_rows`` of its card). The centre imports the shared
``taxonomy.csv`` (read with the product's own row rules, citizenvoice.domain.taxonomy) and
labels its messages by the tree's labels; the dev fold's duplicate groups are shuffled (seed 0)
and whole groups are drawn until the largest size is reached, so near-duplicates never sit on
both sides. Each size takes the first N of those messages (the sizes are nested), splits off
the newest share as the product does (``split_newest``), and retrains through
``nlp.retrain_model`` with the tree's level-1 labels as the class set. Measured: macro-F1 of
the shipped model and of each challenger on the REST of the dev fold (every message of a group
never drawn), the same messages for all. No setting was chosen on those messages.

The shared data is read from the app's DATA_DIR setting (``CITIZENVOICE_DATA_DIR``, else the
shared folder beside the repository); without it the benchmark prints a skip note and exits 0.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import tempfile
from pathlib import Path
from typing import Any

from citizenvoice.domain.department_names import normalise_name
from citizenvoice.domain.model_registry import split_newest, training_weight
from citizenvoice.domain.taxonomy import build_nodes, columns_of, interpret_row, label_lookup
from config import BaseConfig
from nlp import evaluate_examples, retrain_model
from nlp.classify import DEFAULT_MODEL_DIR

Example = tuple[str, str, str, float]


def _tree(path: Path) -> tuple[dict[str, str], list[str]]:
    """The tree's label lookup and its level-1 labels, read with the product's row rules."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    columns = columns_of(table[0])
    rows = [interpret_row(n, cells, columns) for n, cells in enumerate(table[1:], start=2)]
    nodes, refused = build_nodes(rows)
    assert not refused and not any(r.errors for r in rows), "taxonomy.csv has refused rows"
    return label_lookup(nodes), sorted(n.label for n in nodes if n.level == 1)


def _dev_fold(data: Path) -> list[Any]:
    from nlp.datasets import load_messages

    card = json.loads((DEFAULT_MODEL_DIR / "card.json").read_text(encoding="utf-8"))
    dev_rows = set(card["split"]["dev_rows"])
    return [m for m in load_messages(data) if m.row in dev_rows]


def _draw(messages: list[Any], size: int) -> tuple[list[Any], list[Any]]:
    """(the first ``size``+ messages of shuffled whole groups, every other message)."""
    from nlp.train.category import duplicate_groups

    groups = duplicate_groups([m.title for m in messages], [m.text for m in messages])
    members: dict[int, list[Any]] = {}
    for message, group in zip(messages, groups, strict=True):
        members.setdefault(group, []).append(message)
    order = sorted(members)
    random.Random(0).shuffle(order)
    drawn: list[Any] = []
    rest: list[Any] = []
    for group in order:
        (drawn if len(drawn) < size else rest).extend(members[group])
    return drawn, rest


def _example(message: Any, lookup: dict[str, str]) -> Example:
    label = lookup[normalise_name(message.label)]
    return (message.title, message.text, label, training_weight("strong", 1.0))


def main() -> None:
    """Parse the options, retrain once per size, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="300,500")
    parser.add_argument("--shipped-limit", type=int, default=None)
    args = parser.parse_args()
    configured = BaseConfig(os.environ).DATA_DIR
    data = Path(configured) if configured else None
    if data is None or not (data / "tipdm2020c" / "taxonomy.csv").is_file():
        print(json.dumps({"skipped": "shared data not available"}))
        return
    lookup, level1 = _tree(data / "tipdm2020c" / "taxonomy.csv")
    sizes = sorted(int(s) for s in args.sizes.split(","))
    drawn, rest = _draw(_dev_fold(data), sizes[-1])
    held = [_example(m, lookup) for m in rest]
    report: dict[str, Any] = {
        "dev_fold": len(drawn) + len(rest),
        "evaluated_on": len(held),
        "shipped": evaluate_examples("category", None, held),
        "shipped_limit": args.shipped_limit,
    }
    for size in sizes:
        train, newest = split_newest([_example(m, lookup) for m in drawn[:size]])
        with tempfile.TemporaryDirectory() as tmp:
            card = retrain_model(
                "category",
                train,
                newest,
                Path(tmp) / "model",
                f"category-centre-{size}",
                shipped_limit=args.shipped_limit,
                data_dir=data,
                classes=level1,
            )
            figures = evaluate_examples("category", Path(tmp) / "model", held)
        report[f"retrained_{size}"] = {
            **figures,
            "n_imported": size,
            "n_trained": len(train),
            "seconds": card["metrics"]["seconds"],
        }
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
