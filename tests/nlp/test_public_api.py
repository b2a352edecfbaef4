"""nlp's public surface: what ``__all__`` promises exists, and runtime code stays lean."""

from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys

import pytest

import nlp

NLP_DIR = pathlib.Path(nlp.__file__).resolve().parent
ROOT = NLP_DIR.parent


def test_every_public_name_resolves() -> None:
    for name in nlp.__all__:
        assert getattr(nlp, name) is not None, name
    assert sorted(nlp.__all__) == sorted(set(nlp.__all__))


def test_analyzer_runs_from_the_top_level_api() -> None:
    analyzer = nlp.Analyzer.load()
    one = analyzer.analyze("小区噪音扰民", "楼下餐馆每晚营业到凌晨，噪音很大，影响休息。")
    batch = analyzer.analyze_batch(
        [("小区噪音扰民", "楼下餐馆每晚营业到凌晨，噪音很大，影响休息。")]
    )
    assert [(a.category, a.sentiment_label, a.urgency_level) for a in batch] == [
        (one.category, one.sentiment_label, one.urgency_level)
    ]
    assert one.category in analyzer.classifier.classes_


def _modules_after(statement: str) -> list[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return list(json.loads(out.stdout))


@pytest.mark.slow
@pytest.mark.parametrize(
    "statement",
    [
        "import nlp.pipeline",
        # A fresh process loading every model: seconds, so only in the full run.
        pytest.param(
            "from nlp import Analyzer; Analyzer.load().analyze('标题', '小区路灯坏了很久没人修')",
            marks=pytest.mark.slow,
            id="analysis",
        ),
    ],
)
def test_the_runtime_pipeline_does_not_import_training_code(statement: str) -> None:
    loaded = _modules_after(statement)
    assert "nlp.pipeline" in loaded
    training = [m for m in loaded if m.startswith("nlp.") and "train" in m]
    assert training == [], statement


@pytest.mark.slow  # a fresh process importing the training stack: seconds
def test_training_functions_are_reached_through_the_public_api() -> None:
    loaded = _modules_after("import nlp; nlp.train_category")
    assert "nlp.train.category" in loaded


def test_no_private_regex_internals() -> None:
    private = re.compile(
        r"^\s*(?:import|from)\s+(?:re\._|sre_parse|sre_constants|sre_compile)|^\s*from re import _",
        re.M,
    )
    offenders = [
        str(path.relative_to(ROOT))
        for path in NLP_DIR.rglob("*.py")
        if private.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
