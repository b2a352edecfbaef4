"""Urgency: flag messages that need a fast response, from a lexicon plus the category.

``UrgencyDetector().detect(text, category)`` returns :class:`Urgency` with ``level`` one of
``none`` < ``elevated`` < ``high`` < ``critical`` and ``urgent = level in {high, critical}``.

Lexicon: ``nlp/data/urgency_lexicon.tsv`` (level, category, label, regex). ``critical``
entries are threats to life or property now (gas leak, fire, explosion, collapse, suicide,
electric shock, threats to life, poisoning, violence, floods); ``high`` entries need a fast
response because many people are affected (large or multi-day water/power cuts, wage arrears
for many workers, mass incidents, hazardous chemicals, epidemics, child safety). An entry whose
category is not ``*`` counts only when the classifier's category matches it (``!X``: any
category but X; with no category given every entry counts). Deaths (人员伤亡) do not count in
卫生计生, where they are past medical disputes, not emergencies; "dozens of workers unpaid" is
urgent in 劳动和社会保障 and 城乡建设 (where construction wage arrears are filed), not elsewhere.

Cheap context rules on the characters around a match, within its clause (punctuation ends
the window):

* negated: a negation right before the term (``没有发生火灾``, ``无人员伤亡``, ``未发生爆炸``)
  -> the match is ignored;
* irrelevant: the term names a programme or an activity, not an event (``危房改造``,
  ``消防演练``, ``火灾隐患排查``, ``防火宣传``) -> ignored;
* hedged: a risk, not an event (``存在火灾隐患``, ``防止坍塌``, ``可能引发爆炸``,
  ``有触电危险``) -> counted as ``elevated`` at most: a reported hazard is a normal case for
  the department, not an emergency.
* past: ``曾经``, ``去年``, ``多年前`` before the term in its clause, ``多年`` / ``已久`` right
  after it, or a year in its sentence at least two years older than the latest year the
  message mentions (the message's own "now": ``2026年11月29日晚起火`` written in 2026 stays
  urgent) -> counted as ``elevated``.
* position: only matches in the first ``HEAD_CHARS`` (200) characters, i.e. the title and the
  opening of the text, can make a message urgent; later ones count as ``elevated``.
* hyperbole: ``冒着生命危险`` and amusement rides (``跳楼机``) are ignored.

``消防通道被占`` (blocked fire lane) mentions no fire at all and is not matched.

Evaluation on the tipdm2020c labelled messages (8,438), with the gold category standing in for
the classifier's; regenerate with ``python -m nlp urgency-report`` (prints the counts and a
seeded sample of 30 urgent messages, seed 0; ``--sample 0`` prints all of them):

* flagged urgent (high + critical): 75 of 8,438 (0.89%): 71 critical, 4 high; 213 more are
  ``elevated``. By category: 城乡建设 36, 环境保护 11, 教育文体 9, 商贸旅游 8, 卫生计生 5,
  劳动和社会保障 4, 交通运输 2.
* precision, every one of the 75 read by hand (does the department need to act fast?):
  29 of 75 (39%); 20 of the 36 in 城乡建设 (56%), 9 of the 39 in other categories (23%).
  True positives: cracked, sinking or collapsing houses and foundation pits, landslides and
  mudslides at homes, a chemical plant's repeated explosions, lead poisoning of villagers, a
  gas pipe leaking, electrical fires and repeated fires in a block with a blocked fire lane,
  water cut for 3, 4 and 10 days, 18 workers unpaid, five serious accidents in two weeks on a
  road project. False positives: past events told as background (a school fire in 2011, a
  drowning, a child's suicide, a death in a PE class, medical disputes), hazards without an
  event (fire risk in party houses, uncertified screens), and long letters that mention
  violence, cracks or a landslide in passing.

How the rules were arrived at, with figures: docs/model-experiments.md.

The lexicon is a recall-oriented first filter for a human dispatcher, not a decision; the
classifier's category only gates a few entries. A learned model would need labelled urgent
messages, which the shared data does not have.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nlp.regex_prefix import first_chars

__all__ = [
    "DEFAULT_LEXICON",
    "HEAD_CHARS",
    "LEVELS",
    "LexiconEntry",
    "Urgency",
    "UrgencyDetector",
    "load_lexicon",
    "print_tipdm_report",
]

DEFAULT_LEXICON = Path(__file__).resolve().parent / "data" / "urgency_lexicon.tsv"
#: Levels in increasing order of urgency.
LEVELS = ("none", "elevated", "high", "critical")
_URGENT_FROM = LEVELS.index("high")
_ELEVATED = LEVELS.index("elevated")
#: Only matches within the first HEAD_CHARS characters (title and opening of the text) can
#: make a message urgent: an emergency is stated up front, while long letters mention fires,
#: deaths or suicide in passing, as past events or as hyperbole.
HEAD_CHARS = 200


@dataclass(frozen=True, slots=True)
class Urgency:
    """Whether a message needs a fast response, how urgent, and why (matched lexicon terms)."""

    urgent: bool
    level: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LexiconEntry:
    """One lexicon line: level, category (``*`` = any), label and regular expression."""

    level: str
    category: str
    label: str
    pattern: str


def load_lexicon(path: Path) -> list[LexiconEntry]:
    """Read a lexicon TSV (level, category, label, pattern); ``#`` lines are comments."""
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 4 or parts[0] not in LEVELS[1:]:
            raise ValueError(f"{path}:{number}: expected level<TAB>category<TAB>label<TAB>regex")
        re.compile(parts[3])  # fail at load time, with the line number in the traceback
        entries.append(LexiconEntry(*parts))
    return entries


_CLAUSE_END = "，。！？；,.!?;\n"
_NEGATION = re.compile(r"(?:没有|没|未|无|不是|并非|并未|未曾|不会|杜绝|避免了)[^，。！？；]{0,3}$")
_HEDGE_BEFORE = re.compile(
    r"(?:防止|预防|避免|以防|防范|谨防|担心|害怕|担忧|可能|容易|存在|恐|一旦|万一|如果|若|"
    r"易|随时|会)[^，。！？；]{0,4}$"
)
_HEDGE_AFTER = re.compile(r"^(?:的)?(?:隐患|风险|危险|可能|之虞|的危险|的风险|的隐患)")
_IRRELEVANT_AFTER = re.compile(
    r"^(?:的)?(?:改造|补助|补贴|鉴定|演练|宣传|教育|培训|知识|预案|排查|检查|保险|通道|设施|器材|"
    r"安全检查|防控|机)"
)
_IRRELEVANT_BEFORE = re.compile(r"(?:防|消防|反|冒着|冒|不顾)$")
_PAST = re.compile(r"(?:曾经|以前|去年|前年|多年前|几年前|当年|历史上)[^，。！？；]{0,14}$")
_PAST_AFTER = re.compile(
    r"^(?:了)?(?:多年|已久|已有[0-9一二三四五六七八九十几多]+年|[0-9一二三四五六七八九十几多]+年了)"
)
_YEAR = re.compile(r"(?<![0-9])((?:19|20)\d{2})年")
_SENTENCE_END = "。！？!?\n"
#: A year at least this much older than the latest year the message mentions marks the
#: sentence as background (the posting date is not in the text, so the message's own latest
#: year stands in for "now").
_OLD_YEARS = 2


def _category_matches(rule: str, category: str) -> bool:
    if rule == "*":
        return True
    if rule.startswith("!"):
        return category != rule[1:]
    return category == rule


def _old_sentence(text: str, start: int, width: int = 80) -> bool:
    """True when the sentence before ``start`` names a year well before the text's latest."""
    window = text[max(0, start - width) : start]
    for i in range(len(window) - 1, -1, -1):
        if window[i] in _SENTENCE_END:
            window = window[i + 1 :]
            break
    years = [int(y) for y in _YEAR.findall(window)]
    if not years:
        return False
    latest = max(int(y) for y in _YEAR.findall(text))
    return min(years) <= latest - _OLD_YEARS


def _clause_before(text: str, start: int, width: int = 20) -> str:
    window = text[max(0, start - width) : start]
    for i in range(len(window) - 1, -1, -1):
        if window[i] in _CLAUSE_END:
            return window[i + 1 :]
    return window


def _clause_after(text: str, end: int, width: int = 6) -> str:
    window = text[end : end + width]
    for i, ch in enumerate(window):
        if ch in _CLAUSE_END:
            return window[:i]
    return window


class UrgencyDetector:
    """Match the urgency lexicon (one combined regex) and apply the context rules."""

    def __init__(
        self, lexicon_paths: Sequence[Path] | None = None, head_chars: int = HEAD_CHARS
    ) -> None:
        self.head_chars = head_chars
        paths = lexicon_paths if lexicon_paths is not None else (DEFAULT_LEXICON,)
        self.entries: tuple[LexiconEntry, ...] = tuple(
            e for path in paths for e in load_lexicon(path)
        )
        self._regexes: dict[str | None, re.Pattern[str] | None] = {}

    def _regex_for(self, category: str | None) -> re.Pattern[str] | None:
        """One combined regex per category, of the entries that apply to it (cached).

        Filtering entries before combining matters: in one alternation a category-gated entry
        would shadow a later entry matching the same characters.
        """
        if category not in self._regexes:
            chosen = [
                (i, e)
                for i, e in enumerate(self.entries)
                if category is None or _category_matches(e.category, category)
            ]
            if not chosen:
                self._regexes[category] = None
            else:
                combined = "|".join(f"(?P<e{i}>{e.pattern})" for i, e in chosen)
                firsts = first_chars([e.pattern for _, e in chosen])
                if firsts:
                    # A lookahead on the possible first characters lets the regex engine skip
                    # most positions with one set test instead of trying every alternative
                    # (about 7x faster on the tipdm messages, same matches).
                    combined = f"(?=[{re.escape(''.join(sorted(firsts)))}])(?:{combined})"
                self._regexes[category] = re.compile(combined)
        return self._regexes[category]

    def detect(self, text: str, category: str | None = None) -> Urgency:
        """Return the urgency of ``text`` given the classifier's ``category`` (if known)."""
        regex = self._regex_for(category)
        if regex is None:
            return Urgency(urgent=False, level="none", reasons=())
        best = 0
        reasons: list[str] = []
        for match in regex.finditer(text):
            assert match.lastgroup is not None
            entry = self.entries[int(match.lastgroup[1:])]
            level, note = self._contextual_level(text, match, entry)
            if level > _ELEVATED and match.start() >= self.head_chars:
                level, note = _ELEVATED, note or " (正文后部)"
            if level == 0:
                continue
            reason = f"{entry.label}: {match.group()}{note}"
            if reason not in reasons:
                reasons.append(reason)
            best = max(best, level)
        name = LEVELS[best]
        return Urgency(urgent=best >= _URGENT_FROM, level=name, reasons=tuple(reasons))

    @staticmethod
    def _contextual_level(text: str, match: re.Match[str], entry: LexiconEntry) -> tuple[int, str]:
        before = _clause_before(text, match.start())
        after = _clause_after(text, match.end())
        if _NEGATION.search(before):
            return 0, ""
        if _IRRELEVANT_AFTER.search(after) or _IRRELEVANT_BEFORE.search(before):
            return 0, ""
        level = LEVELS.index(entry.level)
        if _HEDGE_AFTER.search(after) or _HEDGE_BEFORE.search(before):
            return min(level, LEVELS.index("elevated")), " (风险)"
        if _PAST.search(before) or _PAST_AFTER.search(after) or _old_sentence(text, match.start()):
            return min(level, LEVELS.index("elevated")), " (过去)"
        return level, ""


def print_tipdm_report(sample_size: int = 30, seed: int = 0) -> None:
    """Print flag counts on the tipdm messages and a seeded sample of flagged ones.

    ``sample_size=0`` prints every urgent message (for reading them all).
    """
    import random
    from collections import Counter

    from nlp.datasets import load_messages
    from nlp.normalize import normalize
    from nlp.redact import redact

    detector = UrgencyDetector()
    messages = load_messages()
    results = []
    for m in messages:
        text = redact(normalize(f"{m.title} {m.text}")).text
        results.append((m, text, detector.detect(text, m.label)))
    levels = Counter(u.level for _, _, u in results)
    urgent = [r for r in results if r[2].urgent]
    print(f"messages: {len(results)}; levels: {dict(sorted(levels.items()))}")
    print(f"urgent (high + critical): {len(urgent)} ({len(urgent) / len(results):.2%})")
    print(f"urgent by category: {dict(Counter(m.label for m, _, _ in urgent).most_common())}")
    if sample_size:
        sample = random.Random(seed).sample(urgent, min(sample_size, len(urgent)))  # noqa: S311
    else:
        sample = urgent
    for m, text, u in sample:
        print(f"--- row {m.row} [{m.label}] {u.level} {'; '.join(u.reasons)}")
        print(f"    {text[:240]}")


if __name__ == "__main__":
    print_tipdm_report()
