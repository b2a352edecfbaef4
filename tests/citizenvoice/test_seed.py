"""The demo seed: departments covering the seven categories, demo submissions, idempotence."""

from __future__ import annotations

from sqlalchemy import func, select

from citizenvoice.extensions import db
from citizenvoice.models import Department, OutboxMessage, Submission
from citizenvoice.seed_data import DEMO_DEPARTMENTS

TIPDM_CATEGORIES = {
    "城乡建设",
    "劳动和社会保障",
    "教育文体",
    "商贸旅游",
    "环境保护",
    "卫生计生",
    "交通运输",
}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_demo_departments_cover_every_category_and_three_groups():
    covered = {c for d in DEMO_DEPARTMENTS for c in d["categories"]}
    assert covered >= TIPDM_CATEGORIES
    assert {d["group"] for d in DEMO_DEPARTMENTS} == {"综合管理", "执法监管", "公共服务"}
    assert len({d["code"] for d in DEMO_DEPARTMENTS}) == len(DEMO_DEPARTMENTS)


def test_seed_without_data_dir_uses_the_builtin_sample_and_is_idempotent(app, runner):
    app.config["DATA_DIR"] = None
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    assert "built-in sample" in first.output
    with app.app_context():
        departments, submissions = _count(Department), _count(Submission)
        assert departments == len(DEMO_DEPARTMENTS)
        assert submissions >= 10
        assert _count(OutboxMessage) == submissions  # every demo case waits for analysis
        kinds = set(db.session.scalars(select(Submission.kind)))
        assert kinds == {"complaint", "rating", "suggestion"}
    second = runner.invoke(args=["seed"])
    assert second.exit_code == 0
    with app.app_context():
        assert (_count(Department), _count(Submission)) == (departments, submissions)


def test_seed_with_the_shared_data_creates_real_messages(app, runner):
    if not app.config.get("DATA_DIR"):
        import pytest

        pytest.skip("shared data not present on this machine")
    result = runner.invoke(args=["seed", "--messages", "40"])
    assert result.exit_code == 0, result.output
    assert "real messages" in result.output
    with app.app_context():
        assert 30 <= _count(Submission) <= 40
        unrouted = db.session.scalar(
            select(func.count()).select_from(Submission).where(Submission.department_id.is_(None))
        )
        assert 0 < unrouted < 40  # some are left for the classifier to route
