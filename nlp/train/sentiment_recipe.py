"""The sentiment model's training recipe: a teacher pseudo-labels messages, a student learns.

A teacher with the domain-averaged scheme labels the product's own unlabelled text (TipDM
citizen messages) where it is confident, and a pooled student learns from the reviews plus
those messages as one more domain.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nlp.sentiment import SentimentModel
from nlp.train.sentiment_data import Reviews, Unlabelled

__all__ = [
    "PSEUDO_DOMAIN",
    "PSEUDO_NEGATIVE_BELOW",
    "PSEUDO_POSITIVE_FROM",
    "STUDENT_PARAMS",
    "TEACHER_PARAMS",
    "fit_sentiment",
    "pseudo_label",
]


# The committed model's recipe (see the module docstring).
TEACHER_PARAMS: dict[str, Any] = {
    "word_orders": (1,),
    "domain_average": True,
    "service_weight": 3.0,
}


STUDENT_PARAMS: dict[str, Any] = {
    "word_orders": (1, 2),
    "domain_average": False,
    "service_weight": 1.0,
}


PSEUDO_NEGATIVE_BELOW = 0.3


PSEUDO_POSITIVE_FROM = 0.6


PSEUDO_DOMAIN = "tipdm_pseudo"


def pseudo_label(teacher: SentimentModel, unlabelled: Unlabelled) -> tuple[Reviews, dict[str, int]]:
    """The unlabelled texts the teacher is confident about, labelled, as domain ``tipdm_pseudo``.

    Confident: score below ``PSEUDO_NEGATIVE_BELOW`` (negative) or from ``PSEUDO_POSITIVE_FROM``
    (positive); the band between is left out.
    """
    scores = teacher.score(unlabelled.texts, unlabelled.tokens)
    keep = [
        i for i, v in enumerate(scores) if v < PSEUDO_NEGATIVE_BELOW or v >= PSEUDO_POSITIVE_FROM
    ]
    labels = [int(scores[i] >= PSEUDO_POSITIVE_FROM) for i in keep]
    pseudo = Reviews(
        [unlabelled.texts[i] for i in keep],
        [unlabelled.tokens[i] for i in keep],
        labels,
        [PSEUDO_DOMAIN] * len(keep),
    )
    return pseudo, {"n_pseudo": len(keep), "n_pseudo_positive": int(sum(labels))}


def fit_sentiment(
    reviews: Reviews,
    random_state: int,
    version: str,
    params: Mapping[str, Any] | None = None,
    unlabelled: Unlabelled | None = None,
) -> SentimentModel:
    """Fit on ``reviews``; with ``unlabelled``, the teacher/student recipe (see above)."""
    if unlabelled is None:
        return SentimentModel(random_state=random_state, version=version, **dict(params or {})).fit(
            reviews.texts, reviews.tokens, reviews.labels, reviews.domains
        )
    teacher = fit_sentiment(reviews, random_state, version, TEACHER_PARAMS)
    pseudo, _ = pseudo_label(teacher, unlabelled)
    both = Reviews(
        reviews.texts + pseudo.texts,
        reviews.tokens + pseudo.tokens,
        reviews.labels + pseudo.labels,
        reviews.domains + pseudo.domains,
    )
    return fit_sentiment(both, random_state, version, params or STUDENT_PARAMS)
