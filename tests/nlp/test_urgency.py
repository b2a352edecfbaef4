"""urgency: lexicon matches, context rules (negation, hazard, programme, past), category gate."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.urgency import DEFAULT_LEXICON, LEVELS, Urgency, UrgencyDetector, load_lexicon


@pytest.fixture(scope="module")
def detector() -> UrgencyDetector:
    return UrgencyDetector()


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("小区楼道闻到很浓的煤气味，疑似燃气泄漏，请速来处理", "燃气泄漏"),
        ("昨晚A3区某小区3栋起火，浓烟很大", "火灾"),
        ("M2县化工厂发生连续爆炸事故，村民无处可逃", "爆炸"),
        ("F6县三医院建住院大楼基坑出现坍塌，周边居民房屋危险", "坍塌"),
        ("工友说讨不到工资就要跳楼，请领导救救他", "自杀风险"),
        ("路边电线掉落，有小孩触电，请供电公司马上处理", "触电"),
        ("化工厂排放毒气，严重危及村民的生命", "危及生命"),
    ],
)
def test_critical_events_are_urgent(detector: UrgencyDetector, text: str, label: str) -> None:
    result = detector.detect(text)
    assert result.urgent
    assert result.level == "critical"
    assert any(r.startswith(label) for r in result.reasons)


def test_multi_day_water_cut_is_high(detector: UrgencyDetector) -> None:
    result = detector.detect("小区已经停水3天了，几百户居民无法生活")
    assert result == Urgency(True, "high", ("大面积停水停电: 停水3天",))
    assert detector.detect("整个小区从昨天开始停电，电梯困人").level == "high"


def test_wage_arrears_for_many_workers_depend_on_category(detector: UrgencyDetector) -> None:
    text = "某工地拖欠50多名农民工工资已经两年，马上过年了"
    assert detector.detect(text, "劳动和社会保障").level == "high"
    assert detector.detect(text, "城乡建设").urgent
    assert not detector.detect(text, "教育文体").urgent
    assert detector.detect(text).urgent  # no category: every entry counts


def test_fire_lane_complaint_is_not_a_fire(detector: UrgencyDetector) -> None:
    result = detector.detect("小区消防通道被占，车辆乱停乱放")
    assert result == Urgency(False, "none", ())


def test_negated_events_are_ignored(detector: UrgencyDetector) -> None:
    assert detector.detect("所幸没有发生火灾，无人员伤亡").level == "none"
    assert detector.detect("工厂未发生爆炸").level == "none"


def test_hazards_are_elevated_not_urgent(detector: UrgencyDetector) -> None:
    result = detector.detect("电动车在楼道充电，存在火灾隐患")
    assert result.level == "elevated"
    assert not result.urgent
    assert detector.detect("老房子随时可能倒塌").level == "elevated"


def test_programmes_drills_and_hyperbole_are_ignored(detector: UrgencyDetector) -> None:
    assert detector.detect("申请危房改造补助").level == "none"
    assert detector.detect("学校组织消防演练和火灾演练").level == "none"
    assert detector.detect("冒着生命危险去办执照").level == "none"
    assert detector.detect("游乐场的跳楼机是否属于特种设备").level == "none"


def test_past_events_are_elevated(detector: UrgencyDetector) -> None:
    assert detector.detect("去年学校停车场发生火灾").level == "elevated"
    text = "2011年10月30日学校停车场发生火灾。2014年学校还没有装监控"
    assert detector.detect(text).level == "elevated"


def test_matches_deep_in_a_long_letter_are_not_urgent(detector: UrgencyDetector) -> None:
    text = "关于社保缴费基数的问题。" * 30 + "厂里以前有人说要自杀。"
    result = detector.detect(text)
    assert not result.urgent
    assert result.level == "elevated"


def test_ordinary_complaints_are_not_flagged(detector: UrgencyDetector) -> None:
    for text in ("A市A1区某小区物业违规收取停车费", "希望增加公交线路", "学校乱收补课费"):
        assert detector.detect(text) == Urgency(False, "none", ())


def test_empty_and_long_inputs(detector: UrgencyDetector) -> None:
    assert detector.detect("") == Urgency(False, "none", ())
    long_text = "小区噪音扰民严重。" * 11_112
    assert detector.detect(long_text).level == "none"


def test_deterministic(detector: UrgencyDetector) -> None:
    text = "闻到煤气味，楼下起火了"
    assert detector.detect(text) == detector.detect(text)


def test_lexicon_file_is_valid_and_extensible(tmp_path: Path) -> None:
    entries = load_lexicon(DEFAULT_LEXICON)
    assert all(e.level in LEVELS[1:] for e in entries)
    extra = tmp_path / "extra.tsv"
    extra.write_text("critical\t*\t井盖缺失\t井盖(?:丢失|缺失)\n", encoding="utf-8")
    detector = UrgencyDetector(lexicon_paths=[extra])
    assert detector.detect("路口井盖丢失").reasons == ("井盖缺失: 井盖丢失",)
    bad = tmp_path / "bad.tsv"
    bad.write_text("urgent\t*\tx\ty\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.tsv:1"):
        load_lexicon(bad)


def test_first_character_prefilter_is_exact(tmp_path: Path) -> None:
    from nlp.regex_prefix import first_chars as _first_chars

    assert _first_chars(["火灾|起火", "(?:煤气|燃气)泄漏"]) == {"火", "起", "煤", "燃"}
    assert _first_chars(["\\w+爆炸"]) is None  # unknown first character: no prefilter
    assert _first_chars(["(?:很)?大火"]) == {"很", "大"}
    extra = tmp_path / "extra.tsv"
    extra.write_text("critical\t*\t任意\t\\w{2}塌了\n", encoding="utf-8")
    assert UrgencyDetector(lexicon_paths=[extra]).detect("房子塌了").reasons == ("任意: 房子塌了",)


def test_background_events_years_before_the_message_are_past(detector: UrgencyDetector) -> None:
    text = "2011年10月30日凌晨学校的车辆全部起火。2014年学校至今没有装监控，请领导重视"
    assert detector.detect(text).level == "elevated"
    assert detector.detect("村民房屋倒塌多年，为何不能申请危房改造").level == "elevated"
    # The same year as the latest one mentioned is "now": still urgent.
    assert detector.detect("2019年12月30日晚小区3栋起火，2019年底还没人处理").urgent
