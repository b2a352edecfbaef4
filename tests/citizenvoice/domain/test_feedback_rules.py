"""The feedback rules (citizenvoice.domain.feedback): what residents may file, and why not.

Pure tests, no app and no database: the form and the API both validate through
``validate_feedback``, so every rule and its message is pinned here once; the blueprint tests
check that the same messages reach the page and the JSON.
"""

from __future__ import annotations

from typing import Any

import pytest

from citizenvoice.domain.feedback import (
    MAX_TEXT_LENGTH,
    MAX_TITLE_LENGTH,
    MIN_TEXT_LENGTH,
    NO_LETTERS_MESSAGE,
    RATING_DEPARTMENT_MESSAGE,
    RATING_LABELS,
    UNKNOWN_DEPARTMENT_MESSAGE,
    Channel,
    FeedbackKind,
    FeedbackValidationError,
    clean_text,
    mask_phone,
    validate_feedback,
)

COMPLAINT_TEXT = "幸福家园小区5栋电梯一个月内坏了四次，物业一直不修，老人上下楼很困难。"
MSG_TEXT_EMPTY = "请填写内容"
MSG_TEXT_SHORT = "内容太短，请至少写 5 个字"
MSG_RATING_RANGE = "评分须为 1 到 5 的整数"
MSG_RATING_REQUIRED = "评价请选择 1 到 5 分"
MSG_PHONE = "手机号格式不正确，请输入 11 位手机号，如 13812345678"
MSG_KIND = "请选择类型：投诉、评价或建议"
MSG_ANONYMOUS = "匿名选项须为是或否"


def complaint(**overrides: Any) -> dict[str, Any]:
    """A valid complaint as the API would send it, with some fields replaced."""
    data: dict[str, Any] = {"kind": "complaint", "department": None, "text": COMPLAINT_TEXT}
    data.update(overrides)
    return data


def rating(**overrides: Any) -> dict[str, Any]:
    """A valid rating of the government service centre, with some fields replaced."""
    data: dict[str, Any] = {
        "kind": "rating",
        "department": "zwfw",
        "text": "窗口工作人员一次性告知所需材料，半天就办好了营业执照。",
        "rating": 5,
    }
    data.update(overrides)
    return data


def errors_of(data: dict[str, Any]) -> dict[str, str]:
    """The per-field messages validate_feedback raises for ``data``."""
    with pytest.raises(FeedbackValidationError) as caught:
        validate_feedback(data)
    return caught.value.fields


# --- kinds and the happy path -------------------------------------------------------------


def test_the_three_kinds_have_their_chinese_names():
    assert [(k.value, k.label) for k in FeedbackKind] == [
        ("complaint", "投诉"),
        ("rating", "评价"),
        ("suggestion", "建议"),
    ]


def test_channels_are_web_api_open311_and_seed():
    assert {c.value for c in Channel} == {"web", "api", "open311", "seed"}


def test_a_valid_complaint_comes_back_cleaned_and_typed():
    feedback = validate_feedback(
        complaint(
            department=" cgzf ",
            title="  夜宵摊占道经营  ",
            text="\u200b  " + COMPLAINT_TEXT + "\n",
            location=" 人民路与建设路交叉口 ",
            contact_phone="138 0000 1234",
        )
    )
    assert feedback.kind is FeedbackKind.COMPLAINT
    assert feedback.department_code == "cgzf"
    assert feedback.title == "夜宵摊占道经营"
    assert feedback.text == COMPLAINT_TEXT
    assert feedback.location == "人民路与建设路交叉口"
    assert feedback.contact_phone == "13800001234"
    assert feedback.anonymous is False
    assert feedback.rating is None
    assert feedback.sub_ratings == {}


def test_a_valid_rating_keeps_its_score_and_sub_scores():
    feedback = validate_feedback(
        rating(rating=4, rating_efficiency=5, rating_attitude="3", rating_result=4)
    )
    assert feedback.kind is FeedbackKind.RATING
    assert feedback.rating == 4
    assert feedback.sub_ratings == {
        "rating_efficiency": 5,
        "rating_attitude": 3,
        "rating_result": 4,
    }


def test_scores_sent_with_a_complaint_or_suggestion_are_dropped():
    for kind in ("complaint", "suggestion"):
        feedback = validate_feedback(complaint(kind=kind, rating=2, rating_attitude=1))
        assert feedback.rating is None
        assert feedback.sub_ratings == {}


def test_every_problem_is_reported_at_once():
    fields = errors_of(
        {"kind": "rating", "text": "差", "rating": 9, "contact_phone": "12345", "title": "长" * 101}
    )
    assert set(fields) == {"text", "rating", "contact_phone", "title", "department"}


@pytest.mark.parametrize("kind", ["投诉", "feedback", "", None, 1])
def test_an_unknown_kind_is_rejected(kind):
    assert errors_of(complaint(kind=kind)) == {"kind": MSG_KIND}


def test_a_missing_kind_is_rejected():
    data = complaint()
    del data["kind"]
    assert errors_of(data) == {"kind": MSG_KIND}


# --- text: 5 to 2000 characters after trimming ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", MSG_TEXT_EMPTY, id="empty"),
        pytest.param("   \n\t  ", MSG_TEXT_EMPTY, id="whitespace-only"),
        pytest.param(
            "\u3000\u3000\u3000\u3000\u3000\u3000", MSG_TEXT_EMPTY, id="ideographic-spaces"
        ),
        pytest.param("\u200b\u200b\u200b", MSG_TEXT_EMPTY, id="zero-width-only"),
        pytest.param("\u200b\u200c\u200d\u2060\ufeff\u00ad", MSG_TEXT_EMPTY, id="mixed-zero-width"),
        pytest.param(
            "\u200e\u200f\u2062\u2063\u2064\u202a", MSG_TEXT_EMPTY, id="format-chars-only"
        ),
        pytest.param("\x00\x01\x1f\x7f\x00", MSG_TEXT_EMPTY, id="control-chars-only"),
        pytest.param("路灯坏了", MSG_TEXT_SHORT, id="4-chars"),
        pytest.param("   路灯坏了  \n", MSG_TEXT_SHORT, id="4-chars-after-trimming"),
        pytest.param(
            "\u200b路\u200b灯坏了\u200b\u200b", MSG_TEXT_SHORT, id="4-chars-after-zero-width"
        ),
        pytest.param(
            "路" * 2001, "内容太长，请不要超过 2000 个字（当前 2001 个字）", id="2001-chars"
        ),
        pytest.param(12345, MSG_TEXT_EMPTY, id="not-a-string"),
        pytest.param(None, MSG_TEXT_EMPTY, id="null"),
    ],
)
def test_text_outside_5_to_2000_visible_characters_is_rejected(text, message):
    assert errors_of(complaint(text=text)) == {"text": message}


def test_missing_text_is_rejected():
    data = complaint()
    del data["text"]
    assert errors_of(data) == {"text": MSG_TEXT_EMPTY}


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("路灯不亮了", id="exactly-5"),
        pytest.param("  路灯不亮了\n", id="5-after-trimming"),
        pytest.param("路" * MAX_TEXT_LENGTH, id="exactly-2000"),
        pytest.param("\n" + "噪" * MAX_TEXT_LENGTH + "  \u200b", id="2000-after-trimming"),
    ],
)
def test_text_of_5_to_2000_visible_characters_is_accepted(text):
    feedback = validate_feedback(complaint(text=text))
    assert MIN_TEXT_LENGTH <= len(feedback.text) <= MAX_TEXT_LENGTH
    assert feedback.text == feedback.text.strip()


def test_text_keeps_its_inner_line_breaks():
    text = "第一，路灯不亮。\n第二，井盖缺失。"
    assert validate_feedback(complaint(text=text)).text == text


def test_crlf_line_breaks_count_as_one_character_like_the_browser_counts_them():
    # A textarea with maxlength=2000 lets the resident type 2000 characters counting each
    # line break once, then sends every line break as CRLF.
    typed = ("路" * 199 + "\n") * 10  # 2000 characters as the browser counts them
    feedback = validate_feedback(complaint(text=typed.replace("\n", "\r\n")))
    assert feedback.text == typed.strip()
    assert "\r" not in validate_feedback(complaint(text="第一行\r第二行内容")).text


def test_nul_and_other_control_characters_are_removed_from_text():
    # PostgreSQL refuses NUL in a text column: left in, it turned a submission into a 500.
    feedback = validate_feedback(
        complaint(text="路灯坏了很久了\x00\x07", title="路灯\x00", location="人民路\x1b")
    )
    assert feedback.text == "路灯坏了很久了"
    assert feedback.title == "路灯"
    assert feedback.location == "人民路"


def test_clean_text_normalises_to_nfc():
    assert clean_text("cafe\u0301") == "caf\u00e9"


def test_clean_text_drops_invisible_characters_and_trims():
    assert clean_text("\ufeff 噪音\u200b扰民 \u200d") == "噪音扰民"


# --- rating 1-5 ----------------------------------------------------------------------------


def test_a_rating_without_a_score_is_rejected():
    data = rating()
    del data["rating"]
    assert errors_of(data) == {"rating": MSG_RATING_REQUIRED}


@pytest.mark.parametrize("empty", [None, ""])
def test_a_rating_with_an_empty_score_is_rejected(empty):
    assert errors_of(rating(rating=empty)) == {"rating": MSG_RATING_REQUIRED}


@pytest.mark.parametrize(
    "score",
    [0, 6, -1, 100, "0", "6", "abc", "3.5", 3.5, 4.0, True, False, [4], {"score": 4}],
    ids=repr,
)
def test_a_score_that_is_not_an_integer_from_1_to_5_is_rejected(score):
    assert errors_of(rating(rating=score)) == {"rating": MSG_RATING_RANGE}


@pytest.mark.parametrize("score", [1, 2, 3, 4, 5, "1", " 5 "], ids=repr)
def test_scores_1_to_5_are_accepted_as_integers_or_form_strings(score):
    assert validate_feedback(rating(rating=score)).rating == int(str(score).strip())


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("rating_efficiency", "办事效率"),
        ("rating_attitude", "服务态度"),
        ("rating_result", "办理结果"),
    ],
)
@pytest.mark.parametrize("score", [0, 6, "好", 2.5, True], ids=repr)
def test_a_sub_score_out_of_range_is_rejected_with_its_chinese_name(field, label, score):
    assert errors_of(rating(**{field: score})) == {field: f"{label}评分须为 1 到 5 的整数"}


def test_sub_scores_are_optional():
    assert validate_feedback(rating(rating_efficiency="", rating_result=None)).sub_ratings == {}


# --- contact phone -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        "12345678901",  # second digit 2
        "10012345678",  # second digit 0
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "1381234567a",
        "abcdefghijk",
        "电话13812345678",
        "+8613812345678",
        "138.1234.5678",
        "13\u0668\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668",  # Arabic-Indic digits
        "13\u096e\u0967\u0968\u0969\u096a\u096b\u096c\u096d\u096e",  # Devanagari digits
        13812345678,  # a JSON number, not a string
    ],
    ids=repr,
)
def test_a_phone_not_matching_the_mainland_mobile_pattern_is_rejected(phone):
    assert errors_of(complaint(contact_phone=phone)) == {"contact_phone": MSG_PHONE}


@pytest.mark.parametrize(
    "phone",
    [
        "13800001234",
        "138 0000 1234",
        "138-0000-1234",
        " 138-0000 1234 ",
        "138\u30000000\u30001234",  # ideographic spaces
        "\uff11\uff13\uff18\uff10\uff10\uff10\uff10\uff11\uff12\uff13\uff14",  # full-width
        "138\uff0d0000\uff0d1234",  # full-width dashes
    ],
    ids=repr,
)
def test_a_mobile_number_with_spaces_dashes_or_full_width_digits_is_stored_as_11_digits(phone):
    assert validate_feedback(complaint(contact_phone=phone)).contact_phone == "13800001234"


@pytest.mark.parametrize("empty", [None, ""])
def test_the_phone_is_optional(empty):
    assert validate_feedback(complaint(contact_phone=empty)).contact_phone is None


def test_a_phone_is_masked_like_138_stars_1234():
    assert mask_phone("13800001234") == "138****1234"


def test_masking_a_short_value_reveals_nothing():
    assert mask_phone("123456") == "****"


# --- department, title, location, anonymous ------------------------------------------------


@pytest.mark.parametrize("unsure", [None, ""])
def test_no_department_means_unsure(unsure):
    assert validate_feedback(complaint(department=unsure)).department_code is None


def test_a_department_that_is_not_a_string_is_rejected():
    assert errors_of(complaint(department=12)) == {"department": "部门格式不正确"}


@pytest.mark.parametrize("code", ["x" * 33, "zjj\x00", "\x1bcgzf"], ids=repr)
def test_a_department_code_that_cannot_exist_is_rejected_as_unknown(code):
    assert errors_of(complaint(department=code)) == {"department": UNKNOWN_DEPARTMENT_MESSAGE}


def test_a_title_of_100_characters_is_accepted():
    assert validate_feedback(complaint(title="标" * MAX_TITLE_LENGTH)).title == "标" * 100


def test_a_title_over_100_characters_is_rejected():
    assert errors_of(complaint(title="标" * 101)) == {"title": "标题请不要超过 100 个字"}


def test_a_title_that_is_not_a_string_is_rejected():
    assert errors_of(complaint(title=["夜宵摊"])) == {"title": "标题格式不正确"}


def test_a_location_over_200_characters_is_rejected():
    assert errors_of(complaint(location="路" * 201)) == {"location": "地点请不要超过 200 个字"}


@pytest.mark.parametrize("flag", [True, False])
def test_anonymous_takes_a_bool(flag):
    assert validate_feedback(complaint(anonymous=flag)).anonymous is flag


def test_anonymous_defaults_to_false():
    assert validate_feedback(complaint()).anonymous is False


@pytest.mark.parametrize("flag", ["yes", "true", "maybe", "是", 1, 0, None, []], ids=repr)
def test_anonymous_that_is_not_a_bool_is_rejected(flag):
    # "maybe" used to be taken silently as "not anonymous".
    assert errors_of(complaint(anonymous=flag)) == {"anonymous": MSG_ANONYMOUS}


# --- types: JSON integers or ASCII digit strings, strings, booleans; nothing else ----------

NOT_ASCII_DIGITS = ["٥", "５", "۵", "5\u20e3", "²"]  # Arabic-Indic, full-width, Persian, keycap


@pytest.mark.parametrize("score", NOT_ASCII_DIGITS, ids=repr)
@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("rating", MSG_RATING_RANGE),
        ("rating_efficiency", "办事效率评分须为 1 到 5 的整数"),
        ("rating_attitude", "服务态度评分须为 1 到 5 的整数"),
        ("rating_result", "办理结果评分须为 1 到 5 的整数"),
    ],
)
def test_a_score_in_digits_other_than_ascii_is_rejected(field, message, score):
    assert errors_of(rating(**{field: score})) == {field: message}


WRONG_TYPES = [0, 1, False, True, [], {}, ["x"], {"x": 1}, 1.5]
TYPED_FIELDS = {
    "title": "标题格式不正确",
    "location": "地点格式不正确",
    "department": "部门格式不正确",
    "kind": MSG_KIND,
    "contact_phone": MSG_PHONE,
    "anonymous": MSG_ANONYMOUS,
}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (field, value)
        for field in TYPED_FIELDS
        for value in WRONG_TYPES
        if not (field == "anonymous" and isinstance(value, bool))  # what anonymous takes
    ],
    ids=repr,
)
def test_a_field_of_another_json_type_is_rejected_not_read_as_empty(field, value):
    assert errors_of(complaint(**{field: value})) == {field: TYPED_FIELDS[field]}


@pytest.mark.parametrize("field", ["title", "location"])
def test_a_null_title_or_location_means_none_given(field):
    assert getattr(validate_feedback(complaint(**{field: None})), field) == ""


# --- issue 17: what residents meet ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "😡😡😡😡😡",
        "👍👍👍👍👍👍👍",
        "！！！？？？。。。",
        "......!!!",
        "12345678",
        "￥￥￥ ### ***",
    ],
    ids=["angry-emoji", "thumbs-up", "cjk-punctuation", "ascii-punctuation", "digits", "symbols"],
)
def test_text_without_any_letter_or_chinese_character_is_refused(text):
    assert errors_of(complaint(text=text)) == {"text": NO_LETTERS_MESSAGE}


@pytest.mark.parametrize(
    "text", ["路灯坏了😡😡", "Street light broken", "ок, фонарь не горит", "差评！！！"]
)
def test_text_with_letters_of_any_script_is_accepted(text):
    assert validate_feedback(complaint(text=text)).text == text


def test_a_rating_without_a_department_is_refused():
    assert errors_of(rating(department=None)) == {"department": RATING_DEPARTMENT_MESSAGE}
    assert errors_of(rating(department="")) == {"department": RATING_DEPARTMENT_MESSAGE}


def test_complaints_and_suggestions_may_leave_the_department_to_routing():
    assert validate_feedback(complaint(department=None)).department_code is None
    assert validate_feedback(complaint(kind="suggestion")).department_code is None


@pytest.mark.parametrize("phone", ["13800001234", "12345", "not a phone"])
def test_an_anonymous_submission_keeps_no_phone_whatever_was_sent(phone):
    feedback = validate_feedback(complaint(anonymous=True, contact_phone=phone))
    assert feedback.anonymous is True
    assert feedback.contact_phone is None


def test_every_score_has_a_meaning_from_very_dissatisfied_to_very_satisfied():
    assert RATING_LABELS == {5: "非常满意", 4: "满意", 3: "一般", 2: "不满意", 1: "非常不满意"}
