"""Rules about analysis results: statuses, and when the classifier may route a case by itself."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "DEFAULT_ROUTING_MIN_CONFIDENCE",
    "SENTIMENT_LABELS",
    "AnalysisStatus",
    "Routing",
    "RoutingDecision",
    "decide_routing",
    "sentiment_label",
]

# The classifier routes a 不确定 case by itself only at or above this calibrated confidence;
# below it the office routes by hand. 0.85 keeps misrouting rare (a wrong department costs a
# 退单 round trip of a day or more) while routing most clear cases; configurable per deployment
# (ROUTING_MIN_CONFIDENCE).
DEFAULT_ROUTING_MIN_CONFIDENCE = 0.85


#: The Chinese names of the sentiment labels, on screens and in exports alike.
SENTIMENT_LABELS = {"negative": "负面", "neutral": "中性", "positive": "正面"}


def sentiment_label(value: str | None) -> str:
    """The Chinese name of a stored sentiment label ('' when there is none)."""
    return SENTIMENT_LABELS.get(value or "", value or "")


class AnalysisStatus(StrEnum):
    """Where a submission's text mining stands."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self) -> str:
        """The Chinese name shown to staff."""
        return {"pending": "分析中", "done": "已分析", "failed": "分析失败"}[self.value]


class Routing(StrEnum):
    """Who chose the department."""

    RESIDENT = "resident"
    CLASSIFIER = "classifier"
    OFFICE_NEEDED = "office"
    OFFICE = "office_done"


@dataclass(frozen=True)
class RoutingDecision:
    """What to do with a case that has no department yet."""

    routing: Routing
    category: str | None


def decide_routing(
    category: str | None,
    confidence: float | None,
    uncertain: bool,
    has_route: bool,
    min_confidence: float = DEFAULT_ROUTING_MIN_CONFIDENCE,
) -> RoutingDecision:
    """Route automatically only for a confident, certain prediction of a routable category."""
    if (
        category is not None
        and confidence is not None
        and not uncertain
        and confidence >= min_confidence
        and has_route
    ):
        return RoutingDecision(Routing.CLASSIFIER, category)
    return RoutingDecision(Routing.OFFICE_NEEDED, category)
