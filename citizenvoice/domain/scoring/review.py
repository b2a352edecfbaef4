"""Review decisions on held ratings: release, or exclude with a mandatory reason.

A held rating is scored only once released, an excluded one never; an exclusion without a
reason is refused (the reason goes to the audit log as given). Nothing is deleted: excluded
ratings are returned with their reasons so the service can show and log them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from citizenvoice.domain.scoring.integrity import order_key
from citizenvoice.domain.scoring.records import RatingRecord, RecordId

__all__ = ["Exclusion", "ScoredSelection", "select_scored"]


@dataclass(frozen=True)
class Exclusion:
    """The office's decision to exclude one rating from scoring; a reason is mandatory."""

    rating_id: RecordId
    reason: str

    def __post_init__(self) -> None:
        """Refuse an exclusion without a reason (it goes to the audit log as given)."""
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise ValueError("排除评价必须填写理由")


@dataclass(frozen=True)
class ScoredSelection:
    """Which ratings count: scored ones, those still held, and the excluded with reasons."""

    scored: tuple[RatingRecord, ...]
    held: tuple[RecordId, ...]
    excluded: tuple[Exclusion, ...]


def select_scored(
    ratings: Iterable[RatingRecord],
    held: Iterable[RecordId] = (),
    released: Iterable[RecordId] = (),
    exclusions: Iterable[Exclusion] = (),
) -> ScoredSelection:
    """Apply review decisions: excluded never count, held count only once released.

    Raises ``ValueError`` for an exclusion of an unknown rating or one rating both released
    and excluded (a contradictory decision).
    """
    items = sorted(ratings, key=order_key)
    ids = {r.rating_id for r in items}
    excluded = {e.rating_id: e for e in exclusions}
    unknown = set(excluded) - ids
    if unknown:
        raise ValueError(f"要排除的评价不存在：{'、'.join(sorted(map(str, unknown)))}")
    released_set = set(released)
    both = released_set & set(excluded)
    if both:
        raise ValueError(f"同一评价不能既放行又排除：{'、'.join(sorted(map(str, both)))}")
    pending = set(held) - released_set
    scored = tuple(r for r in items if r.rating_id not in excluded and r.rating_id not in pending)
    still_held = tuple(
        r.rating_id for r in items if r.rating_id in pending and r.rating_id not in excluded
    )
    ordered_exclusions = tuple(excluded[r.rating_id] for r in items if r.rating_id in excluded)
    return ScoredSelection(scored, still_held, ordered_exclusions)
