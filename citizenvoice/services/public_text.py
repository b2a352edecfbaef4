"""What of a case the public may read: its redacted text, title and coarse place.

Every public view of a case (the Open311 answers, the /open/ portal's example messages, open
data) takes its text from here and nowhere else. On top of the public masking of
:mod:`citizenvoice.services.redaction` (nlp's redaction: no digit of a phone, ID or bank card
number, no e-mail, plate or house number) it hides what nlp does not look for:

- personal names: a surname with a form of address (王先生, 李女士, 张阿姨) keeps the address
  and loses the surname (某先生); a name after 我叫 / 本人 / 姓名 / 联系人 is masked whole;
- house numbers nlp did not recognise: any number (Arabic or Chinese numerals) followed by
  号 / 栋 / 幢 / 单元 / 室 / 楼 / 层 / 户 is masked;
- any digit left in a run of seven or more (a phone number split oddly), so the public
  never reads one; except a Beijing date and time as the workflow writes it into timeline
  notes (``2026-12-07 17:00``, the deadline a status note names): the colon makes it no phone
  or ID number, and a deadline shown as ``****-**-** **:00`` tells the public nothing.

The rules err towards masking too much: a public text is an example, not the record.
"""

from __future__ import annotations

import re
from functools import lru_cache

from citizenvoice.models import Submission
from citizenvoice.services.redaction import redact_for_public

__all__ = ["public_case_location", "public_case_text", "public_case_title", "public_redact"]

MASK = "*"
# The hundred commonest single-character surnames cover most of the population.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦"
    "俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房"
    "滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟"
    "应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_ADDRESS_FORMS = (
    "先生|女士|小姐|师傅|阿姨|大爷|大妈|大姐|大哥|老师|医生|经理|书记|主任|科长|局长|队长|"
    "所长|站长|处长|老板|同志|老伯|奶奶|爷爷|婆婆"
)
# 王先生 -> 某先生; also 老王 / 小王 (a surname after 老 or 小 before a non-Han character).
_SURNAME_WITH_FORM = re.compile(f"[{_SURNAMES}](?=(?:{_ADDRESS_FORMS}))")
_OLD_OR_YOUNG = re.compile(f"(?<=[老小])[{_SURNAMES}](?![\u4e00-\u9fff])")
# 我叫张三 / 本人李四 / 姓名：王五 / 联系人赵六: the two or three characters that follow.
_NAME_AFTER_CUE = re.compile(
    f"(?:我叫|我是|本人|姓名[:：]?|名叫|联系人[:：]?|户主[:：]?)\\s*([{_SURNAMES}][\u4e00-\u9fff]{{1,2}})"
)
_HOUSE_NUMBER = re.compile(
    "[0-9０-９一二三四五六七八九十百零〇两A-Za-z]+(?:-[0-9]+)?\\s*(?=号|栋|幢|单元|室|楼|层|户|弄|巷)"
)
_LONG_DIGIT_GROUPS = re.compile("[0-9][0-9 \\-－—]{5,}[0-9]")
# The workflow's display format (domain.localtime.DISPLAY_FORMAT), a valid date and time only.
_DATE_AND_TIME = re.compile(
    "(?<![0-9])(?:19|20)[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    " (?:[01][0-9]|2[0-3]):[0-5][0-9](?![0-9:])"
)


def _mask(match: re.Match[str]) -> str:
    return MASK * len(match.group())


def _mask_name(match: re.Match[str]) -> str:
    whole = match.group(0)
    name_start = match.start(1) - match.start(0)
    return whole[:name_start] + MASK * len(match.group(1))


def _mask_digits(match: re.Match[str]) -> str:
    return "".join(MASK if ch.isdigit() else ch for ch in match.group())


def public_redact(text: str | None) -> str:
    """Any free text of a case as the public may read it (see the module docstring)."""
    return _public_redact(text) if text else ""


# Listings repeat the same notes and places many times per page: masking is pure, so cache it.
@lru_cache(maxsize=4096)
def _public_redact(text: str) -> str:
    masked = redact_for_public(text)
    if not masked:
        return ""
    masked = _NAME_AFTER_CUE.sub(_mask_name, masked)
    masked = _SURNAME_WITH_FORM.sub("某", masked)
    masked = _OLD_OR_YOUNG.sub("某", masked)
    masked = _HOUSE_NUMBER.sub(_mask, masked)
    return _mask_long_digit_groups(masked)


def _mask_long_digit_groups(text: str) -> str:
    """Mask long digit groups everywhere but in the date-and-time stamps between them."""
    pieces, last = [], 0
    for stamp in _DATE_AND_TIME.finditer(text):
        pieces.append(_LONG_DIGIT_GROUPS.sub(_mask_digits, text[last : stamp.start()]))
        pieces.append(stamp.group())
        last = stamp.end()
    pieces.append(_LONG_DIGIT_GROUPS.sub(_mask_digits, text[last:]))
    return "".join(pieces)


def public_case_text(submission: Submission) -> str:
    """The case's main text, safe for the public: what every public listing shows of it."""
    return public_redact(submission.text)


def public_case_title(submission: Submission) -> str:
    """The case's title (may be empty), safe for the public."""
    return public_redact(submission.title)


def public_case_location(submission: Submission) -> str:
    """The free-text place, safe for the public (house numbers and names masked)."""
    return public_redact(submission.location)
