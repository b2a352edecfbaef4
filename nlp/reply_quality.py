"""Quality of a department's reply to a citizen message: relevance, completeness, timeliness.

``score_reply(message, reply, ...)`` returns a frozen ``ReplyQuality`` with a score in [0, 1],
its three components, the parts of a good reply that were found, short Chinese reasons for a
resident or the appraisal office, and warnings a department sees before sending.

* Relevance (does the reply answer *this* message?): the mean of three signals, each in [0, 1]:
  ``coverage``, the IDF-weighted share of the message's top keywords (``KEYWORDS_TOP_N``) that
  the reply contains; ``cosine``, the TF-IDF cosine of message and reply tokens divided by
  ``COSINE_FULL`` and capped at 1; ``echo``, the share of places and estates named in the
  message (tokens ending in a place suffix such as 小区/街道/路/村) that the reply names too.
  The IDF table (``nlp/data/reply_idf.json``) was fitted on the tipdm2020c messages and replies.
* Completeness: the parts a Chinese government reply is expected to contain, found by phrase
  patterns and weighted by ``PART_WEIGHTS``: facts found (经调查/核实), measures taken
  (已责成/整改), result (已解决/办结), basis (根据《…》/依据), contact (联系电话/咨询).
  A consultation (the title asks 咨询/请问/能否 ...) is judged on facts, basis and contact
  only (``CONSULTATION_PARTS``); ``missing_parts`` and the reasons list required parts only.
  A reply whose content beyond courtesy formulas is shorter than ``MIN_SUBSTANCE_CHARS`` is
  template-only and its completeness is capped at ``TEMPLATE_CAP``.
* Timeliness (only when both timestamps are given): 1 within ``REPLY_LIMIT_DAYS`` (7 calendar
  days), falling linearly to 0.5 at ``COMPLEX_LIMIT_DAYS`` (15 days, the limit for complex
  cases) and to 0 at ``LATE_ZERO_DAYS``. Calendar days: working-day rules belong to the app.
* Placeholders: blanks of a template left unfilled ({问题}, ____, XX路, ××, 【 】, empty
  brackets) are listed in ``placeholders``; the app treats them as a hard warning (the reply
  cannot be sent until they are filled), because a resident must never read a form.
* Score: ``WEIGHTS`` over the three components (renormalised without timeliness when it is
  ``None``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from nlp.reply_idf import IDF_PATH, IdfTable, fit_idf, load_idf
from nlp.segment import default_segmenter

__all__ = [
    "COMPLEX_LIMIT_DAYS",
    "CONSULTATION",
    "CONSULTATION_HEAD_CHARS",
    "CONSULTATION_PARTS",
    "COSINE_FULL",
    "IDF_PATH",
    "KEYWORDS_TOP_N",
    "LATE_ZERO_DAYS",
    "MAX_CHARS",
    "MIN_SUBSTANCE_CHARS",
    "PART_PATTERNS",
    "PART_WEIGHTS",
    "PLACEHOLDER",
    "REPLY_LIMIT_DAYS",
    "TEMPLATE_CAP",
    "WEIGHTS",
    "IdfTable",
    "ReplyQuality",
    "find_placeholders",
    "fit_idf",
    "load_idf",
    "relevance_signals",
    "score_reply",
]

#: Reply limit for ordinary cases (calendar days) and for complex cases (Beijing 12345 practice).
REPLY_LIMIT_DAYS = 7.0
COMPLEX_LIMIT_DAYS = 15.0
#: Delay at which timeliness reaches 0 (three times the complex-case limit).
LATE_ZERO_DAYS = 45.0
#: Weights of relevance, completeness and timeliness in the score.
WEIGHTS = {"relevance": 0.4, "completeness": 0.4, "timeliness": 0.2}
#: Message keywords whose presence in the reply is checked.
KEYWORDS_TOP_N = 10
#: TF-IDF cosine treated as full relevance: true pairs in tipdm2020c sit around 0.2-0.6.
COSINE_FULL = 0.5
#: Characters of substance (beyond courtesy formulas) below which a reply is template-only.
MIN_SUBSTANCE_CHARS = 40
#: Completeness ceiling for a template-only reply.
TEMPLATE_CAP = 0.1
#: Replies shorter than this many characters draw a "too short" warning.
SHORT_REPLY_CHARS = 80
#: Relevance below this is "did not answer the points raised". On tipdm2020c replies, 97.8% of
#: replies paired with another message fall below 0.15, and 18.5% of the true replies (mostly
#: short acknowledgements: 3.1% of true replies of 200+ characters) do.
LOW_RELEVANCE = 0.15
#: Longest input accepted; longer texts raise ValueError (a reply is never a book).
MAX_CHARS = 200_000

#: Parts of a complete reply: name -> pattern. Order is the order of ``parts``.
PART_PATTERNS: dict[str, re.Pattern[str]] = {
    "facts": re.compile(
        r"经(?:调查|核实|核查|查|了解|现场)|调查(?:核实|了解|发现)|核实|现场(?:查看|勘察|勘查|核查)"
        r"|实地(?:查看|调查|走访)|情况如下|了解到"
    ),
    "measures": re.compile(
        r"已责成|责成|责令|整改|督促|已要求|要求.{0,8}(?:立即|尽快|限期)|约谈|已安排|协调|处罚|立案"
        r"|查处|下达|已通知|组织.{0,6}(?:清理|维修|拆除|执法)"
        # 安排执法人员到现场, 依法取缔: who was sent, and what enforcement was taken.
        r"|安排[^。；]{0,8}人员|依法(?:取缔|查处|处罚|拆除|清理|关停)"
    ),
    "result": re.compile(
        r"已(?:依法|及时|立即|全部|逐一|基本)?(?:解决|办结|完成|处理完毕|恢复|修复|拆除|清理|整改到位|到位|落实|退还|发放|支付|兑现"
        r"|办理|疏通|停止|取缔|关停|更换|安装|纳入|列入|停工|开工|批复|下发|妥善处理|处理)|办结|问题得到(?:解决|处理)|已于.{0,12}(?:完成|恢复)"
        # Tuned on real replies (benchmarks/eval_reply_warnings.py): an action reported done in
        # other words (已经退费, 已全部将…去除, 已对红绿灯进行了优化) ...
        # (已将…转相关部门处理 forwards the case: not a result).
        r"|(?:已经|现已|均已|已全部|已对|已将|已与|已按|已在|已向|已由|已组织|已联系)"
        r"(?:(?!转|交办|交由|介入)[^。；]){0,30}?"
        r"(?:解决|完成|完毕|恢复|修复|拆除|清除|清理|清运|去除|整改|退费|退款|退还|发放|支付|停止"
        r"|取缔|关停|关闭|更换|安装|纳入|列入|暂停|调整|优化|延伸|开通|处罚|查处|立案|签订|接通|移交"
        r"|劝退|劝离|同意|办理|处理|改造|到位)"
        # ... a decision with its reason (暂不考虑, 不符合条件, 不在管辖范围, 不建议) ...
        r"|暂不(?:考虑|具备|纳入|列入|能|予)|暂无[^。；]{0,8}(?:计划|规划)|不予|不符合|不建议|不宜"
        r"|不属于[^。；]{0,20}(?:范围|职责|管辖)|不在[^。；]{0,20}(?:范围|职责)|无法(?:再次)?[^。；]{0,6}(?:办理|规划|建设|抵押)"
        # ... what was found, answering the complaint (经查…符合标准 / 不存在 / 属实) ...
        r"|(?:符合|达到)[^。；]{0,12}(?:标准|要求|规定|条件)|不存在|(?:情况)?(?:属实|不属实)|与实际(?:情况)?不符"
        # ... the direct answer to a question (可到…办理, 产假应为158天, 即可) ...
        r"|(?:可|可以|需|须|应)(?:携带|持|到|至|向|申请|办理|提供|在)[^。；]{0,30}(?:办理|申请|咨询|登记|补办|报名|更改)"
        r"|即可|应为|为\d+(?:元|天|分|个月)|(?:承诺|表示|同意)[^。；]{0,20}(?:尽快|将|会|退|整改|停止)"
        r"|(?:可|可以)(?:乘坐|换乘|拨打|登录|通过)|(?:正在|有序)推进|已全面|全部完工|即将(?:完工|开通|进场)"
        # ... enforcement done or ordered (责令停止, 立案调查, 查扣了, 进行关闭, 列入项目) ...
        r"|责令[^。；]{0,10}(?:停止|拆除|整改|改正)|立案(?:调查|查处)|(?:下达|送达)了?《"
        r"|(?:查扣|查处|处罚|拆除|清理|关停|取缔|补齐|补发)了|进行了?(?:关闭|拆除|整治|处罚|清理|修复|维修)"
        r"|将[^。；]{0,20}(?:列入|纳入)[^。；]{0,12}(?:项目|计划)|拟将[^。；]{0,30}(?:调整|改为|设置)"
        r"|(?:明显|已经|已)好转|取得(?:了)?(?:初步)?成效|得到(?:了)?[^。；]{0,6}(?:理解|认可)"
        r"|已经?[^。；]{0,20}(?:补齐|补发|补缴|竣工|交付)"
        r"|(?:将于|将在|计划在)[^。；]{0,20}(?:组织|开展|实施|竣工|交付|建设)"
        # ... or a dated commitment (预计2018年年中接通, 将于6月份陆续开通).
        r"|(?:预计|将于|计划于|争取于?|力争)[^。；]{0,30}(?:完成|完工|开通|接通|建成|投入使用|办结|启动|实现|到位)"
    ),
    "basis": re.compile(r"根据《|依据|按照《|《[^》]{2,40}》|第[一二三四五六七八九十百\d]+条|规定"),
    "contact": re.compile(
        r"联系电话|咨询电话|服务热线|热线|电话[:：]?\s*\d|\d{3,4}-\d{4,8}|致电|拨打|来电|联系人"
        r"|联系方式|前来.{0,10}咨询|可(?:向|到|至).{0,20}咨询"
    ),
}
#: Blanks of a template that nobody filled. ``XX`` counts only where a template puts it (alone,
#: or before a unit such as 月/日/路/小区/电话): real replies mask surnames as 贺XX老师. Braces
#: opening with a qualifier (医院{只限肿瘤病人}) are an aside, and 网站（网址） a field name.
PLACEHOLDER = re.compile(
    r"[{｛]{1,2}(?![只仅含限注除即如])\s*[^{}｛｝\n]{0,10}\s*[}｝]{1,2}"
    r"|[（(](?:网址|电话|地址|姓名|日期|时间|联系人|联系方式|联系电话|编号|金额)[）)]"
    r"|_{3,}|＿{2,}|—{4,}"
    r"|(?<![A-Za-z\u4e00-\u9fff])(?:XX|xx|ＸＸ|X{3,})(?![A-Za-z])"
    r"|(?:XX|xx|ＸＸ)(?=[年月日号时分路街巷村镇区县市局小区单位部门电话元天个件])"
    r"|[×╳]{2,}|[○〇]{2,}"
    r"|【\s*】|\[\s*\]|（\s*）|\(\s*\)"
)


def find_placeholders(reply: str) -> tuple[str, ...]:
    """The unfilled template blanks in a reply, each once, in order of appearance."""
    return tuple(dict.fromkeys(m.group(0) for m in PLACEHOLDER.finditer(reply)))


#: A message whose first ``CONSULTATION_HEAD_CHARS`` characters (the title, as the app and the
#: data put it first) ask a question is a consultation: its reply is judged on
#: ``CONSULTATION_PARTS`` only, since a policy answer has no measures or result to report.
CONSULTATION = re.compile(
    r"咨询|请问|能否|是否|可否|可不可以|能不能|何时|什么时候|怎么办|如何|吗[？?]"
)
CONSULTATION_HEAD_CHARS = 40
CONSULTATION_PARTS: tuple[str, ...] = ("facts", "basis", "contact")
#: Weight of each part in completeness (sums to 1; renormalised over the required parts).
PART_WEIGHTS: dict[str, float] = {
    "facts": 0.25,
    "measures": 0.25,
    "result": 0.2,
    "basis": 0.15,
    "contact": 0.15,
}
_PART_REASONS = {
    "facts": "未说明调查核实情况",
    "measures": "未说明采取的措施",
    "result": "缺少处理结果",
    "basis": "未说明政策或法律依据",
    "contact": "未提供联系方式",
}
_PART_LABELS = {
    "facts": "调查核实情况",
    "measures": "采取的措施",
    "result": "处理结果",
    "basis": "政策依据",
    "contact": "联系方式",
}
# Courtesy formulas and headers that carry no substance.
_BOILERPLATE = re.compile(
    r"网友[“\"]?[^”\"：:，,！!]{0,20}[”\"]?|您好|你好|留言(?:已)?收悉|来信(?:已)?收悉|来邮(?:已)?收悉"
    r"|已收悉|现(?:将|就)?(?:有关)?(?:情况)?(?:调查处理情况)?(?:答复|回复)如下|现予?(?:答复|回复)如下"
    r"|感谢您?对[^。！]{0,30}(?:关心|关注|支持|监督|信任|理解)[^。！]{0,20}|谢谢|此复|特此(?:答复|回复)"
    r"|\d{4}年\d{1,2}月\d{1,2}日|[\s\u3000\xa0，。！？：；、,.!?:;\"“”‘’（）()]+"
)
_PLACE_SUFFIXES = (
    "小区", "社区", "街道", "花园", "家园", "华苑", "公寓", "大厦", "广场", "新城", "新村", "村",
    "镇", "乡", "路", "大道", "街", "巷", "学校", "小学", "中学", "医院", "公园", "幼儿园", "中心",
    "市场", "公司", "苑", "府", "城", "湾", "园",
)  # fmt: skip
_STANDALONE_SUFFIXES = frozenset({"小区", "社区", "街道", "村", "镇", "路", "公司", "学校"})
_GENERIC_PLACES = frozenset({"小区", "社区", "街道", "本小区", "该小区", "我小区", "公司", "学校"})


@dataclass(frozen=True, slots=True)
class ReplyQuality:
    """Scored reply. ``timeliness`` is None when either timestamp was not given."""

    score: float
    relevance: float
    completeness: float
    timeliness: float | None
    parts: tuple[str, ...]
    missing_parts: tuple[str, ...]
    reasons: tuple[str, ...]
    warnings: tuple[str, ...]
    delay_days: float | None
    template_only: bool
    #: Unfilled template blanks ({问题}, ____, XX月XX日 ...): a hard warning, see find_placeholders.
    placeholders: tuple[str, ...] = ()


def _required_parts(message: str) -> tuple[str, ...]:
    """Parts expected in the reply: a question needs no measures or result, an answer."""
    if CONSULTATION.search(message[:CONSULTATION_HEAD_CHARS]):
        return CONSULTATION_PARTS
    return tuple(PART_PATTERNS)


def _check_text(name: str, text: str) -> None:
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str, got {type(text).__name__}")
    if len(text) > MAX_CHARS:
        raise ValueError(f"{name} is {len(text)} characters; the limit is {MAX_CHARS}")


def _substance(reply: str) -> str:
    return _BOILERPLATE.sub("", reply)


def _places(tokens: Sequence[str], stopwords: frozenset[str]) -> list[tuple[str, str]]:
    """Places named in a token list as (name, stem to look for in the reply)."""
    found: dict[str, str] = {}
    for i, tok in enumerate(tokens):
        if tok in _STANDALONE_SUFFIXES and i > 0:
            prev = tokens[i - 1]
            if len(prev) >= 2 and prev not in stopwords and prev.isalnum():
                found.setdefault(prev + tok, prev)
        elif len(tok) >= 3 and tok.endswith(_PLACE_SUFFIXES) and tok not in _GENERIC_PLACES:
            found.setdefault(tok, tok)
    return list(found.items())


def _keywords(tokens: Sequence[str], idf: IdfTable, top_n: int) -> list[tuple[str, float]]:
    tf = Counter(t for t in tokens if len(t) >= 2 or not t.isascii())
    weighted = sorted(((t, c * idf.idf(t)) for t, c in tf.items()), key=lambda kv: (-kv[1], kv[0]))
    return weighted[:top_n]


def _cosine(a: Sequence[str], b: Sequence[str], idf: IdfTable) -> float:
    va = {t: c * idf.idf(t) for t, c in Counter(a).items()}
    vb = {t: c * idf.idf(t) for t, c in Counter(b).items()}
    dot = sum(w * vb[t] for t, w in va.items() if t in vb)
    na = math.sqrt(sum(w * w for w in va.values()))
    nb = math.sqrt(sum(w * w for w in vb.values()))
    return dot / (na * nb) if na and nb else 0.0


def relevance_signals(
    message: str,
    reply: str,
    message_tokens: Sequence[str] | None = None,
    reply_tokens: Sequence[str] | None = None,
    idf: IdfTable | None = None,
) -> dict[str, float | None]:
    """Return the relevance signals: coverage, cosine (raw), echo (None without places)."""
    _check_text("message", message)
    _check_text("reply", reply)
    seg = default_segmenter()
    table = idf if idf is not None else load_idf()
    m_tok = list(message_tokens) if message_tokens is not None else seg.content_tokens(message)
    r_tok = list(reply_tokens) if reply_tokens is not None else seg.content_tokens(reply)
    r_set = set(r_tok)
    keywords = _keywords(m_tok, table, KEYWORDS_TOP_N)
    total = sum(w for _, w in keywords)
    coverage = sum(w for t, w in keywords if t in r_set or t in reply) / total if total > 0 else 0.0
    places = _places(m_tok, seg.stopwords)
    echo = sum(1 for _, stem in places if stem in reply) / len(places) if places else None
    return {"coverage": coverage, "cosine": _cosine(m_tok, r_tok, table), "echo": echo}


def _timeliness(delay_days: float) -> float:
    if delay_days <= REPLY_LIMIT_DAYS:
        return 1.0
    if delay_days <= COMPLEX_LIMIT_DAYS:
        span = COMPLEX_LIMIT_DAYS - REPLY_LIMIT_DAYS
        return 1.0 - 0.5 * (delay_days - REPLY_LIMIT_DAYS) / span
    if delay_days >= LATE_ZERO_DAYS:
        return 0.0
    return 0.5 * (LATE_ZERO_DAYS - delay_days) / (LATE_ZERO_DAYS - COMPLEX_LIMIT_DAYS)


def _timing(
    message_time: datetime | None,
    reply_time: datetime | None,
    reasons: list[str],
    warnings: list[str],
) -> tuple[float | None, float | None]:
    """(delay in days, timeliness score), both None without two usable timestamps.

    A reply over the time limit adds a reason; a reply dated before the message a warning.
    """
    if message_time is None or reply_time is None:
        return None, None
    if (message_time.tzinfo is None) != (reply_time.tzinfo is None):
        raise ValueError("message_time and reply_time must both be naive or both be aware")
    delay = (reply_time - message_time).total_seconds() / 86400.0
    if delay < 0:
        warnings.append("答复时间早于留言时间，请核对时间")
        return None, None
    if delay > COMPLEX_LIMIT_DAYS:
        reasons.append(f"答复超过{COMPLEX_LIMIT_DAYS:g}日时限")
    elif delay > REPLY_LIMIT_DAYS:
        reasons.append(f"答复超过{REPLY_LIMIT_DAYS:g}日时限（复杂事项为{COMPLEX_LIMIT_DAYS:g}日）")
    return delay, _timeliness(delay)


def _relevance(
    message: str, reply: str, message_tokens: list[str] | None, reply_tokens: list[str] | None
) -> tuple[float, float | None]:
    """(relevance 0-1, place echo or None): mean of keyword coverage, cosine and place echo."""
    signals = relevance_signals(message, reply, message_tokens, reply_tokens)
    coverage = float(signals["coverage"] or 0.0)
    cosine = min(1.0, float(signals["cosine"] or 0.0) / COSINE_FULL)
    echo = signals["echo"]
    parts_rel = [coverage, cosine] + ([float(echo)] if echo is not None else [])
    relevance = sum(parts_rel) / len(parts_rel) if message.strip() else 0.0
    return relevance, (float(echo) if echo is not None else None)


def score_reply(
    message: str,
    reply: str,
    message_time: datetime | None = None,
    reply_time: datetime | None = None,
    message_tokens: list[str] | None = None,
    reply_tokens: list[str] | None = None,
) -> ReplyQuality:
    """Score a department's ``reply`` to a citizen ``message`` (see the module docstring).

    Tokens from ``Segmenter.content_tokens`` may be passed to skip segmentation. Raises
    ValueError for texts over ``MAX_CHARS`` characters or for one naive and one timezone-aware
    timestamp; an empty reply scores 0 with reasons.
    """
    _check_text("message", message)
    _check_text("reply", reply)
    reasons: list[str] = []
    warnings: list[str] = []
    delay, timeliness = _timing(message_time, reply_time, reasons, warnings)

    substance = _substance(reply)
    if not reply.strip():
        reasons.insert(0, "答复内容为空")
        warnings.append("答复内容为空")
        return _result(
            0.0, 0.0, timeliness, (), reasons, warnings, delay, True, _required_parts(message)
        )

    relevance, echo = _relevance(message, reply, message_tokens, reply_tokens)

    parts = tuple(name for name, pat in PART_PATTERNS.items() if pat.search(reply))
    required = _required_parts(message)
    completeness = sum(PART_WEIGHTS[p] for p in parts if p in required) / sum(
        PART_WEIGHTS[p] for p in required
    )
    template_only = len(substance) < MIN_SUBSTANCE_CHARS
    if template_only:
        completeness = min(completeness, TEMPLATE_CAP)

    if template_only:
        reasons.insert(0, "答复仅为套话，缺少实质内容")
        warnings.append("答复只有问候和套话，请写明调查情况、措施和结果")
    if message.strip() and relevance < LOW_RELEVANCE:
        reasons.insert(0, "答复未回应诉求要点")
        seg = default_segmenter()
        m_tok = message_tokens if message_tokens is not None else seg.content_tokens(message)
        missing = [t for t, _ in _keywords(m_tok, load_idf(), 5) if t not in reply]
        hint = f"（如：{'、'.join(missing[:3])}）" if missing else ""
        warnings.append(f"相关度低：答复未提及留言中的关键内容{hint}")
    if echo is not None and echo == 0.0:
        reasons.append("答复未提及留言中的地点")
    for name in required:
        if name not in parts:
            reasons.append(_PART_REASONS[name])
    missing_labels = [_PART_LABELS[n] for n in required if n not in parts]
    if missing_labels:
        warnings.append("缺少：" + "、".join(missing_labels))
    if len(reply.strip()) < SHORT_REPLY_CHARS:
        reasons.append("答复过于简短")
        warnings.append(f"答复过短（少于{SHORT_REPLY_CHARS}字）")
    placeholders = find_placeholders(reply)
    if placeholders:
        reasons.insert(0, "答复中有未填写的模板占位符")
        warnings.insert(0, "有未填写的模板占位符：" + " ".join(placeholders) + "，请填写后再发送")
    result = _result(
        relevance,
        completeness,
        timeliness,
        parts,
        reasons,
        warnings,
        delay,
        template_only,
        required,
    )
    return replace(result, placeholders=placeholders)


def _result(
    relevance: float,
    completeness: float,
    timeliness: float | None,
    parts: tuple[str, ...],
    reasons: list[str],
    warnings: list[str],
    delay: float | None,
    template_only: bool,
    required: tuple[str, ...],
) -> ReplyQuality:
    weights = dict(WEIGHTS)
    values = {"relevance": relevance, "completeness": completeness}
    if timeliness is None:
        weights.pop("timeliness")
    else:
        values["timeliness"] = timeliness
    score = sum(weights[k] * values[k] for k in weights) / sum(weights.values())
    return ReplyQuality(
        score=round(min(max(score, 0.0), 1.0), 4),
        relevance=round(min(max(relevance, 0.0), 1.0), 4),
        completeness=round(min(max(completeness, 0.0), 1.0), 4),
        timeliness=None if timeliness is None else round(timeliness, 4),
        parts=parts,
        missing_parts=tuple(n for n in required if n not in parts),
        reasons=tuple(dict.fromkeys(reasons)),
        warnings=tuple(dict.fromkeys(warnings)),
        delay_days=None if delay is None else round(delay, 3),
        template_only=template_only,
    )
