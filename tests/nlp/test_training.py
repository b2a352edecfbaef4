"""Training and evaluation entry points: grouping, grouped split, metrics, model cards."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from nlp.datasets import LabelledMessage, data_dir, load_sentiment
from nlp.normalize import compose_text
from nlp.train.category import (
    duplicate_groups,
    evaluate_category,
    grouped_split,
    shared_taxonomy_terms,
    taxonomy_terms,
    train_category,
)
from nlp.train.common import classification_metrics
from nlp.train.sentiment import evaluate_sentiment, train_sentiment

BODY = (
    "尊敬的领导：A市A3区某小区自2018年交房以来，开发商一直未按合同约定建设小区配套幼儿园，"
    "业主多次向社区和住建部门反映，至今没有答复，孩子上学只能去三公里外的学校，十分不便。"
)


def test_compose_text() -> None:
    assert compose_text(" 标题 ", "正文") == "标题\n正文"
    assert compose_text("", "正文") == "正文"


def test_taxonomy_terms_are_names_and_their_parts() -> None:
    rows = [
        ("劳动和社会保障", "劳动关系与劳动争议", "拖欠工资"),
        ("城乡建设", "住房保障与房地产", "物业管理、服务"),
        ("城乡建设", "住房保障与房地产", ""),
    ]
    assert taxonomy_terms(rows) == sorted(
        [
            "劳动关系与劳动争议",
            "劳动关系",
            "劳动争议",
            "拖欠工资",
            "住房保障与房地产",
            "住房保障",
            "房地产",
            "物业管理、服务",
            "物业管理",
            "服务",
        ]
    )


def test_shared_taxonomy_gives_530_terms() -> None:
    if data_dir(required=False) is None:
        pytest.skip("shared data not available")
    terms = shared_taxonomy_terms()
    assert len(terms) == 530
    assert {"住房公积金", "交通事故", "仲裁与调解", "仲裁"} <= set(terms)
    assert all(len(t) >= 2 for t in terms) and terms == sorted(set(terms))


def test_duplicate_groups_join_copies_and_keep_strangers_apart() -> None:
    titles = [
        "小区配套幼儿园未建",
        "小区配套幼儿园未建！",  # same title after normalisation
        "另一个标题",  # same first 50 body characters as message 0
        "开发商违约",  # near-duplicate body: a few characters changed at the end
        "学校食堂卫生差",
    ]
    bodies = [
        BODY,
        "完全不同的正文内容，讲的是别的事情。",
        BODY[:60] + "另外补充几句不同的话。",
        BODY[:-6] + "非常不方便啊。",
        "某中学食堂饭菜不卫生，学生吃了拉肚子，请教育局和市场监管局检查处理。",
    ]
    groups = duplicate_groups(titles, bodies)
    assert groups[0] == groups[1] == groups[2] == groups[3]
    assert groups[4] != groups[0]


def test_duplicate_groups_keep_every_group_of_nlp_dedup_together() -> None:
    """Training's near-duplicate rule is nlp.dedup's: its groups are never split for training."""
    from nlp.dedup import NearDuplicateIndex

    bodies = [
        BODY,
        BODY[:-6] + "非常不方便啊。",
        BODY.replace("三公里", "五公里"),
        "某中学食堂饭菜不卫生，学生吃了拉肚子，请教育局和市场监管局检查处理。",
        "某中学食堂饭菜不卫生，学生吃了拉肚子，请教育局和市场监管局尽快检查处理。",
        "",
        "🙂🙂",
    ]
    titles = [f"标题{i}号不同" for i in range(len(bodies))]
    near = NearDuplicateIndex(threshold=0.8, random_state=1).add_many(
        (str(i), body) for i, body in enumerate(bodies)
    )
    groups = duplicate_groups(titles, bodies)
    for i in range(len(bodies)):
        for j in range(len(bodies)):
            if near[i] == near[j]:
                assert groups[i] == groups[j]
    assert groups[0] == groups[1] == groups[2] and groups[3] == groups[4]
    assert len({groups[0], groups[3], groups[5], groups[6]}) == 4


def test_grouped_split_never_splits_a_group() -> None:
    labels = ["甲", "乙"] * 50
    groups = [i // 4 for i in range(100)]
    train, dev = grouped_split(labels, groups, random_state=0)
    assert sorted([*train, *dev]) == list(range(100))
    assert not {groups[i] for i in train} & {groups[i] for i in dev}
    assert 10 <= len(dev) <= 30
    _, again_dev = grouped_split(labels, groups, random_state=0)
    assert list(again_dev) == list(dev)


def test_classification_metrics() -> None:
    m = classification_metrics(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    assert m["accuracy"] == 0.75
    assert m["per_class_f1"] == {"a": pytest.approx(0.6667, abs=1e-4), "b": 0.8}
    assert m["macro_f1"] == pytest.approx(0.7333, abs=1e-4)
    assert m["confusion_matrix"] == {"labels": ["a", "b"], "matrix": [[1, 1], [0, 2]]}
    assert m["n"] == 4


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.mark.slow
def test_train_and_evaluate_category_on_a_csv(
    tmp_path: Path, messages: list[LabelledMessage]
) -> None:
    picked: list[LabelledMessage] = []
    for label in ("教育文体", "卫生计生", "交通运输"):
        picked += [m for m in messages if m.label == label and m.text_source == "original"][:70]
    data = tmp_path / "train.csv"
    _write_csv(data, ["title", "text", "label"], [[m.title, m.text, m.label] for m in picked])
    out = tmp_path / "model"
    card = train_category(data, out, random_state=0)
    assert {p.name for p in out.iterdir()} == {
        "arrays.npz",
        "model.json",
        "card.json",
        "MODEL_CARD.md",
    }
    stored = json.loads((out / "card.json").read_text(encoding="utf-8"))
    assert stored["version"] == card["version"]
    for key in ("data", "split", "cross_validation", "dev_metrics", "date", "random_state"):
        assert key in stored
    assert stored["split"]["n_train"] + stored["split"]["n_dev"] == len(picked)
    assert "macro_f1" in (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    metrics = evaluate_category(data, out)
    assert set(metrics) >= {"accuracy", "macro_f1", "per_class_f1", "confusion_matrix", "n"}
    assert metrics["n"] == len(picked)
    assert metrics["accuracy"] > 0.8  # mostly training rows


@pytest.mark.slow
def test_train_and_evaluate_sentiment_on_a_csv(tmp_path: Path) -> None:
    if data_dir(required=False) is None:
        pytest.skip("shared data not available")
    rows = load_sentiment("waimai")
    picked = [r for r in rows if r.label == 1][:200] + [r for r in rows if r.label == 0][:200]
    data = tmp_path / "reviews.csv"
    _write_csv(data, ["review", "label"], [[r.text, str(r.label)] for r in picked])
    out = tmp_path / "model"
    card = train_sentiment(data, out, random_state=0)
    assert (out / "MODEL_CARD.md").is_file()
    assert (out / "card.json").is_file()
    assert card["split"]["n_dev"] == 80
    assert card["dev_metrics"]["dev"]["accuracy"] > 0.7
    metrics = evaluate_sentiment(data, out)
    assert metrics["n"] == 400
    assert set(metrics) >= {"accuracy", "macro_f1", "per_class_f1", "confusion_matrix"}
