"""The embedded default: SQLite, no Redis, analysis on a thread of the web process."""

from __future__ import annotations

from flask_migrate import upgrade
from sqlalchemy import func, select

from citizenvoice import create_app
from citizenvoice.extensions import db
from citizenvoice.models import Analysis, Submission
from config import DevelopmentConfig


def _embedded_app(tmp_path):
    config = DevelopmentConfig({"DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}"})
    config.DATA_DIR = None  # the built-in sample: the product runs without the shared data
    app = create_app(config)
    with app.app_context():
        upgrade()
    return app


def test_seed_analyses_the_demo_cases_in_process_without_redis(tmp_path):
    app = _embedded_app(tmp_path)
    assert app.config["ANALYSIS_IN_PROCESS"] is True
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "analysed" in result.output
    with app.app_context():
        submissions = db.session.scalar(select(func.count()).select_from(Submission))
        analysed = db.session.scalar(
            select(func.count()).select_from(Submission).where(Submission.analysis_status == "done")
        )
        categories = set(db.session.scalars(select(Analysis.category)))
    assert submissions == analysed > 0
    assert len(categories - {None}) >= 3


def test_a_complaint_through_the_api_is_analysed_in_process(tmp_path):
    app = _embedded_app(tmp_path)
    app.test_cli_runner().invoke(args=["seed", "--messages", "0"])
    client = app.test_client()
    response = client.post(
        "/api/v1/feedback",
        json={
            "kind": "complaint",
            "department": None,
            "text": "公司拖欠我们二十多名农民工三个月工资，请人社部门帮忙讨薪。",
        },
    )
    assert response.status_code == 201
    code = response.get_json()["tracking_code"]
    app.extensions["citizenvoice.runner"].shutdown()  # wait for the background analysis
    body = client.get(f"/api/v1/feedback/{code}").get_json()
    assert body["category"] == "劳动和社会保障"
