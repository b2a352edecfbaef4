"""Training labels: which sources give strong or weak labels, and the identity of a label.

Strong labels are a person's deliberate decision about a text (a staff category correction,
an office routing decision, labelled history a centre imports); weak labels are inferred from
what a resident or rater did for another purpose (follow-up judgements, 1-5 stars, survey
ratings). Training keeps them apart so a weak signal never outweighs a deliberate one unseen.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

__all__ = [
    "LabelKind",
    "LabelSource",
    "LabelStrength",
    "label_key",
    "strength_of",
]


class LabelKind(StrEnum):
    """What a label teaches: the category model or the sentiment model."""

    CATEGORY = "category"
    SENTIMENT = "sentiment"


class LabelStrength(StrEnum):
    """strong: a person labelled the text on purpose; weak: inferred from another act."""

    STRONG = "strong"
    WEAK = "weak"


class LabelSource(StrEnum):
    """Where a label came from."""

    IMPORT = "import"  # a centre's labelled history (labels import)
    STAFF_CORRECTION = "staff_correction"  # a department corrected the predicted category
    ROUTING = "routing"  # the office routed a case to a category's department
    FOLLOW_UP = "follow_up"  # the resident's follow-up judgement and comment
    RATING = "rating"  # an open 评价 submission with its 1-5 stars
    SURVEY = "survey"  # a survey comment with its rating


_STRONG_SOURCES = frozenset({LabelSource.IMPORT, LabelSource.STAFF_CORRECTION, LabelSource.ROUTING})


def strength_of(source: LabelSource | str) -> LabelStrength:
    """The strength a source's labels carry (import and staff decisions are strong)."""
    return LabelStrength.STRONG if LabelSource(source) in _STRONG_SOURCES else LabelStrength.WEAK


def label_key(kind: str, source: str, reference: str, text: str) -> str:
    """The label's identity, so importing or capturing the same label twice stores it once.

    ``reference`` names the labelled thing where it has a name (a case id, an imported row's
    own id); otherwise the text itself identifies it. The label value is not part of the key:
    a later decision about the same thing replaces the earlier one instead of contradicting it.
    """
    basis = reference if reference else text
    digest = hashlib.sha256(f"{kind}\x1f{source}\x1f{basis}".encode()).hexdigest()
    return digest
