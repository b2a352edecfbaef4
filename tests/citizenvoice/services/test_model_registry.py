"""The model registry: listing, the promotion rule, forced promotion audited, rollback, pick-up
without a restart, hostile CLI arguments and two promotions at once (issue 22).

Versions here are copies of the shipped models under a new name (no training: that is
tests/citizenvoice/test_model_retrain.py), with the metrics each test needs.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from factories import make_model_version
from flask import Flask
from sqlalchemy import select
from support import file_submission

from citizenvoice.domain.model_registry import (
    MAX_DEV_LOSS,
    promotion_refusal,
    split_newest,
    training_weight,
    version_name,
)
from citizenvoice.extensions import db
from citizenvoice.models import Analysis, AuditEntry, ModelVersion
from citizenvoice.services.model_registry import (
    RegistryError,
    champion_dirs,
    promote,
    shipped_version,
)

GOOD = {
    "dev": {"macro_f1": 0.92},
    "newest": {"score": 0.9, "measure": "macro_f1", "n": 10},
    "baseline": {"dev": {"macro_f1": 0.921}, "newest": {"score": 0.7}},
}


@pytest.fixture
def app(db_app: Flask, tmp_path: Path) -> Flask:
    """Both databases, the registry in a temporary folder."""
    db_app.config["MODEL_REGISTRY_DIR"] = str(tmp_path / "registry")
    return db_app


def _add_version(
    app: Flask, version: str, metrics: dict[str, Any] | None = None, kind: str = "category"
) -> Path:
    """A challenger (the shipped model copied, ``factories.make_model_version``), GOOD figures."""
    return make_model_version(app, version, metrics or GOOD, kind)


def _status(version: str) -> str:
    db.session.expire_all()
    return db.session.scalars(
        select(ModelVersion.status).where(ModelVersion.version == version)
    ).one()


# --- the pure rules ------------------------------------------------------------------------


def test_the_promotion_rule_allows_half_a_point_of_dev_loss_and_needs_a_newest_win():
    champion = {"dev": {"macro_f1": 0.93}, "newest": {"score": 0.80}}
    ok = {"dev": {"macro_f1": 0.93 - MAX_DEV_LOSS}, "newest": {"score": 0.81}}
    assert promotion_refusal(ok, champion, "old") is None
    lost = {"dev": {"macro_f1": 0.924}, "newest": {"score": 0.95}}
    assert "0.60 个百分点" in str(promotion_refusal(lost, champion, "old"))
    tie = {"dev": {"macro_f1": 0.94}, "newest": {"score": 0.80}}
    assert "未超过现任模型 old" in str(promotion_refusal(tie, champion, "old"))
    no_slice = {"dev": {"macro_f1": 0.94}, "newest": {"score": None}}
    assert "最新产品内标注" in str(promotion_refusal(no_slice, champion, "old"))
    assert promotion_refusal({}, champion, "old") is not None
    # a centre tree sharing no class with the gold dev split: the newest slice alone decides
    own = {"dev": {"macro_f1": None, "n": 0}, "newest": {"score": 0.81}}
    assert promotion_refusal(own, champion, "old") is None
    own_tie = {"dev": {"macro_f1": None, "n": 0}, "newest": {"score": 0.80}}
    assert "未超过现任模型 old" in str(promotion_refusal(own_tie, champion, "old"))


def test_the_newest_share_is_held_out_by_time_and_weak_labels_weigh_less():
    assert split_newest(list(range(10))) == (list(range(8)), [8, 9])
    assert split_newest([1]) == ([], [1])
    assert split_newest([]) == ([], [])
    assert training_weight("weak", 1.0) < training_weight("strong", 1.0) == 1.0
    from datetime import UTC, datetime

    at = datetime(2026, 12, 5, 1, 53, tzinfo=UTC)
    assert version_name("category", at) == "category-20261205-0153"
    assert version_name("category", at, ["category-20261205-0153"]) == "category-20261205-0153-2"


# --- listing --------------------------------------------------------------------------------


def test_list_json_prints_only_an_array_with_the_shipped_champions(app: Flask):
    with app.app_context():
        _add_version(app, "category-20261205-0100")
    result = app.test_cli_runner().invoke(args=["models", "list", "--json"])
    assert result.exit_code == 0, result.output
    versions = json.loads(result.stdout)
    assert isinstance(versions, list)
    for v in versions:
        assert {"kind", "version", "status", "dir", "metrics"} <= set(v)
        assert v["status"] in {"champion", "challenger", "retired"}
        assert Path(v["dir"]).is_absolute()
    by_status = {(v["kind"], v["status"]) for v in versions if v["shipped"]}
    assert by_status == {("category", "champion"), ("sentiment", "champion")}
    (ours,) = [v for v in versions if v["version"] == "category-20261205-0100"]
    assert ours["status"] == "challenger" and ours["metrics"]["dev"]["macro_f1"] == 0.92
    text = app.test_cli_runner().invoke(args=["models", "list", "--kind", "category"])
    assert "category-20261205-0100" in text.output and "sentiment" not in text.output


# --- promotion ------------------------------------------------------------------------------


def test_promote_refuses_in_chinese_when_the_challenger_loses_on_dev(app: Flask):
    worse = {"dev": {"macro_f1": 0.90}, "newest": {"score": 0.9}}
    worse["baseline"] = {"dev": {"macro_f1": 0.93}, "newest": {"score": 0.5}}
    with app.app_context():
        _add_version(app, "category-20261205-0101", worse)
    result = app.test_cli_runner().invoke(args=["models", "promote", "category-20261205-0101"])
    assert result.exit_code == 1
    assert "拒绝晋升" in result.stderr and "金标准开发集" in result.stderr
    with app.app_context():
        assert _status("category-20261205-0101") == "challenger"
        assert champion_dirs() == {}


def test_forced_promotion_needs_a_reason_and_is_audited(app: Flask):
    worse = {"dev": {"macro_f1": 0.90}, "newest": {"score": 0.4}}
    worse["baseline"] = {"dev": {"macro_f1": 0.93}, "newest": {"score": 0.5}}
    with app.app_context():
        _add_version(app, "category-20261205-0102", worse)
    runner = app.test_cli_runner()
    no_reason = runner.invoke(args=["models", "promote", "category-20261205-0102", "--force"])
    assert no_reason.exit_code == 1 and "--reason" in no_reason.stderr
    reason = "新分类体系上线，=1+1\r\n 先用新模型"
    forced = runner.invoke(
        args=["models", "promote", "category-20261205-0102", "--force", "--reason", reason]
    )
    assert forced.exit_code == 0, forced.output
    with app.app_context():
        assert _status("category-20261205-0102") == "champion"
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "model_promote")
        ).one()
        assert entry.subject_id == "category-20261205-0102"
        assert entry.details["forced"] is True and entry.details["reason"] == reason.strip()
        assert "金标准开发集" in entry.details["rule"]


def test_promote_latest_then_rollback_to_the_previous_champion_then_shipped(app: Flask):
    runner = app.test_cli_runner()
    with app.app_context():
        _add_version(app, "category-20261205-0103")
    assert (
        runner.invoke(args=["models", "promote", "--latest", "--kind", "category"]).exit_code == 0
    )
    with app.app_context():
        _add_version(app, "category-20261205-0104", {**GOOD, "baseline": {}})
        # trained against the shipped model, but the champion changed: measured again (no
        # newest slice stored, so the rule refuses) -- forced instead
    refused = runner.invoke(args=["models", "promote", "--latest", "--kind", "category"])
    assert refused.exit_code == 1 and "最新产品内标注" in refused.stderr
    forced = runner.invoke(
        args=["models", "promote", "category-20261205-0104", "--force", "--reason", "试用"]
    )
    assert forced.exit_code == 0, forced.stderr
    back = runner.invoke(args=["models", "rollback", "--kind", "category"])
    assert back.exit_code == 0 and "category-20261205-0103 is the champion" in back.stdout
    with app.app_context():
        assert _status("category-20261205-0104") == "retired"
        assert _status("category-20261205-0103") == "champion"
    again = runner.invoke(args=["models", "rollback", "--kind", "category"])
    assert again.exit_code == 0 and shipped_version("category") in again.stdout
    with app.app_context():
        assert champion_dirs() == {}
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
        assert actions.count("model_rollback") == 2 and actions.count("model_promote") == 2
    none_left = runner.invoke(args=["models", "rollback", "--kind", "category"])
    assert none_left.exit_code == 1 and "随附模型" in none_left.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["models", "promote", "category-19990101-0000"],
        ["models", "promote", "nul\x00=1+1"],
        ["models", "promote", "x" * 5000],
        ["models", "promote"],
        ["models", "promote", "--latest"],
        ["models", "promote", "--latest", "--kind", "category"],
        ["models", "promote", "category-20261205-0105", "--latest", "--kind", "category"],
        ["models", "promote", "category-20261205-0105"],  # already the champion
    ],
)
def test_hostile_promote_arguments_exit_1_with_a_chinese_message(app: Flask, args: list[str]):
    with app.app_context():
        _add_version(app, "category-20261205-0105")
        promote("category-20261205-0105")
        db.session.commit()
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1, result.output
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    "args",
    [
        ["models", "rollback", "--kind", "weather"],
        ["models", "list", "--kind", "=1+1"],
        ["models", "retrain", "--kind", "category\r\n"],
        ["models", "retrain"],
    ],
)
def test_a_wrong_kind_is_a_usage_error(app: Flask, args: list[str]):
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 2


def test_tampered_files_are_never_promoted(app: Flask):
    with app.app_context():
        directory = _add_version(app, "category-20261205-0106")
        (directory / "arrays.npz").write_bytes(b"not the model")
        with pytest.raises(RegistryError, match="校验和"):
            promote("category-20261205-0106")


# --- pick-up without a restart --------------------------------------------------------------


def test_the_next_analysis_uses_a_promoted_model_without_a_restart(app: Flask):
    from citizenvoice.jobs import reanalyse_all_job

    case = file_submission(app, "小区楼下餐馆每晚营业到凌晨，噪音很大，请环保部门处理。")
    with app.app_context():
        reanalyse_all_job()
        first = db.session.scalars(select(Analysis.model_version)).one()
        assert f"category={shipped_version('category')};" in first
        _add_version(app, "category-20261205-0107")
        promote("category-20261205-0107")
        db.session.commit()
        reanalyse_all_job(since="2000-01-01")
        db.session.expire_all()
        now = db.session.scalars(
            select(Analysis.model_version).where(Analysis.submission_id == case)
        ).one()
        assert "category=category-20261205-0107;" in now
        assert f"sentiment={shipped_version('sentiment')};" in now
        # a rollback is picked up the same way; --since in the future re-runs nothing
        from citizenvoice.services.model_registry import rollback

        rollback("category")
        db.session.commit()
        assert reanalyse_all_job(since="2999-01-01") == {"analysed": 0}
        reanalyse_all_job()
        db.session.expire_all()
        back = db.session.scalars(select(Analysis.model_version)).one()
        assert f"category={shipped_version('category')};" in back


# --- two promotions at once -----------------------------------------------------------------


@pytest.mark.parametrize("existing_champion", [False, True])
def test_two_promotions_at_once_leave_one_champion(
    _postgresql_app: Flask, tmp_path: Path, existing_champion: bool
):
    app = _postgresql_app
    app.config["MODEL_REGISTRY_DIR"] = str(tmp_path / "registry")
    names = ["category-20261205-0110", "category-20261205-0111"]
    with app.app_context():
        for name in names:
            _add_version(app, name)
        if existing_champion:
            _add_version(app, "category-20261205-0109")
            promote("category-20261205-0109")
            db.session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def promote_one(name: str) -> None:
        with app.app_context():
            barrier.wait()
            try:
                promote(name, force=True, reason="并发测试")
                db.session.commit()
                outcomes.append("promoted")
            except RegistryError:
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=promote_one, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert "promoted" in outcomes and len(outcomes) == 2
    with app.app_context():
        champions = db.session.scalars(
            select(ModelVersion.version).where(ModelVersion.status == "champion")
        ).all()
        assert len(champions) == 1 and champions[0] in names
        promoted = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "model_promote")
        ).all()
        assert len(promoted) == outcomes.count("promoted") + int(existing_champion)


def test_reanalyse_since_runs_in_process_with_a_progress_bar(tmp_path: Path):
    """The embedded default (no Redis): ``--since`` keeps to newer cases, bad dates exit 2."""
    from factories import embedded_app

    for app in embedded_app(tmp_path / "embedded.sqlite3"):
        file_submission(app, "公司拖欠农民工三个月工资，请人社部门帮忙讨薪。")
        runner = app.test_cli_runner()
        done = runner.invoke(args=["analysis", "reanalyse", "--since", "2000-01-01"])
        assert done.exit_code == 0 and "re-analysed 1 submissions" in done.stdout
        later = runner.invoke(args=["analysis", "reanalyse", "--since", "2999-01-01T00:00:00"])
        assert later.exit_code == 0 and "re-analysed 0 submissions" in later.stdout
        for hostile in ("=1+1", "2026-13-45", "\x00", "x" * 5000):
            bad = runner.invoke(args=["analysis", "reanalyse", "--since", hostile])
            assert bad.exit_code == 2


def test_two_rollbacks_at_once_go_back_one_step(_postgresql_app: Flask, tmp_path: Path):
    from citizenvoice.services.model_registry import rollback

    app = _postgresql_app
    app.config["MODEL_REGISTRY_DIR"] = str(tmp_path / "registry")
    with app.app_context():
        for name in ("category-20261205-0120", "category-20261205-0121"):
            _add_version(app, name)
            promote(name, force=True, reason="准备")
            db.session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def rollback_once() -> None:
        with app.app_context():
            barrier.wait()
            try:
                rollback("category")
                db.session.commit()
                outcomes.append("rolled back")
            except RegistryError:
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=rollback_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # Both at once: one goes back a step, the other is told to try again. (Should one thread
    # finish before the other starts, the second goes one step further, as it should.)
    done = outcomes.count("rolled back")
    assert len(outcomes) == 2 and done >= 1
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "model_rollback")
        ).all()
        assert len(entries) == done
        assert entries[0].details["champion"] == "category-20261205-0120"
        assert champion_dirs().keys() == ({"category"} if done == 1 else set())
