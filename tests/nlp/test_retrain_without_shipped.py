"""``nlp.retrain_model(..., shipped=False)``: a category model from the given examples alone
(benchmarks replay messages the shipped corpus holds), and its guard for sentiment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp import retrain_model
from nlp.classify import CategoryClassifier
from nlp.datasets import data_dir

TEXTS = [
    ("城乡建设", "小区电梯坏了物业不修"),
    ("环境保护", "化工厂夜里偷排废气气味刺鼻"),
    ("交通运输", "公交线路取消后上班要换乘三次"),
    ("教育文体", "学校周末组织收费补课"),
    ("劳动和社会保障", "公司拖欠农民工三个月工资"),
]


@pytest.mark.slow
@pytest.mark.skipif(data_dir(required=False) is None, reason="shared data not available")
def test_a_category_model_trains_on_the_examples_alone(tmp_path: Path):
    examples = [
        ("", f"{text}，第{n}次反映", label, 1.0) for n in range(12) for label, text in TEXTS
    ]
    out = tmp_path / "category"
    card = retrain_model(
        "category",
        examples,
        examples[:5],
        out,
        "own-only",
        shipped=False,
        reference=False,
        shipped_limit=80,
    )
    assert card["metrics"]["n_shipped_train"] == 0 and card["n_documents"] == len(examples)
    assert "shared corpora" not in card["data"]
    assert not (out / "reference.json").exists()
    model = CategoryClassifier.load(out)
    assert set(model.classes_) == {label for label, _ in TEXTS}
    assert json.loads((out / "card.json").read_text(encoding="utf-8"))["version"] == "own-only"


def test_shipped_false_is_refused_for_sentiment(tmp_path: Path):
    with pytest.raises(ValueError, match="category"):
        retrain_model("sentiment", [], [], tmp_path / "s", "v", shipped=False)
