"""Shadow mode: a challenger scores new messages beside the champion for a set period, the
figures the office reads before a promotion, and the office's 模型管理 page (issue 22).

Challengers here are copies of the shipped models under a new name (no training), so the
challenger agrees with the champion; the figures' maths is tested on planted pairs.
"""

from __future__ import annotations

import json
import shutil
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from factories import csrf_token, login, make_model_version, make_user
from flask import Flask
from sqlalchemy import func, select, update
from support import file_submission

from citizenvoice.cli import seed_demo_data
from citizenvoice.domain.labels import LabelKind, LabelSource
from citizenvoice.domain.shadow import ShadowPair, shadow_figures
from citizenvoice.extensions import db
from citizenvoice.jobs import reanalyse_all_job
from citizenvoice.jobs.analysis import analyse_submission_job
from citizenvoice.models import (
    Analysis,
    AuditEntry,
    ModelShadow,
    ShadowPrediction,
    Submission,
)
from citizenvoice.services.labels import LabelInput, record_labels
from citizenvoice.services.model_registry import (
    RegistryError,
    promote,
    shipped_version,
)
from citizenvoice.services.model_shadow import shadow_summary, start_shadow

pytestmark = pytest.mark.slow  # loads the models

V = "category-20261205-0200"
TEXTS = [
    "小区电梯一个月坏了四次，物业不修，请住建部门督促",
    "化工厂夜里偷排废气，气味刺鼻，请环保部门查处",
    "公交线路取消后上班要换乘三次，请恢复原线路",
    "公司拖欠农民工三个月工资，请人社部门帮忙讨薪",
]
# Refused by the rule: it does not beat the champion on the newest slice.
LOSING = {
    "dev": {"macro_f1": 0.92},
    "newest": {"score": 0.6, "measure": "macro_f1", "n": 10},
    "baseline": {"dev": {"macro_f1": 0.921}, "newest": {"score": 0.7}},
}
WINNING = {**LOSING, "newest": {"score": 0.9, "measure": "macro_f1", "n": 10}}


@pytest.fixture
def app(db_app: Flask, tmp_path: Path) -> Flask:
    """Both databases, the registry in a temporary folder."""
    db_app.config["MODEL_REGISTRY_DIR"] = str(tmp_path / "registry")
    return db_app


def _add_version(
    app: Flask, version: str, metrics: dict[str, Any] | None = None, kind: str = "category"
) -> None:
    """A challenger (the shipped model copied, ``factories.make_model_version``), LOSING."""
    make_model_version(app, version, metrics or LOSING, kind)


def _file_and_analyse(app: Flask, text: str) -> int:
    submission_id = file_submission(app, text)
    with app.app_context():
        assert analyse_submission_job(submission_id)["status"] == "analysed"
    return submission_id


def _shadow_rows(app: Flask) -> list[tuple[int, str, str]]:
    with app.app_context():
        return [
            (r.submission_id, r.kind, r.version)
            for r in db.session.scalars(select(ShadowPrediction).order_by(ShadowPrediction.id))
        ]


def test_the_figures_count_agreement_confidence_and_accuracy_on_labels():
    pairs = [
        ShadowPair(1, "城乡建设", 0.9, "城乡建设", 0.8),
        ShadowPair(2, "环境保护", 0.7, "城乡建设", 0.5),
        ShadowPair(3, "交通运输", 0.5, "交通运输", 0.6),
        ShadowPair(4, "交通运输", None, "教育文体", 0.3),
    ]
    figures = shadow_figures("category", pairs, {2: "城乡建设", 3: "教育文体", 4: "教育文体"})
    assert figures["n"] == 4 and figures["agreement"] == 0.5
    assert figures["champion_mean_confidence"] == 0.7  # the missing one is left out
    assert figures["challenger_mean_confidence"] == 0.55
    assert figures["n_labelled"] == 3
    assert figures["champion_accuracy"] == 0.0 and figures["challenger_accuracy"] == 0.6667
    sentiment = [
        ShadowPair(1, "positive", 0.9, "positive", 0.8),
        ShadowPair(2, "neutral", 0.5, "negative", 0.7),
    ]
    figures = shadow_figures("sentiment", sentiment, {1: "pos", 2: "neg"})
    assert figures["agreement"] == 0.5 and figures["champion_accuracy"] == 0.5
    assert figures["challenger_accuracy"] == 1.0
    empty = shadow_figures("category", [], {})
    assert empty["n"] == 0 and empty["agreement"] is None and empty["champion_accuracy"] is None


def test_a_shadow_scores_new_messages_of_its_kind_only_while_it_runs(app: Flask):
    _add_version(app, V)
    runner = app.test_cli_runner()
    before = _file_and_analyse(app, TEXTS[0])
    assert _shadow_rows(app) == []

    started = runner.invoke(args=["models", "shadow", V, "--days", "3"])
    assert started.exit_code == 0, started.output
    scored = _file_and_analyse(app, TEXTS[1])
    assert _shadow_rows(app) == [(scored, "category", V)]  # category only, the new one only
    with app.app_context():
        analysis = db.session.scalars(
            select(Analysis).where(Analysis.submission_id == scored)
        ).one()
        row = db.session.scalars(select(ShadowPrediction)).one()
        assert V not in analysis.model_version  # the stored analysis stays the champion's
        assert row.champion_label == analysis.category
        assert row.label == analysis.category  # the same model under another name agrees
        assert row.confidence == pytest.approx(analysis.category_confidence, abs=1e-6)
        # a label that arrives later counts for both
        record_labels(
            [
                LabelInput(
                    kind=LabelKind.CATEGORY,
                    source=LabelSource.STAFF_CORRECTION,
                    text=TEXTS[1],
                    label=str(analysis.category),
                    labelled_at=datetime.now(UTC),
                    submission_id=scored,
                    reference=f"submission:{scored}",
                )
            ]
        )
        db.session.commit()
        reanalyse_all_job()  # a re-analysis is not a new message: no shadow scoring
    assert len(_shadow_rows(app)) == 1

    listed = json.loads(runner.invoke(args=["models", "list", "--json"]).stdout)
    shadow = next(v for v in listed if v["version"] == V)["shadow"]
    assert shadow["n"] == 1 and shadow["agreement"] == 1.0 and shadow["active"] is True
    assert shadow["n_labelled"] == 1
    assert shadow["champion_accuracy"] == shadow["challenger_accuracy"] == 1.0
    assert all("shadow" not in v for v in listed if v["version"] != V)
    assert "shadow(n=1 agreement=1.0 active)" in runner.invoke(args=["models", "list"]).stdout

    stopped = runner.invoke(args=["models", "shadow", "--stop", "--kind", "category"])
    assert stopped.exit_code == 0, stopped.output
    _file_and_analyse(app, TEXTS[2])
    assert len(_shadow_rows(app)) == 1
    again = runner.invoke(args=["models", "shadow", "--stop", "--kind", "category"])
    assert again.exit_code == 1 and "没有影子运行" in again.stderr

    assert runner.invoke(args=["models", "shadow", V, "--days", "1"]).exit_code == 0
    with app.app_context():  # the period is over
        db.session.execute(
            update(ModelShadow).values(until=datetime.now(UTC) - timedelta(minutes=1))
        )
        db.session.commit()
    _file_and_analyse(app, TEXTS[3])
    assert [r[0] for r in _shadow_rows(app)] == [scored]
    with app.app_context():
        assert shadow_summary()[V]["active"] is False
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("model_shadow%"))
        ).all()
        assert sorted(actions) == ["model_shadow_start", "model_shadow_start", "model_shadow_stop"]
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 4
    assert before not in [r[0] for r in _shadow_rows(app)]


def test_the_stored_figures_agree_with_the_maths_and_weak_category_labels_do_not_count(
    app: Flask,
):
    ids = [file_submission(app, text) for text in TEXTS[:3]]
    planted = [
        ("城乡建设", 0.9, "城乡建设", 0.7),
        ("环境保护", 0.6, "城乡建设", 0.5),
        (None, None, "交通运输", 0.3),
    ]
    with app.app_context():
        for sid, (champion, champion_conf, label, conf) in zip(ids, planted, strict=True):
            db.session.add(
                ShadowPrediction(
                    submission_id=sid,
                    kind="category",
                    version=V,
                    label=label,
                    confidence=conf,
                    champion_label=champion,
                    champion_confidence=champion_conf,
                )
            )

        def label(sid: int, value: str, source: LabelSource) -> LabelInput:
            return LabelInput(
                kind=LabelKind.CATEGORY,
                source=source,
                text=f"标签{sid}{source}",
                label=value,
                labelled_at=datetime.now(UTC),
                submission_id=sid,
                reference=f"test:{sid}:{source}",
            )

        record_labels(
            [
                label(ids[1], "城乡建设", LabelSource.STAFF_CORRECTION),
                label(ids[2], "交通运输", LabelSource.RATING),  # weak: not a category truth
            ]
        )
        db.session.commit()
        figures = shadow_summary()[V]
    assert figures["n"] == 3 and figures["agreement"] == 0.3333
    assert figures["champion_mean_confidence"] == 0.75  # the missing one left out
    assert figures["challenger_mean_confidence"] == 0.5
    assert figures["n_labelled"] == 1
    assert figures["champion_accuracy"] == 0.0 and figures["challenger_accuracy"] == 1.0
    assert figures["active"] is False and figures["until"] is None


def test_a_broken_challenger_never_fails_the_analysis(app: Flask):
    _add_version(app, V)
    with app.app_context():
        start_shadow(V, 3)
        db.session.commit()
    shutil.rmtree(Path(app.config["MODEL_REGISTRY_DIR"]) / "category" / V)
    _file_and_analyse(app, TEXTS[0])  # analysed all the same
    assert _shadow_rows(app) == []


HOSTILE = ["\x00", "=1+1", "a\r\nb", "x" * 100_000, "", "category\x00"]


def test_hostile_form_values_on_the_models_page_never_give_a_500(app: Flask):
    _add_version(app, V)
    make_user(app, "office", username="office1")
    office = login(app, "office1")
    token = csrf_token(office.get("/office/models").get_data(as_text=True))
    for value in HOSTILE:
        for path, field in [
            ("/office/models/shadow", "version"),
            ("/office/models/shadow", "days"),
            ("/office/models/shadow/stop", "kind"),
            ("/office/models/promote", "version"),
            ("/office/models/rollback", "kind"),
        ]:
            data = {"csrf_token": token, "version": V, "days": "3", "kind": "category"}
            data[field] = value
            response = office.post(path, data=data)
            assert response.status_code in (303, 400, 413), (path, field, value[:20])
    assert office.get("/office/models").status_code == 200


@pytest.mark.parametrize(
    "args",
    [
        ["models", "shadow", "category-19990101-0000", "--days", "3"],
        ["models", "shadow", V, "--days", "0"],
        ["models", "shadow", V, "--days", "91"],
        ["models", "shadow", "=1+1\x00\r\n" + "x" * 5000],
        ["models", "shadow"],
        ["models", "shadow", "--stop"],
    ],
)
def test_hostile_shadow_arguments_are_refused_in_chinese(app: Flask, args: list[str]):
    _add_version(app, V)
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1, result.output
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.stderr)
    with app.app_context():
        assert db.session.scalars(select(ModelShadow)).all() == []


def test_only_a_challenger_can_go_into_shadow(app: Flask):
    _add_version(app, V, WINNING)
    with app.app_context():
        promote(V)
        db.session.commit()
        with pytest.raises(RegistryError, match="不是候选模型"):
            start_shadow(V, 3)


def test_the_models_page_shows_shadows_and_promotes_by_the_rule(app: Flask):
    _add_version(app, V)
    winner = "category-20261205-0201"
    _add_version(app, winner, WINNING)
    with app.app_context():
        seed_demo_data(0)  # the departments
        db.session.commit()
    make_user(app, "office", username="office1")
    make_user(app, "department_staff", "cgzf", username="staff1")
    office = login(app, "office1")
    queue = office.get("/office/queue").get_data(as_text=True)
    assert "/office/models" in queue
    page = office.get("/office/models").get_data(as_text=True)
    assert "模型管理" in page and f'data-version="{V}"' in page and "开始影子运行" in page
    token = csrf_token(page)

    started = office.post(
        "/office/models/shadow", data={"csrf_token": token, "version": V, "days": "5"}
    )
    assert started.status_code == 303
    page = office.get("/office/models").get_data(as_text=True)
    assert "影子运行已开始" in page and "进行中" in page
    bad = office.post(
        "/office/models/shadow", data={"csrf_token": token, "version": V, "days": "=1+1"}
    )
    assert bad.status_code == 303
    assert "天数" in office.get("/office/models").get_data(as_text=True)

    refused = office.post("/office/models/promote", data={"csrf_token": token, "version": V})
    assert refused.status_code == 303
    page = office.get("/office/models").get_data(as_text=True)
    assert f"拒绝晋升 {V}" in page  # the rule's own words
    promoted = office.post("/office/models/promote", data={"csrf_token": token, "version": winner})
    assert promoted.status_code == 303
    page = office.get("/office/models").get_data(as_text=True)
    assert f'data-champion="{winner}"' in page and "回退" in page

    back = office.post("/office/models/rollback", data={"csrf_token": token, "kind": "category"})
    assert back.status_code == 303
    page = office.get("/office/models").get_data(as_text=True)
    assert f'data-champion="{shipped_version("category")}"' in page
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action)).all())
        assert {"model_shadow_start", "model_promote", "model_rollback"} <= actions

    no_token = office.post("/office/models/rollback", data={"kind": "category"})
    assert no_token.status_code == 400
    staff = login(app, "staff1")
    assert staff.get("/office/models").status_code in (302, 303, 403, 404)
    assert staff.post("/office/models/promote", data={"version": winner}).status_code in (
        302,
        303,
        400,
        403,
        404,
    )


def test_two_shadow_starts_at_once_leave_one_shadow_per_kind(
    _postgresql_app: Flask, tmp_path: Path
):
    app = _postgresql_app
    app.config["MODEL_REGISTRY_DIR"] = str(tmp_path / "registry")
    names = ["category-20261205-0210", "category-20261205-0211"]
    for name in names:
        _add_version(app, name)
    make_user(app, "office", username="office1")
    make_user(app, "office", username="office2")
    clients = [login(app, "office1"), login(app, "office2")]
    tokens = [csrf_token(c.get("/office/models").get_data(as_text=True)) for c in clients]
    gate = threading.Barrier(2)
    codes: list[int] = []

    def post_one(index: int) -> None:
        gate.wait()
        data = {"csrf_token": tokens[index], "version": names[index], "days": "3"}
        codes.append(clients[index].post("/office/models/shadow", data=data).status_code)

    requests = [threading.Thread(target=post_one, args=(i,)) for i in range(2)]
    for thread in requests:
        thread.start()
    for thread in requests:
        thread.join(60)
    assert codes == [303, 303]
    with app.app_context():
        assert len(db.session.scalars(select(ModelShadow)).all()) == 1
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def start_one(name: str) -> None:
        with app.app_context():
            barrier.wait()
            try:
                start_shadow(name, 3)
                db.session.commit()
                outcomes.append("started")
            except Exception as exc:
                outcomes.append(type(exc).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=start_one, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert outcomes == ["started", "started"]  # the later start replaces the earlier one
    with app.app_context():
        shadows = db.session.scalars(select(ModelShadow)).all()
        assert len(shadows) == 1 and shadows[0].version in names
