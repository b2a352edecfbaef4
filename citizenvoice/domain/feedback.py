"""What a valid piece of resident feedback is: kinds, field rules and their Chinese messages.

The HTML forms and the JSON API both validate through :func:`validate_feedback`, so a rule
and its message exist once. Types, lengths, ranges, patterns and allowed values come from the
declarative table :data:`~citizenvoice.domain.feedback_fields.FEEDBACK_FIELDS`, which the
OpenAPI document renders too.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from citizenvoice.domain.contact_email import normalise_email
from citizenvoice.domain.feedback_fields import FEEDBACK_FIELDS, RATING_FIELD_NAMES
from citizenvoice.domain.fieldspec import FieldSpec

__all__ = [
    "MAX_DEPARTMENT_CODE_LENGTH",
    "MAX_LOCATION_LENGTH",
    "MAX_TEXT_LENGTH",
    "MAX_TITLE_LENGTH",
    "MIN_TEXT_LENGTH",
    "NO_LETTERS_MESSAGE",
    "PHONE_PATTERN",
    "RATING_DEPARTMENT_MESSAGE",
    "RATING_LABELS",
    "UNKNOWN_DEPARTMENT_MESSAGE",
    "Channel",
    "FeedbackInput",
    "FeedbackKind",
    "FeedbackValidationError",
    "check_coordinates",
    "clean_text",
    "has_letters",
    "mask_phone",
    "validate_feedback",
]


def _bound(value: float | None) -> int:
    """A length or range bound the table must declare (an int in every feedback field)."""
    if value is None:
        raise ValueError("feedback field table lacks a bound the validator needs")
    return int(value)


MIN_TEXT_LENGTH = _bound(FEEDBACK_FIELDS["text"].min_length)
MAX_TEXT_LENGTH = _bound(FEEDBACK_FIELDS["text"].max_length)
MAX_TITLE_LENGTH = _bound(FEEDBACK_FIELDS["title"].max_length)
MAX_LOCATION_LENGTH = _bound(FEEDBACK_FIELDS["location"].max_length)
RATING_RANGE = range(
    _bound(FEEDBACK_FIELDS["rating"].minimum), _bound(FEEDBACK_FIELDS["rating"].maximum) + 1
)
# Mainland mobile numbers: 11 digits, 1 then 3-9 (the contract). ASCII digits only:
# Python's \d would also take Arabic-Indic or full-width digits and store them as a "phone".
PHONE_PATTERN = re.compile(FEEDBACK_FIELDS["contact_phone"].pattern or "(?!)")
# Longest department code the database holds (department.code is VARCHAR(32)).
MAX_DEPARTMENT_CODE_LENGTH = _bound(FEEDBACK_FIELDS["department"].max_length)
UNKNOWN_DEPARTMENT_MESSAGE = "所选部门不存在，请重新选择"
# A rating judges a department's service: without one it cannot be counted anywhere.
RATING_DEPARTMENT_MESSAGE = "评价请选择被评价的部门"
NO_LETTERS_MESSAGE = "内容需要包含文字，请用文字描述您的问题或意见（不能只有表情或符号）"
#: What each score means, shown next to every 1-5 choice (site and follow-up alike).
RATING_LABELS: dict[int, str] = {
    5: "非常满意",
    4: "满意",
    3: "一般",
    2: "不满意",
    1: "非常不满意",
}
# Control characters other than tab and line breaks: PostgreSQL refuses NUL in text columns
# (a 500), and none of them is meaningful in a resident's message.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class FeedbackKind(StrEnum):
    """The three things a resident can file."""

    COMPLAINT = "complaint"
    RATING = "rating"
    SUGGESTION = "suggestion"

    @property
    def label(self) -> str:
        """The Chinese name shown to residents."""
        return {"complaint": "投诉", "rating": "评价", "suggestion": "建议"}[self.value]


class Channel(StrEnum):
    """Where a submission came in."""

    WEB = "web"
    API = "api"
    OPEN311 = "open311"
    SEED = "seed"


class FeedbackValidationError(ValueError):
    """Raised with per-field Chinese messages when feedback is not acceptable."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


@dataclass(frozen=True)
class FeedbackInput:
    """Validated, cleaned feedback, ready to store."""

    kind: FeedbackKind
    text: str
    department_code: str | None = None
    title: str = ""
    rating: int | None = None
    sub_ratings: dict[str, int] = field(default_factory=dict)
    location: str = ""
    contact_phone: str | None = None
    contact_email: str | None = None
    anonymous: bool = False
    # WGS-84 degrees, both or neither; and whether the case may be shown publicly (同意公开).
    latitude: float | None = None
    longitude: float | None = None
    public_consent: bool = False


# Optional 1-5 sub-scores of a rating: 办事效率 / 服务态度 / 办理结果.
SUB_RATING_FIELDS: dict[str, str] = {
    name: FEEDBACK_FIELDS[name].label for name in RATING_FIELD_NAMES
}


def clean_text(raw: str) -> str:
    """Normalise to NFC and LF line breaks, drop invisible and control characters, trim.

    Invisible means Unicode category Cf (format): zero-width space and joiners, BOM, word
    joiner, soft hyphen, direction marks, invisible operators ... text made only of them
    renders as nothing and must count as empty. Browsers send a textarea's line breaks as
    CRLF but count them as one character against ``maxlength``; so do we.
    """
    lf = raw.replace("\r\n", "\n").replace("\r", "\n")
    visible = "".join(
        ch for ch in unicodedata.normalize("NFC", lf) if unicodedata.category(ch) != "Cf"
    )
    return _CONTROL.sub("", visible).strip()


def has_letters(text: str) -> bool:
    """Whether ``text`` holds at least one letter of any script (Chinese characters count).

    Emoji, punctuation, symbols and digits alone say nothing a department can act on.
    """
    return any(unicodedata.category(ch).startswith("L") for ch in text)


def mask_phone(phone: str) -> str:
    """Show a phone number the way staff see it: 138****1234."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


# A score written as text (the HTML form sends text): ASCII digits only. str.isdigit() also
# takes Arabic-Indic "٥" and full-width "５", which int() would read as 5.
_ASCII_INTEGER = re.compile(r"-?[0-9]+")


def _as_int(value: Any) -> int | None:
    """A JSON integer or a string of ASCII digits; None when absent; ValueError otherwise."""
    if value is None or (isinstance(value, str) and value == ""):
        return None
    if isinstance(value, bool):  # a bool is an int to Python, never a score
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _ASCII_INTEGER.fullmatch(value.strip()):
        return int(value.strip())
    raise ValueError


def _optional_str(value: Any) -> str | None:
    """An optional text field: absent or null reads as "", a string as itself, else None.

    0, false, [] and {} are not "no title": they are a client sending the wrong type.
    """
    if value is None:
        return ""
    return value if isinstance(value, str) else None


def validate_feedback(data: dict[str, Any]) -> FeedbackInput:
    """Check and clean raw feedback fields; raise FeedbackValidationError listing every problem.

    ``data`` keys: kind, department (code or None), title, text, rating, rating_efficiency,
    rating_attitude, rating_result, location, contact_phone, contact_email, anonymous, lat,
    long, public_consent.
    """
    errors: dict[str, str] = {}
    kind = _check_kind(data.get("kind"), errors)
    text = _check_text(data.get("text"), errors)
    title = _check_short_text(data.get("title"), FEEDBACK_FIELDS["title"], errors)
    location = _check_short_text(data.get("location"), FEEDBACK_FIELDS["location"], errors)
    department_code = _check_department(data.get("department"), errors)
    rating, sub_ratings = _check_ratings(data, kind, errors)
    if kind is FeedbackKind.RATING and department_code is None and "department" not in errors:
        errors["department"] = RATING_DEPARTMENT_MESSAGE
    if kind is not FeedbackKind.RATING and (rating is not None or sub_ratings):
        rating, sub_ratings = None, {}  # scores only mean something on a rating

    # A bool, nothing else: the form's checkbox gives one and the API contract says bool, so
    # a string such as "maybe" is an error rather than silently "not anonymous".
    anonymous = data.get("anonymous", FEEDBACK_FIELDS["anonymous"].default)
    if not isinstance(anonymous, bool):
        errors["anonymous"] = "匿名选项须为是或否"
    # Anonymous means no phone at all: a number sent along is discarded unread (not even
    # checked), so nothing exists that staff could reveal later.
    phone = None if anonymous is True else _check_phone(data.get("contact_phone"), errors)
    email = None if anonymous is True else _check_email(data.get("contact_email"), errors)
    latitude, longitude = check_coordinates(data.get("lat"), data.get("long"), errors)
    public_consent = data.get("public_consent")
    if public_consent is None:  # nullable in the table: null means the default
        public_consent = FEEDBACK_FIELDS["public_consent"].default
    if not isinstance(public_consent, bool):
        errors["public_consent"] = "同意公开选项须为是或否"

    if errors or kind is None:
        raise FeedbackValidationError(errors)
    return FeedbackInput(
        kind=kind,
        text=text,
        department_code=department_code,
        title=title,
        rating=rating,
        sub_ratings=sub_ratings,
        location=location,
        contact_phone=phone,
        contact_email=email,
        anonymous=bool(anonymous),
        latitude=latitude,
        longitude=longitude,
        public_consent=public_consent is True,
    )


def _check_kind(raw_kind: Any, errors: dict[str, str]) -> FeedbackKind | None:
    try:
        if not isinstance(raw_kind, str) or raw_kind not in (FEEDBACK_FIELDS["kind"].enum or ()):
            raise ValueError
        return FeedbackKind(raw_kind)
    except ValueError:
        errors["kind"] = "请选择类型：投诉、评价或建议"
        return None


def _check_text(text_value: Any, errors: dict[str, str]) -> str:
    text = clean_text(text_value) if isinstance(text_value, str) else ""
    if not isinstance(text_value, str) or not text:
        errors["text"] = "请填写内容"
    elif len(text) < MIN_TEXT_LENGTH:
        errors["text"] = f"内容太短，请至少写 {MIN_TEXT_LENGTH} 个字"
    elif len(text) > MAX_TEXT_LENGTH:
        errors["text"] = f"内容太长，请不要超过 {MAX_TEXT_LENGTH} 个字（当前 {len(text)} 个字）"
    elif not has_letters(text):
        errors["text"] = NO_LETTERS_MESSAGE
    return text


def _check_short_text(raw: Any, spec: FieldSpec, errors: dict[str, str]) -> str:
    """An optional one-line field (title, location): a string or nothing, at most max_length."""
    value = _optional_str(raw)
    cleaned = clean_text(value) if value is not None else ""
    max_length = _bound(spec.max_length)
    if value is None:
        errors[spec.name] = f"{spec.label}格式不正确"
    elif len(cleaned) > max_length:
        errors[spec.name] = f"{spec.label}请不要超过 {max_length} 个字"
    return cleaned


def _check_department(department: Any, errors: dict[str, str]) -> str | None:
    if department in (None, ""):
        return None
    if not isinstance(department, str):
        errors["department"] = "部门格式不正确"
    elif len(department.strip()) > MAX_DEPARTMENT_CODE_LENGTH or _CONTROL.search(department):
        errors["department"] = UNKNOWN_DEPARTMENT_MESSAGE  # no such code can exist
    else:
        return department.strip()
    return None


def _check_ratings(
    data: dict[str, Any], kind: FeedbackKind | None, errors: dict[str, str]
) -> tuple[int | None, dict[str, int]]:
    """The 1-5 rating (required on a rating) and the optional sub-ratings."""
    rating: int | None = None
    try:
        rating = _as_int(data.get("rating"))
        if rating is not None and rating not in RATING_RANGE:
            raise ValueError
    except ValueError:
        errors["rating"] = "评分须为 1 到 5 的整数"
        rating = None
    if kind is FeedbackKind.RATING and rating is None and "rating" not in errors:
        errors["rating"] = "评价请选择 1 到 5 分"

    sub_ratings: dict[str, int] = {}
    for name, label in SUB_RATING_FIELDS.items():
        try:
            value = _as_int(data.get(name))
            if value is not None and value not in RATING_RANGE:
                raise ValueError
        except ValueError:
            errors[name] = f"{label}评分须为 1 到 5 的整数"
            continue
        if value is not None:
            sub_ratings[name] = value
    return rating, sub_ratings


def _check_phone(phone_value: Any, errors: dict[str, str]) -> str | None:
    if phone_value in (None, ""):
        return None
    # NFKC turns full-width digits and dashes from a Chinese input method into ASCII.
    candidate = (
        re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", phone_value))
        if isinstance(phone_value, str)
        else ""
    )
    if not PHONE_PATTERN.fullmatch(candidate):
        errors["contact_phone"] = "手机号格式不正确，请输入 11 位手机号，如 13812345678"
        return None
    return candidate


def _check_email(email_value: Any, errors: dict[str, str]) -> str | None:
    if email_value is None or (isinstance(email_value, str) and not email_value.strip()):
        return None
    try:
        return normalise_email(email_value)
    except ValueError as exc:
        errors["contact_email"] = str(exc)
        return None


# A coordinate typed or sent as text (form fields, Open311's form encoding): ASCII decimal only.
_ASCII_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
# Stored to six decimals (about 0.1 m): more precision than any phone's fix, and stable text.
COORDINATE_DECIMALS = 6


def _as_degrees(value: Any, limit: float) -> float | None:
    """A JSON number or decimal text within [-limit, limit]; None when absent; else ValueError."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, str):
        if len(value) > 40 or not _ASCII_DECIMAL.fullmatch(value.strip()):
            raise ValueError
        value = float(value.strip())
    if not isinstance(value, int | float):
        raise ValueError
    number = float(value)
    if not math.isfinite(number) or abs(number) > limit:
        raise ValueError
    return round(number, COORDINATE_DECIMALS)


def check_coordinates(
    raw_lat: Any, raw_long: Any, errors: dict[str, str]
) -> tuple[float | None, float | None]:
    """Latitude and longitude (WGS-84 degrees): both or neither, in range; errors by field."""
    values: dict[str, float | None] = {}
    for name, raw, label in (
        ("lat", raw_lat, "纬度须为 -90 到 90 之间的数字"),
        ("long", raw_long, "经度须为 -180 到 180 之间的数字"),
    ):
        try:
            values[name] = _as_degrees(raw, float(_bound(FEEDBACK_FIELDS[name].maximum)))
        except (ValueError, OverflowError):
            errors[name] = label
            values[name] = None
    lat, long = values["lat"], values["long"]
    if "lat" in errors or "long" in errors:
        return None, None
    if (lat is None) != (long is None):
        missing = "long" if long is None else "lat"
        errors[missing] = "经纬度须同时提供"
        return None, None
    return lat, long
