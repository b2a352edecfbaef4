"""``SentimentModel(specialise=...)``: the deployment's own labels overrule the shipped corpora.

A tiny synthetic world: in the shipped review domains "很快" (quick) goes with praise; in the
product domain (a service where "很快" means a case was closed too fast, unheard) residents who
write it give one star. The product domain has ten times fewer texts than the shipped ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp import SentimentModel, default_segmenter

QUICK = "处理得很快"
GOOD, BAD = "服务态度很好", "等了很久没人理"


def _docs(texts: list[str]) -> tuple[list[str], list[list[str]]]:
    seg = default_segmenter()
    return texts, [seg.content_tokens(t) for t in texts]


def _world() -> tuple[list[str], list[int], list[str], list[float]]:
    texts, labels, domains = [], [], []
    for domain in ("shop", "food"):
        for i in range(40):
            texts += [f"{QUICK}{GOOD}{i}", f"{BAD}{i}", f"{GOOD}{i}号"]
            labels += [1, 0, 1]
            domains += [domain] * 3
    for i in range(8):  # the product's star ratings: few, weak, and "很快" is a complaint
        texts += [f"{QUICK}第{i}件", f"{GOOD}第{i}件", f"{BAD}第{i}件"]
        labels += [0, 1, 0]
        domains += ["product"] * 3
    weights = [1.0 if d != "product" else 0.3 for d in domains]
    return texts, labels, domains, weights


def _fit(specialise: str | None) -> SentimentModel:
    texts, labels, domains, weights = _world()
    model = SentimentModel(
        min_df=1, hash_bits=16, domain_average=False, word_orders=(1, 2), specialise=specialise
    )
    return model.fit(*_docs(texts), labels, domains, sample_weight=weights)


def test_the_specialised_model_follows_the_product_labels_where_they_disagree() -> None:
    general, specialised = _fit(None), _fit("product")
    quick = _docs([QUICK])
    assert general.score(*quick)[0] > specialised.score(*quick)[0]
    assert specialised.score(*quick)[0] < 0.4
    # what both agree on stays: the shipped corpora still teach the general words
    assert specialised.score(*_docs([GOOD]))[0] > 0.6
    assert specialised.score(*_docs([BAD]))[0] < 0.4


def test_a_specialised_model_round_trips_in_the_usual_format(tmp_path: Path) -> None:
    model = _fit("product")
    model.save(tmp_path / "m")
    stored = SentimentModel.load(tmp_path / "m")
    assert stored.specialise == "product"
    texts = [QUICK, GOOD, BAD, "没有任何特征的句子"]
    # the stored arrays are compact floats: equal to about 1e-4
    assert stored.score(*_docs(texts)).tolist() == pytest.approx(
        model.score(*_docs(texts)).tolist(), abs=1e-3
    )


def test_without_the_specialised_domain_the_model_is_the_plain_pooled_one() -> None:
    texts, labels, domains, weights = _world()
    keep = [i for i, d in enumerate(domains) if d != "product"]
    args = (
        [texts[i] for i in keep],
        [labels[i] for i in keep],
        [domains[i] for i in keep],
        [weights[i] for i in keep],
    )

    def fit(specialise: str | None) -> SentimentModel:
        model = SentimentModel(min_df=1, hash_bits=16, domain_average=False, specialise=specialise)
        return model.fit(*_docs(args[0]), args[1], args[2], sample_weight=args[3])

    probe = _docs([QUICK, GOOD, BAD])
    assert fit("product").score(*probe).tolist() == fit(None).score(*probe).tolist()
