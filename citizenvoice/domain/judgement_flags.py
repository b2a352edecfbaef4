"""Judgements whose words say the opposite: 满意 with a clearly negative comment, or the reverse.

Such a follow-up is flagged for the office's integrity review with both figures (the judgement
and the sentiment model's score of the comment); it is never rescored, held or excluded by
this rule: a person looks at it. The sentiment model's score is the probability that the text
is positive (nlp.sentiment). Its own neutral band is [0.4, 0.6); "clearly" asks for much more
than leaving that band, because a false flag costs an office clerk's time and casts doubt on a
resident: a score below ``CLEARLY_NEGATIVE`` or at least ``CLEARLY_POSITIVE``.
"""

from __future__ import annotations

from citizenvoice.domain.cases import Satisfaction

__all__ = [
    "CLEARLY_NEGATIVE",
    "CLEARLY_POSITIVE",
    "MIN_COMMENT_CHARS",
    "disagreement",
]

# A comment scored below this reads clearly negative, at or above CLEARLY_POSITIVE clearly
# positive. On the shipped model's held-out reviews, predictions outside [0.2, 0.8) are right
# far more often than those just outside the neutral band (docs/learning.md).
CLEARLY_NEGATIVE = 0.2
CLEARLY_POSITIVE = 0.8
# "好" or "谢谢" alone says too little to contradict a judgement; shorter comments are skipped.
MIN_COMMENT_CHARS = 4


def disagreement(satisfaction: str | None, score: float) -> str | None:
    """Why the judgement and the comment's score disagree (Chinese), or None when they do not.

    Only the two clear judgements count: 基本满意 sits between and never disagrees.
    """
    if satisfaction == Satisfaction.SATISFIED.value and score < CLEARLY_NEGATIVE:
        return f"评价为满意，但意见内容明显负面（情感得分 {score:.2f}）"
    if satisfaction == Satisfaction.DISSATISFIED.value and score >= CLEARLY_POSITIVE:
        return f"评价为不满意，但意见内容明显正面（情感得分 {score:.2f}）"
    return None
