"""The learning loop end to end, through the product's own doors (issue 22).

Residents' open 评价 with 1-5 stars and text, posted through ``POST /api/v1/feedback``, become
weak sentiment labels; ``flask models retrain --kind sentiment`` trains a challenger on them;
``flask models promote --latest --kind sentiment`` makes it the champion (forced, with the
reason in the audit chain, when the rule refuses a challenger this small); the next analysis,
run by the analysis job in-process, records the new version. A small ``--shipped-limit`` keeps
the training to seconds; the figures of the loop are measured by benchmarks/bench_learning.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from citizenvoice.extensions import db
from citizenvoice.models import Analysis, AuditEntry, ModelVersion, Submission, TrainingLabel
from nlp.datasets import data_dir

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(data_dir(required=False) is None, reason="shared data not available"),
]

# (stars, text): what residents write beside their stars, clearly polar both ways
RATINGS = [
    (5, "窗口工作人员态度热情，十分钟就办好了，非常满意"),
    (4, "问题很快解决了，服务周到，谢谢你们"),
    (5, "社区干部上门帮忙，效率很高，点赞"),
    (4, "路灯第二天就修好了，反映的问题处理得很及时"),
    (5, "办事流程简单清楚，一次就办成，体验很好"),
    (1, "打了五次电话都没人处理，拖了两个月，很失望"),
    (2, "工作人员态度冷漠，推来推去，问题一直没解决"),
    (1, "排队三个小时还没办完，效率太低，非常不满意"),
    (2, "答复敷衍了事，根本没有到现场看，太差了"),
    (1, "投诉多次没有任何回音，服务太差劲"),
]


@pytest.fixture
def app(_postgresql_app: Flask, tmp_path: Path) -> Flask:
    """PostgreSQL, the demo departments, a registry of its own, no submission limit in the way."""
    from citizenvoice.cli import seed_demo_data

    _postgresql_app.config.update(
        MODEL_REGISTRY_DIR=str(tmp_path / "registry"), SUBMISSION_RATE_LIMIT="1000/minute"
    )
    with _postgresql_app.app_context():
        seed_demo_data(0)
        db.session.commit()
    return _postgresql_app


def _post(app: Flask, body: dict[str, object]) -> str:
    response = app.test_client().post("/api/v1/feedback", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return str(response.get_json()["tracking_code"])


def _analyse(app: Flask, code: str) -> str:
    """Run the analysis job in-process for the case ``code``; its Analysis.model_version."""
    from citizenvoice.jobs import analyse_submission_job

    with app.app_context():
        case_id = db.session.scalar(select(Submission.id).where(Submission.tracking_code == code))
        assert case_id is not None
        analyse_submission_job(case_id)
        version = db.session.scalar(
            select(Analysis.model_version).where(Analysis.submission_id == case_id)
        )
        assert version
        return str(version)


def test_ratings_posted_through_the_api_retrain_promote_and_reach_the_next_analysis(app: Flask):
    department = app.test_client().get("/api/v1/departments").get_json()[0]["code"]
    rounds = 3  # 30 ratings: 24 to train on, the newest 6 held out by the retrain
    codes = [
        _post(app, {"kind": "rating", "department": department, "rating": stars, "text": text})
        for n in range(rounds)
        for stars, text in [(s, f"{t}（第{n + 1}次）") for s, t in RATINGS]
    ]
    with app.app_context():
        labels = db.session.scalars(select(TrainingLabel)).all()
        assert len(labels) == len(codes)
        assert {(x.kind, x.source, x.strength) for x in labels} == {("sentiment", "rating", "weak")}
        assert sorted(x.label for x in labels) == ["neg"] * 15 + ["pos"] * 15
    before = _analyse(app, codes[0])  # made by the shipped models: no registry version yet

    runner = app.test_cli_runner()
    trained = runner.invoke(
        args=["models", "retrain", "--kind", "sentiment", "--shipped-limit", "400"]
    )
    assert trained.exit_code == 0, trained.output
    with app.app_context():
        row = db.session.scalars(select(ModelVersion)).one()
        version = row.version
        assert row.kind == "sentiment" and row.status == "challenger"
        assert row.metrics["n_product_train"] == 24 and row.metrics["n_product_newest"] == 6
    assert f"sentiment={version}" not in before.split(";")

    promoted = runner.invoke(args=["models", "promote", "--latest", "--kind", "sentiment"])
    forced = promoted.exit_code != 0
    if forced:  # a challenger this small may lose on the shipped dev split: the rule says why
        assert "拒绝晋升" in promoted.stderr
        promoted = runner.invoke(
            args=["models", "promote", version, "--force", "--reason", "端到端测试"]
        )
    assert promoted.exit_code == 0, promoted.output
    with app.app_context():
        assert db.session.get(ModelVersion, row.id).status == "champion"  # type: ignore[union-attr]
        audit = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "model_promote")
        ).one()
        assert audit.subject_id == version and audit.details["forced"] is forced
        if forced:
            assert audit.details["reason"] == "端到端测试" and audit.details["rule"]

    # the next case filed through the API is analysed with the promoted model, no restart
    after = _analyse(app, _post(app, {"kind": "complaint", "text": "小区门口路灯坏了一个月没人修"}))
    assert f"sentiment={version}" in after.split(";")
    assert after != before
