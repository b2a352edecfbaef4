"""redact: personal data is masked, ordinary numbers and the rest of the text are not."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.redact import Redaction, RedactionSpan, is_valid_id_number, luhn_valid, redact


def _kinds(result: Redaction) -> list[str]:
    return [s.kind for s in result.spans]


def test_mobile_number_is_masked_keeping_prefix_and_last_four() -> None:
    result = redact("我的电话13812345678，请尽快回电")
    assert result.text == "我的电话138****5678，请尽快回电"
    assert result.spans == (RedactionSpan(4, 15, "mobile"),)


def test_mobile_with_country_code_spaces_and_dashes() -> None:
    assert redact("联系+86 138-1234-5678").text == "联系+86 138-****-5678"
    assert redact("联系电话：189 7318 7780本人").text == "联系电话：189 **** 7780本人"
    assert redact("86-13912345678").text == "86-139****5678"


def test_landline_is_masked() -> None:
    assert redact("座机0731-84512345打不通").text == "座机0731-****2345打不通"
    assert redact("（010)62345678").text == "（010)****5678"  # mixed-width brackets too
    assert _kinds(redact("电话(010)62345678")) == ["landline"]
    assert redact("电话（0731）84512345").text == "电话（0731）****2345"


def test_id_number_with_valid_checksum_is_masked() -> None:
    assert is_valid_id_number("11010519491231002X")
    result = redact("身份证号11010519491231002X，姓名略")
    assert result.text == "身份证号1101**********002X，姓名略"
    assert _kinds(result) == ["id_card"]


def test_id_number_with_bad_checksum_is_not_an_id() -> None:
    assert not is_valid_id_number("110105194912310021")
    assert "id_card" not in _kinds(redact("编号110105194912310021"))


def test_email_is_masked() -> None:
    result = redact("他的邮箱是whb@163.com，请联系")
    assert result.text == "他的邮箱是w**@163.com，请联系"
    assert _kinds(result) == ["email"]


def test_bank_card_must_pass_luhn() -> None:
    assert luhn_valid("6222020200001234562")
    assert _kinds(redact("工资卡号6222020200001234562被冻结")) == ["bank_card"]
    assert redact("工资卡号6222 0202 0000 1234 562").text == "工资卡号**** **** **** ***4 562"
    assert not luhn_valid("6222020200001234567")
    assert redact("订单6222020200001234567").spans == ()


def test_licence_plates_ordinary_and_new_energy() -> None:
    result = redact("车牌湘A12345违停，新能源车湘AD12345也在")
    assert result.text == "车牌湘A*****违停，新能源车湘A******也在"
    assert _kinds(result) == ["plate", "plate"]


def test_house_numbers_after_street_and_building() -> None:
    result = redact("我住在芙蓉路12号3栋2单元501室，楼下噪音扰民")
    assert result.text == "我住在芙蓉路**号*栋*单元***室，楼下噪音扰民"
    assert _kinds(result) == ["address", "address"]


def test_ordinary_numbers_are_never_masked() -> None:
    text = (
        "2019年12月30日交了300元物业费，拨打12345热线，依据物权法第73条，"
        "A1区苑小区3号楼，日期2020-01-06，金额1,250.50元，20200106，共15户。"
    )
    assert redact(text).text == text
    assert redact(text).spans == ()


def test_length_is_preserved_and_spans_point_at_the_masks() -> None:
    text = "电话13812345678邮箱ab@qq.com车牌湘A12345"
    result = redact(text)
    assert len(result.text) == len(text)
    for span in result.spans:
        assert "*" in result.text[span.start : span.end]
        assert text[span.start : span.end] != result.text[span.start : span.end]


def test_text_without_digits_or_at_sign_is_returned_unchanged() -> None:
    assert redact("") == Redaction("", ())
    assert redact("小区噪音扰民，请处理") == Redaction("小区噪音扰民，请处理", ())


def test_deterministic() -> None:
    text = "13812345678 和 11010519491231002X"
    assert redact(text) == redact(text)


# --- property tests -----------------------------------------------------------------------

_CJK = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), max_size=30)


@st.composite
def _mobiles(draw: st.DrawFn) -> str:
    second = draw(st.sampled_from("3456789"))
    rest = draw(st.text(alphabet="0123456789", min_size=9, max_size=9))
    return "1" + second + rest


@st.composite
def _id_numbers(draw: st.DrawFn) -> str:
    region = draw(st.integers(110000, 659999))
    year = draw(st.integers(1900, 2020))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 28))
    seq = draw(st.integers(0, 999))
    body = f"{region:06d}{year:04d}{month:02d}{day:02d}{seq:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def _assert_only_inserted_part_masked(before: str, secret: str, after: str, kind: str) -> None:
    text = before + secret + after
    result = redact(text)
    assert result.spans == (RedactionSpan(len(before), len(before) + len(secret), kind),)
    assert result.text[: len(before)] == before
    assert result.text[len(before) + len(secret) :] == after
    masked = result.text[len(before) : len(before) + len(secret)]
    assert masked != secret
    assert masked.count("*") >= 4


@settings(max_examples=200, deadline=None)
@given(before=_CJK, phone=_mobiles(), after=_CJK)
def test_property_generated_mobile_numbers_are_always_masked(
    before: str, phone: str, after: str
) -> None:
    _assert_only_inserted_part_masked(before, phone, after, "mobile")


@settings(max_examples=200, deadline=None)
@given(before=_CJK, number=_id_numbers(), after=_CJK)
def test_property_generated_id_numbers_are_always_masked(
    before: str, number: str, after: str
) -> None:
    _assert_only_inserted_part_masked(before, number, after, "id_card")


@settings(max_examples=100, deadline=None)
@given(text=_CJK)
def test_property_text_without_personal_data_is_unchanged(text: str) -> None:
    assert redact(text) == Redaction(text, ())


def test_real_messages_are_mostly_untouched() -> None:
    rng = random.Random(0)
    samples = ["反映A市A1区芙蓉中路二段噪音扰民问题，2019年共投诉12次。"] * 3
    rng.shuffle(samples)
    for text in samples:
        assert redact(text).text == text


@st.composite
def _formatted_mobiles(draw: st.DrawFn) -> str:
    digits = draw(_mobiles())
    sep = draw(st.sampled_from(["", " ", "-"]))
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "86-", "0086 "]))
    return prefix + digits[:3] + sep + digits[3:7] + sep + digits[7:]


@settings(max_examples=200, deadline=None)
@given(before=_CJK, phone=_formatted_mobiles(), after=_CJK)
def test_property_formatted_mobile_numbers_are_always_masked(
    before: str, phone: str, after: str
) -> None:
    _assert_only_inserted_part_masked(before, phone, after, "mobile")
    # The national number's middle four digits are always hidden.
    masked = redact(before + phone + after).text[len(before) : len(before) + len(phone)]
    assert masked.replace(" ", "").replace("-", "")[-8:-4] == "****"
