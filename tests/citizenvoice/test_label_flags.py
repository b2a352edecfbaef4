"""Judgements whose comment reads clearly the opposite: flagged with both figures, counted per
department on the integrity page, never rescored; the rule's thresholds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from factories import embedded_app, file_case, login, make_user, post_follow_up
from flask import Flask
from sqlalchemy import func, select

from citizenvoice.domain.judgement_flags import CLEARLY_NEGATIVE, CLEARLY_POSITIVE, disagreement
from citizenvoice.extensions import db
from citizenvoice.models import FollowUp, JudgementFlag, RatingReview
from citizenvoice.services.appraisal import ensure_periods


def test_only_clear_judgements_with_clearly_opposite_scores_disagree():
    assert disagreement("satisfied", CLEARLY_NEGATIVE - 0.01) is not None
    assert disagreement("satisfied", CLEARLY_NEGATIVE) is None
    assert disagreement("dissatisfied", CLEARLY_POSITIVE) is not None
    assert disagreement("dissatisfied", CLEARLY_POSITIVE - 0.01) is None
    assert disagreement("basic", 0.0) is None and disagreement("basic", 1.0) is None
    assert disagreement(None, 0.0) is None
    assert "满意" in disagreement("satisfied", 0.05) and "0.05" in disagreement("satisfied", 0.05)


@pytest.fixture(params=["postgresql", "sqlite"])
def both(request, tmp_path) -> Iterator[Flask]:
    """The seeded app on the test PostgreSQL database, or the embedded default on SQLite."""
    if request.param == "postgresql":
        yield request.getfixturevalue("seeded")
        return
    yield from embedded_app(tmp_path / "flags.sqlite3")


# (judgement, rating, comment, flagged?) — hand-written so the expected reading is clear.
ANSWERS = [
    ("satisfied", "5", "问题根本没解决，太差了，敷衍了事", True),
    ("dissatisfied", "1", "很好很好，非常感谢工作人员", True),
    ("satisfied", "5", "处理很及时，谢谢！", False),
    ("dissatisfied", "2", "答复敷衍，现场情况没有变化。", False),
    ("basic", "3", "问题根本没解决，太差了", False),  # 基本满意 never disagrees
    ("satisfied", "5", "差", False),  # too short to say anything
]


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_disagreements_are_flagged_with_both_figures_and_never_rescored(both):
    cases = []
    for judgement, rating, comment, _ in ANSWERS:
        case = file_case(both, f"小区门口路灯坏了一个月（{comment}）", until="replied")
        response = post_follow_up(
            both.test_client(),
            case["code"],
            contacted="yes",
            resolved="yes",
            satisfaction=judgement,
            rating=rating,
            comment=comment,
        )
        assert response.status_code == 303
        cases.append(case["id"])
    with both.app_context():
        before = [(f.satisfaction, f.rating) for f in db.session.scalars(select(FollowUp))]
    runner = both.test_cli_runner()
    result = runner.invoke(args=["labels", "flags"])
    assert result.exit_code == 0, result.output
    assert "已检查 4 条有意见的满意/不满意回访，标记 2 条" in result.output
    assert "市城市管理综合执法局\t2/4\t50.0%" in result.output
    runner.invoke(args=["labels", "flags"])  # again: the same flags, once
    with both.app_context():
        flags = {f.submission_id: f for f in db.session.scalars(select(JudgementFlag))}
        assert set(flags) == {cases[0], cases[1]}
        assert flags[cases[0]].judgement == "satisfied" and flags[cases[0]].rating == 5
        assert flags[cases[0]].sentiment_score < CLEARLY_NEGATIVE
        assert flags[cases[1]].sentiment_score >= CLEARLY_POSITIVE
        assert flags[cases[0]].model_version
        # Never rescored: the follow-ups are as they were and nothing is held.
        assert [(f.satisfaction, f.rating) for f in db.session.scalars(select(FollowUp))] == before
        assert db.session.scalar(select(func.count()).select_from(RatingReview)) == 0
        code = next(p for p in ensure_periods() if p.kind == "month").code
        db.session.commit()
    make_user(both, "office", username="office1")
    page = login(both, "office1").get(f"/office/periods/{code}/integrity").get_data(as_text=True)
    assert "评价与意见不一致" in page and f"#{cases[0]}" in page and f"#{cases[1]}" in page
    assert "<td>市城市管理综合执法局</td><td>2</td>" in page
    assert "评价为满意，但意见内容明显负面" in page


def test_a_flag_goes_when_the_judgement_no_longer_disagrees(both):
    case = file_case(both, "小区门口路灯坏了一个月", until="replied")
    post_follow_up(
        both.test_client(),
        case["code"],
        contacted="yes",
        resolved="yes",
        satisfaction="satisfied",
        comment="问题根本没解决，太差了，敷衍了事",
    )
    runner = both.test_cli_runner()
    runner.invoke(args=["labels", "flags"])
    with both.app_context():
        assert db.session.scalar(select(func.count()).select_from(JudgementFlag)) == 1
        row = db.session.scalar(select(FollowUp))
        row.satisfaction = "dissatisfied"  # as a redone case's new judgement would
        db.session.commit()
    runner.invoke(args=["labels", "flags"])
    with both.app_context():
        assert db.session.scalar(select(func.count()).select_from(JudgementFlag)) == 0
