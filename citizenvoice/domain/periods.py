"""Where an appraisal period stands: open -> computed (a draft result) -> published (frozen).

The stored values (``period.status``) are the enum's values, so comparing a stored string with
a member works; a change of settings or imported scores sends a computed period back to open,
and nothing leaves published.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["PeriodStatus"]


class PeriodStatus(StrEnum):
    """The life of an appraisal period."""

    OPEN = "open"
    COMPUTED = "computed"
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        """The Chinese name shown to the office."""
        return _LABELS[self]

    @property
    def is_draft(self) -> bool:
        """Computed and not yet published: the result can be published or recomputed."""
        return self is PeriodStatus.COMPUTED

    @property
    def is_frozen(self) -> bool:
        """Published: settings, imported scores and results can no longer change."""
        return self is PeriodStatus.PUBLISHED


_LABELS: dict[PeriodStatus, str] = {
    PeriodStatus.OPEN: "未计算",
    PeriodStatus.COMPUTED: "已计算（草稿）",
    PeriodStatus.PUBLISHED: "已发布",
}
