"""Tests for nlp.reply_quality: scoring a department's reply against the citizen message."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.datasets import data_dir, load_replies
from nlp.reply_quality import (
    MAX_CHARS,
    IdfTable,
    ReplyQuality,
    fit_idf,
    relevance_signals,
    score_reply,
)

MESSAGE = (
    "A2区景蓉华苑物业管理有问题。2019年4月以来，位于A市A2区桂花坪街道的景蓉华苑小区物业公司"
    "扬言要退出小区，业委会在未召开全体业主大会的情况下制定了高昂的停车收费方案要业主投票。"
)
GOOD_REPLY = (
    "网友：您好！您反映的“A2区景蓉华苑物业管理有问题”已收悉。经调查核实，景蓉华苑业委会于4月10日"
    "以意见收集方式召开了业主大会，超过三分之二的业主同意收取停车管理费。针对物业公司去留问题，"
    "桂花坪街道已责成业委会依法依规召开业主大会，根据《物业管理条例》第十二条的规定执行相应程序，"
    "目前停车收费争议已解决。如有疑问请拨打桂花坪街道联系电话0731-0000-0000。感谢您对我们工作的支持。"
)
TEMPLATE_REPLY = "网友：您好！留言已收悉"
UNRELATED_REPLY = (
    "网友：您好！关于K9县楚江源中学收取补课费的问题，经调查，该校已按规定退还学生补课费用，"
    "教育局已责成学校整改，依据《中小学办学行为规范》严禁有偿补课。咨询电话0744-0000-0000。"
)
T0 = datetime(2019, 4, 25, 9, 32)


def test_good_reply_scores_high_with_all_parts() -> None:
    q = score_reply(MESSAGE, GOOD_REPLY, T0, T0 + timedelta(days=3))
    assert isinstance(q, ReplyQuality)
    assert q.parts == ("facts", "measures", "result", "basis", "contact")
    assert q.missing_parts == ()
    assert q.timeliness == 1.0
    assert q.relevance > 0.5
    assert q.score > 0.75
    assert not q.template_only
    assert "答复未回应诉求要点" not in q.reasons


def test_template_only_reply_scores_low_with_reasons() -> None:
    q = score_reply(MESSAGE, TEMPLATE_REPLY, T0, T0 + timedelta(days=20))
    assert q.template_only
    assert q.score < 0.15
    assert q.reasons[0] in {"答复未回应诉求要点", "答复仅为套话，缺少实质内容"}
    for reason in ("缺少处理结果", "未提供联系方式", "答复过于简短", "答复超过15日时限"):
        assert reason in q.reasons
    assert any("套话" in w for w in q.warnings)


def test_reply_to_another_message_is_less_relevant() -> None:
    true = score_reply(MESSAGE, GOOD_REPLY)
    other = score_reply(MESSAGE, UNRELATED_REPLY)
    assert true.relevance > other.relevance + 0.3
    assert "答复未回应诉求要点" in other.reasons
    assert any(w.startswith("相关度低") for w in other.warnings)
    # Without timestamps timeliness is not assessed and does not weigh in the score.
    assert true.timeliness is None and true.delay_days is None


@pytest.mark.parametrize(
    ("days", "expected"),
    [(0.5, 1.0), (7.0, 1.0), (11.0, 0.75), (15.0, 0.5), (30.0, 0.25), (45.0, 0.0), (400.0, 0.0)],
)
def test_timeliness_curve(days: float, expected: float) -> None:
    q = score_reply(MESSAGE, GOOD_REPLY, T0, T0 + timedelta(days=days))
    assert q.timeliness == pytest.approx(expected, abs=1e-4)
    assert q.delay_days == pytest.approx(days, abs=1e-3)


def test_reply_before_message_is_flagged_not_scored() -> None:
    q = score_reply(MESSAGE, GOOD_REPLY, T0, T0 - timedelta(days=1))
    assert q.timeliness is None
    assert any("时间" in w for w in q.warnings)


@pytest.mark.parametrize("reply", ["", "   ", "😀👍", "\n"])
def test_empty_or_emoji_replies(reply: str) -> None:
    q = score_reply(MESSAGE, reply)
    assert 0.0 <= q.score <= 0.1
    assert q.reasons


@pytest.mark.parametrize("message", ["", "   ", "😡😡😡"])
def test_empty_message_gives_zero_relevance(message: str) -> None:
    q = score_reply(message, GOOD_REPLY)
    assert q.relevance == 0.0
    assert 0.0 <= q.score <= 1.0


def test_long_inputs_result_or_clear_error() -> None:
    long_reply = (GOOD_REPLY * 500)[:100_000]
    q = score_reply(MESSAGE, long_reply)
    assert 0.0 <= q.score <= 1.0
    with pytest.raises(ValueError, match="limit"):
        score_reply(MESSAGE, "经调查" * (MAX_CHARS // 3 + 1))


def test_given_tokens_are_used_and_result_is_frozen() -> None:
    q1 = score_reply(MESSAGE, GOOD_REPLY)
    q2 = score_reply(
        MESSAGE, GOOD_REPLY, message_tokens=["景蓉华苑", "物业"], reply_tokens=["物业"]
    )
    assert q1 != q2
    with pytest.raises(dataclasses.FrozenInstanceError):
        q1.score = 1.0  # type: ignore[misc]
    assert score_reply(MESSAGE, GOOD_REPLY) == q1  # deterministic


def test_idf_and_signals() -> None:
    table = fit_idf([["物业", "小区"], ["物业", "停车"], ["学校"]], min_df=1)
    assert isinstance(table, IdfTable)
    assert table.idf("学校") > table.idf("物业")
    assert table.idf("没见过") >= table.idf("学校")
    sig = relevance_signals(MESSAGE, GOOD_REPLY)
    assert sig["echo"] is not None and sig["echo"] > 0.5
    assert 0.0 <= float(sig["coverage"] or 0) <= 1.0


@pytest.mark.slow
@pytest.mark.skipif(data_dir(required=False) is None, reason="shared data not available")
def test_true_reply_ranks_above_random_reply_on_real_data() -> None:
    replies = load_replies()[:400]
    rng = random.Random(0)
    wins = 0
    for i, r in enumerate(replies):
        j = (i + rng.randrange(1, len(replies))) % len(replies)
        msg = f"{r.title}\n{r.text}"
        true = score_reply(msg, r.reply).relevance
        fake = score_reply(msg, replies[j].reply).relevance
        wins += true > fake
    # Full evaluation (benchmarks/eval_reply_quality.py): AUC 0.93 on all 2,816 replies.
    assert wins / len(replies) > 0.8


def test_consultation_needs_no_measures_or_result() -> None:
    question = "咨询A市住房公积金提取的问题\n请问在A市买二手房可以提取公积金吗？需要哪些材料？"
    answer = (
        "网友：您好！根据《A市住房公积金提取管理办法》第八条规定，购买二手房可凭购房合同、"
        "契税完税证明申请提取住房公积金。详情请咨询住房公积金管理中心，联系电话：12329。"
    )
    q = score_reply(question, answer)
    assert q.missing_parts == ("facts",)
    assert "缺少处理结果" not in q.reasons and "未说明采取的措施" not in q.reasons
    complaint = score_reply("投诉A市某小区噪音扰民\n" + MESSAGE, answer)
    assert "缺少处理结果" in complaint.reasons


@settings(max_examples=30, deadline=None)
@given(message=st.text(max_size=200), reply=st.text(max_size=300), days=st.floats(-5, 500))
def test_scores_stay_in_range_for_any_text(message: str, reply: str, days: float) -> None:
    q = score_reply(message, reply, T0, T0 + timedelta(days=days))
    for value in (q.score, q.relevance, q.completeness):
        assert 0.0 <= value <= 1.0
    assert q.timeliness is None or 0.0 <= q.timeliness <= 1.0
    assert set(q.parts) | set(q.missing_parts) <= {
        "facts",
        "measures",
        "result",
        "basis",
        "contact",
    }


def test_mixed_naive_and_aware_times_are_a_clear_error() -> None:
    aware = datetime(2019, 5, 1, 10, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="naive"):
        score_reply(MESSAGE, GOOD_REPLY, T0, aware)
    q = score_reply(MESSAGE, GOOD_REPLY, T0.replace(tzinfo=UTC), aware)
    assert q.delay_days == pytest.approx(6.02, abs=0.01)


@pytest.mark.parametrize(
    ("reply", "blanks"),
    [
        ("您好！关于{问题}，经核实已于____处理完毕。", ("{问题}", "____")),
        ("经查，XX月XX日已修复XX路路灯。", ("XX",)),
        ("请于××日前到【 】办理，网站（）。", ("××", "【 】", "（）")),
        ("网友您好，何坳家小学贺XX老师职称评定情况如下。", ()),  # a masked surname, not a blank
        ("经现场核实，路灯已于12月3日修复，联系电话0731-84001234。", ()),
    ],
)
def test_unfilled_template_blanks_are_found(reply, blanks):
    from nlp.reply_quality import find_placeholders

    assert find_placeholders(reply) == blanks
    quality = score_reply(MESSAGE, reply)
    assert quality.placeholders == blanks
    assert any("占位符" in w for w in quality.warnings) == bool(blanks)


@pytest.mark.parametrize(
    "reply",
    [  # real replies of tipdm2020c (shortened) that report a result in their own words
        "经双方沟通协商，明诚驾校已经退费，双方都表示同意。",
        "土城社区已全部将相关信息从墙面去除，没有损坏墙面。",
        "建成后将对您所居住区域形成隔音屏障，所以暂不考虑安装隔音屏。",
        "我支队荷塘大队已对向阳路新塘路口红绿灯进行了优化配置，优先保证向阳路车辆通行。",
        "您所述地块已规划为地产开发用地，故无法规划建设社区卫生服务中心。",
    ],
)
def test_a_reply_reporting_a_result_in_other_words_is_not_told_it_lacks_one(reply):
    assert "result" in score_reply(MESSAGE, reply).parts


@pytest.mark.parametrize(
    "reply",
    [
        "您的留言已收悉！我们已将您反映的问题转相关部门进行处理，敬请关注后续回复，谢谢！",
        "目前，市规划局正在编制规划，对于您的意见和建议，将充分论证研究。",
    ],
)
def test_forwarding_or_promising_is_not_a_result(reply):
    assert "result" not in score_reply(MESSAGE, reply).parts


@pytest.mark.parametrize(
    "reply",
    [
        "您好！关于您反映的小区门口占道经营问题，我局于12月4日安排执法人员到现场核查，"
        "已依法取缔占道摊点并清理垃圾，后续将加强夜间巡查。感谢您的监督。",
        "您好！经现场核查，已及时修复损坏的路灯，照明已恢复正常。",
    ],
)
def test_an_enforcement_reported_done_is_a_measure_and_a_result(reply: str) -> None:
    """已依法取缔 / 已及时修复: an adverb between 已 and the verb still reports a result."""
    q = score_reply("小区门口占道经营，路灯损坏", reply, T0, T0 + timedelta(days=1))
    assert "result" in q.parts
    assert "缺少处理结果" not in q.reasons
