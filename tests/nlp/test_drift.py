"""Drift measures: PSI maths, OOV rate, the committed reference distributions."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nlp
from nlp.datasets import data_dir
from nlp.drift import PSI_EPSILON, label_mix, oov_rate, population_stability_index

LABELS = ["a", "b", "c", "d", "e"]
# Positive counts per bin (at least one bin with mass).
distributions = st.dictionaries(
    st.sampled_from(LABELS), st.integers(min_value=0, max_value=1000), min_size=1
).filter(lambda d: sum(d.values()) > 0)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(distributions, distributions)
def test_psi_is_never_negative(expected: dict[str, int], actual: dict[str, int]) -> None:
    assert population_stability_index(expected, actual) >= 0


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(distributions, st.integers(min_value=1, max_value=50))
def test_psi_is_zero_for_identical_distributions(dist: dict[str, int], scale: int) -> None:
    # Counts or shares: only the proportions matter.
    scaled = {k: v * scale for k, v in dist.items()}
    assert population_stability_index(dist, scaled) == pytest.approx(0, abs=1e-12)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.sampled_from(LABELS), st.integers(1, 1000), min_size=2),
    st.dictionaries(st.sampled_from(LABELS), st.integers(1, 1000), min_size=2),
)
def test_psi_is_symmetric_when_no_bin_is_empty(a: dict[str, int], b: dict[str, int]) -> None:
    # Same bins on both sides, all non-empty: each term (a - e) ln(a / e) is symmetric.
    keys = set(a) | set(b)
    a = {k: a.get(k, 1) for k in keys}
    b = {k: b.get(k, 1) for k in keys}
    forward, backward = population_stability_index(a, b), population_stability_index(b, a)
    assert forward == pytest.approx(backward, rel=1e-9, abs=1e-12)


def test_an_empty_bin_costs_a_finite_amount_and_breaks_symmetry_slightly() -> None:
    expected = {"a": 0.5, "b": 0.5}
    actual = {"a": 1.0}
    psi = population_stability_index(expected, actual)
    assert math.isfinite(psi)
    # b: (1e-4 - 0.5) * ln(1e-4 / 0.5), a: (1 - 0.5) * ln(1 / 0.5), both shares floored.
    by_hand = (PSI_EPSILON - 0.5) * math.log(PSI_EPSILON / 0.5) + 0.5 * math.log(2)
    assert psi == pytest.approx(by_hand)
    assert psi > 0.25  # all in one of two categories: a significant shift
    assert population_stability_index(actual, expected) == pytest.approx(psi, rel=1e-3)


def test_a_known_value() -> None:
    # 10%/90% against 50%/50%: 0.4 ln5 + 0.4 ln(5/9)... i.e. (0.1-0.5)ln(0.2) + (0.9-0.5)ln(1.8)
    value = population_stability_index({"x": 50, "y": 50}, {"x": 10, "y": 90})
    assert value == pytest.approx(-0.4 * math.log(0.2) + 0.4 * math.log(1.8))


@pytest.mark.parametrize("empty", [{}, {"a": 0}])
def test_an_empty_distribution_is_refused(empty: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        population_stability_index({"a": 1}, empty)
    with pytest.raises(ValueError):
        population_stability_index(empty, {"a": 1})


def test_oov_rate_and_label_mix() -> None:
    assert oov_rate(["垃圾", "清运", "噪音", "新词"], frozenset({"垃圾", "噪音"})) == 0.5
    assert oov_rate([], frozenset({"x"})) is None
    assert label_mix(["a", "b", None, "a"]) == {"a": 2 / 3, "b": 1 / 3}
    assert label_mix([]) == {}


@pytest.mark.parametrize("kind", ["category", "sentiment"])
def test_the_shipped_models_have_a_committed_reference(kind: str) -> None:
    model_dir = nlp.SHIPPED_MODELS_DIR / kind
    ref = nlp.load_reference(model_dir)
    assert ref is not None and ref["kind"] == kind
    card = json.loads((model_dir / "card.json").read_text(encoding="utf-8"))
    assert ref["model_version"] == card["version"]
    mix = ref["category_mix" if kind == "category" else "sentiment_mix"]
    assert sum(mix.values()) == pytest.approx(1)
    assert 0 < ref["oov_rate"] < 0.5
    assert len(nlp.model_vocabulary(model_dir)) > 1000
    if kind == "category":
        assert 0.5 < ref["mean_confidence"] <= 1
        assert 0 <= ref["share_below_threshold"] <= 1


def test_a_directory_without_reference(tmp_path: Path) -> None:
    assert nlp.load_reference(tmp_path) is None


@pytest.mark.slow  # loads both models and analyses the dev split: seconds
def test_the_reference_command_reproduces_the_committed_figures(tmp_path: Path) -> None:
    if data_dir(required=False) is None:
        pytest.skip("shared data not available")
    from nlp.cli import main

    for kind in ("category", "sentiment"):
        (tmp_path / kind).mkdir()
        for name in ("model.json", "arrays.npz", "card.json"):
            (tmp_path / kind / name).write_bytes(
                (nlp.SHIPPED_MODELS_DIR / kind / name).read_bytes()
            )
    assert main(["reference", "--models", str(tmp_path)]) == 0
    for kind in ("category", "sentiment"):
        fresh = nlp.load_reference(tmp_path / kind)
        committed = nlp.load_reference(nlp.SHIPPED_MODELS_DIR / kind)
        assert fresh is not None and committed is not None
        fresh.pop("computed"), committed.pop("computed")
        assert fresh == committed  # deterministic: the same models on the same messages
