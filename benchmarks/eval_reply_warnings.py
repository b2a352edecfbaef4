"""Precision and recall of the reply-quality warnings on hand-labelled real replies.

Reads ``benchmarks/data/reply_labels.csv`` (100 replies of tipdm2020c, labelling rules in
``benchmarks/data/README.md``) and the replies file of the shared data, scores every labelled
reply with ``nlp.reply_quality.score_reply`` and prints, for each warning, the counts and
precision / recall against the labels, as one JSON object:

* ``missing_result``: the checker finds no 处理结果 (``"result" not in parts``) / the reply
  reports no result (``has_result == 0``); ``missing_result_warning`` is the same restricted to
  what staff see (consultations are not asked for a result);
* ``template_only``: ``template_only`` / the reply says nothing about the case;
* ``placeholders``: ``placeholders`` non-empty / a visible unfilled blank.

``--corpus`` also scans all 2,816 replies for placeholders and prints each hit to read.
Run: ``python -m benchmarks.eval_reply_warnings [--data DIR] [--corpus]``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
from pathlib import Path

from nlp import score_reply
from nlp.datasets import data_dir

LABELS = Path(__file__).resolve().parent / "data" / "reply_labels.csv"


def _figures(pairs: list[tuple[bool, bool]]) -> dict[str, float | int | None]:
    """Counts, precision and recall of (predicted, true) pairs."""
    tp = sum(1 for p, t in pairs if p and t)
    fp = sum(1 for p, t in pairs if p and not t)
    fn = sum(1 for p, t in pairs if t and not p)
    return {
        "n": len(pairs),
        "true": tp + fn,
        "flagged": tp + fp,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": round(tp / (tp + fp), 3) if tp + fp else None,
        "recall": round(tp / (tp + fn), 3) if tp + fn else None,
    }


def main(argv: list[str] | None = None) -> int:
    """Print the figures as JSON; return 0."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=None, help="default: the shared tipdm2020c")
    parser.add_argument("--corpus", action="store_true", help="list placeholder hits in all")
    parser.add_argument("--show", action="store_true", help="print disagreements to stderr")
    args = parser.parse_args(argv)
    if args.data is None:
        args.data = data_dir() / "tipdm2020c"
    with gzip.open(args.data / "replies.csv.gz", "rt", encoding="utf-8") as handle:
        replies = list(csv.DictReader(handle))
    with LABELS.open(encoding="utf-8") as handle:
        labels = list(csv.DictReader(handle))
    result, warning, template, blanks = [], [], [], []
    for label in labels:
        row = replies[int(label["row"])]
        message = f"{row['title']}\n{row['text']}"
        quality = score_reply(message, row["reply"])
        missing = "result" not in quality.parts
        truth = label["has_result"] == "0"
        result.append((missing, truth))
        if "result" in quality.missing_parts or "result" in quality.parts:
            warning.append(("result" in quality.missing_parts, truth))
        template.append((quality.template_only, label["template_only"] == "1"))
        blanks.append((bool(quality.placeholders), label["placeholder"] == "1"))
        if args.show and missing != truth:
            print(f"[{label['row']}] missing={missing} label={truth}: {row['reply'][:300]}",
                  file=sys.stderr)  # fmt: skip
    out: dict[str, object] = {
        "labelled": len(labels),
        "missing_result": _figures(result),
        "missing_result_warning": _figures(warning),
        "template_only": _figures(template),
        "placeholders": _figures(blanks),
    }
    if args.corpus:
        hits = []
        for index, row in enumerate(replies):
            found = score_reply("", row["reply"]).placeholders
            if found:
                hits.append({"row": index, "placeholders": list(found)})
        out["corpus_placeholder_hits"] = hits
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
