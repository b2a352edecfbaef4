"""WTForms for the residents' site.

They carry CSRF and field shapes; the rules live in citizenvoice.domain.feedback and are
applied by the view through validate_feedback.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from citizenvoice.domain.feedback import RATING_LABELS

__all__ = ["FeedbackForm", "FollowUpForm", "SelectChoice", "TrackForm", "UnsubscribeForm"]

# Every score says what it means: "5 非常满意" ... "1 非常不满意".
_SCORE_CHOICES = [SelectChoice(str(i), f"{i} {RATING_LABELS[i]}") for i in range(5, 0, -1)]


class FeedbackForm(FlaskForm):  # type: ignore[misc]
    """One form for complaints, ratings and suggestions; the view hides what a kind lacks."""

    department = SelectField("部门", choices=[], validate_choice=False)
    title = StringField("标题（选填）", validators=[Optional()])
    # No maxlength: the browser would silently cut pasted text. A live counter says how far
    # over the limit the text is, and the server's message keeps the text for editing.
    text = TextAreaField("内容", render_kw={"rows": 6})
    rating = RadioField("总体评分", choices=_SCORE_CHOICES, validate_choice=False)
    rating_efficiency = RadioField("办事效率", choices=_SCORE_CHOICES, validate_choice=False)
    rating_attitude = RadioField("服务态度", choices=_SCORE_CHOICES, validate_choice=False)
    rating_result = RadioField("办理结果", choices=_SCORE_CHOICES, validate_choice=False)
    location = StringField("地点（选填）", validators=[Optional()])
    contact_phone = StringField(
        "手机号（选填，仅工作人员回访时可见；匿名提交时不保存）",
        validators=[Optional()],
        render_kw={"inputmode": "numeric", "autocomplete": "tel"},
    )
    contact_email = StringField(
        "电子邮箱（选填，用于接收办理进度）",
        validators=[Optional()],
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )
    anonymous = BooleanField("匿名提交（不保存手机号，工作人员无法联系您）")
    # Filled by the browser's geolocation (static/js/geolocation.js) when the resident allows it.
    lat = StringField("纬度", validators=[Optional()], render_kw={"inputmode": "decimal"})
    long = StringField("经度", validators=[Optional()], render_kw={"inputmode": "decimal"})
    public_consent = BooleanField(
        "同意公开（隐去姓名、电话、门牌号等个人信息后，在公开栏展示本诉求）"
    )
    # image/* lets a phone offer its camera or its gallery; no "capture", which would hide
    # the gallery. The view reads the files (blueprints.public.photos), the form only names them.
    photos = MultipleFileField("照片（选填，最多 3 张）", render_kw={"accept": "image/*"})


class TrackForm(FlaskForm):  # type: ignore[misc]
    """Look up a case by its tracking code."""

    class Meta:
        csrf = False  # a GET lookup changes nothing

    code = StringField("查询码")


class FollowUpForm(FlaskForm):  # type: ignore[misc]
    """The resident's follow-up (回访) of a replied case."""

    contacted = RadioField(
        "办理单位是否与您联系？",
        choices=[SelectChoice("yes", "是"), SelectChoice("no", "否")],
        validate_choice=False,
    )
    resolved = RadioField(
        "您反映的问题是否已解决？",
        choices=[SelectChoice("yes", "是"), SelectChoice("no", "否")],
        validate_choice=False,
    )
    satisfaction = RadioField(
        "您对办理结果是否满意？",
        choices=[
            SelectChoice("satisfied", "满意"),
            SelectChoice("basic", "基本满意"),
            SelectChoice("dissatisfied", "不满意"),
        ],
        validate_choice=False,
    )
    rating = RadioField("服务评分（选填，1-5 分）", choices=_SCORE_CHOICES, validate_choice=False)
    comment = TextAreaField("意见（选填）", render_kw={"maxlength": 500, "rows": 3})
    wants_redo = BooleanField("不满意，申请重新办理（重办）")


class UnsubscribeForm(FlaskForm):  # type: ignore[misc]
    """退订: one button, protected by the CSRF token."""
