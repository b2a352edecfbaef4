"""Integrity of ratings: anomaly flags that hold ratings for review.

Nothing here deletes anything. ``detect_anomalies`` says which ratings are held and why (in
Chinese, for the review screen); ``review.select_scored`` then applies the office's decisions.
Checks:

* 同一案件重复评价: one scored rating per case; later ratings of the same case are held.
* 同一 IP / 同一设备集中评价: at least ``burst_min_count`` ratings from one IP hash or device
  fingerprint within ``burst_window`` (sliding window): every rating in such a window is held.
* 连续满分: a run of consecutive top ratings in a department (in time order) so long that it
  is implausible given how often the department gets top ratings otherwise: with p the
  department's top share outside the run, smoothed toward the city's share, a run of length
  L in N ratings is flagged when D x N x p^L < ``top_run_alpha`` and L >= ``top_run_min_length``.
  N x p^L bounds the expected number of such runs by chance in one department; times the
  number D of rated departments it bounds the city-wide number, so ``top_run_alpha`` = 0.01
  means about one false hold in a hundred periods for the whole city, not per department.
* 评价量异常: the department's rating count is above median + k x scale of its past periods,
  with the robust scale max(1.4826 x MAD, sqrt(median)) (MAD for outliers in the history,
  the Poisson floor because counts vary by at least sqrt(mean)). All its ratings are held.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from citizenvoice.domain.scoring.records import RATING_MAX, RatingRecord, RecordId

__all__ = [
    "AnomalyFlag",
    "AnomalyKind",
    "IntegrityReport",
    "IntegritySettings",
    "VolumeCheck",
    "check_volume",
    "detect_anomalies",
    "order_key",
]

# Five or more ratings from one IP or device inside ten minutes: a family sharing a router
# rates a handful of cases a month, not five in ten minutes; a rating farm does exactly that.
DEFAULT_BURST_WINDOW = timedelta(minutes=10)
DEFAULT_BURST_MIN_COUNT = 5

# Runs shorter than 10 are never flagged (they happen by chance in any good department), and
# longer ones only when chance would produce one anywhere in the city less than once in 100
# periods.
DEFAULT_TOP_RUN_MIN_LENGTH = 10
DEFAULT_TOP_RUN_ALPHA = 0.01
# The department's top share is smoothed with this many pseudo-ratings at the city share, so a
# department whose ratings are nearly all in the run is not judged on a share of 1.0.
TOP_SHARE_PRIOR_WEIGHT = 10.0

# Three robust standard deviations above the median of at least three past periods.
DEFAULT_VOLUME_K = 3.0
DEFAULT_VOLUME_MIN_HISTORY = 3
# MAD of a normal distribution is 0.6745 sd; 1.4826 = 1 / 0.6745 makes it an sd estimate.
MAD_TO_SD = 1.4826


class AnomalyKind(StrEnum):
    """Why a rating is held; the value is stored with the hold."""

    DUPLICATE_CASE = "duplicate_case"
    BURST_IP = "burst_ip"
    BURST_DEVICE = "burst_device"
    TOP_RUN = "top_run"
    VOLUME = "volume"

    @property
    def label(self) -> str:
        """Chinese name of the check."""
        return _KIND_LABELS[self]


_KIND_LABELS = {
    AnomalyKind.DUPLICATE_CASE: "同一案件重复评价",
    AnomalyKind.BURST_IP: "同一 IP 集中评价",
    AnomalyKind.BURST_DEVICE: "同一设备集中评价",
    AnomalyKind.TOP_RUN: "连续满分",
    AnomalyKind.VOLUME: "评价量异常",
}


@dataclass(frozen=True)
class IntegritySettings:
    """Thresholds of the anomaly checks (per period; defaults documented above)."""

    burst_window: timedelta = DEFAULT_BURST_WINDOW
    burst_min_count: int = DEFAULT_BURST_MIN_COUNT
    top_run_min_length: int = DEFAULT_TOP_RUN_MIN_LENGTH
    top_run_alpha: float = DEFAULT_TOP_RUN_ALPHA
    top_stars: int = RATING_MAX
    volume_k: float = DEFAULT_VOLUME_K
    volume_min_history: int = DEFAULT_VOLUME_MIN_HISTORY

    def __post_init__(self) -> None:
        """Reject thresholds that would flag everything or nothing by construction."""
        if self.burst_min_count < 2 or self.burst_window <= timedelta(0):
            raise ValueError("集中评价阈值必须至少为 2 条且时间窗口为正")
        if self.top_run_min_length < 2 or not 0 < self.top_run_alpha < 1:
            raise ValueError("连续满分阈值无效")
        if self.volume_k <= 0 or self.volume_min_history < 2:
            raise ValueError("评价量异常阈值无效")


@dataclass(frozen=True)
class AnomalyFlag:
    """One reason one rating is held."""

    rating_id: RecordId
    kind: AnomalyKind
    reason: str


@dataclass(frozen=True)
class VolumeCheck:
    """A department's rating volume against its past periods."""

    department: str
    volume: int
    median: float
    threshold: float
    flagged: bool


@dataclass(frozen=True)
class IntegrityReport:
    """All flags of a period, sorted by rating then kind; ``held`` is the set of held ids."""

    flags: tuple[AnomalyFlag, ...]
    volume_checks: tuple[VolumeCheck, ...]

    @property
    def held(self) -> frozenset[RecordId]:
        """Ids of the ratings held for review."""
        return frozenset(f.rating_id for f in self.flags)

    def reasons(self, rating_id: RecordId) -> tuple[str, ...]:
        """The Chinese reasons ``rating_id`` is held (empty if it is not)."""
        return tuple(f.reason for f in self.flags if f.rating_id == rating_id)


def order_key(r: RatingRecord) -> tuple[datetime, RecordId]:
    """Time order, ties broken by id, so results never depend on the input order."""
    return (r.submitted_at, r.rating_id)


def _bursts(ratings: Sequence[RatingRecord], settings: IntegritySettings) -> list[AnomalyFlag]:
    """Sliding-window bursts per IP hash and per device; ``ratings`` sorted by time."""
    flags: list[AnomalyFlag] = []
    keyed = (
        (AnomalyKind.BURST_IP, "IP", "ip_hash"),
        (AnomalyKind.BURST_DEVICE, "设备", "device_hash"),
    )
    for kind, what, attribute in keyed:
        # Most sources rate once or twice: count first, collect only the busy ones.
        sizes = Counter(getattr(r, attribute) for r in ratings)
        busy = {
            k for k, size in sizes.items() if k is not None and size >= settings.burst_min_count
        }
        by_key: dict[str, list[RatingRecord]] = defaultdict(list)
        if busy:
            for r in ratings:
                k: str | None = getattr(r, attribute)
                if k is not None and k in busy:
                    by_key[k].append(r)
        for items in by_key.values():  # already in time order: ``ratings`` is sorted
            start, marked_to = 0, -1
            for end in range(len(items)):
                while items[end].submitted_at - items[start].submitted_at > settings.burst_window:
                    start += 1
                count = end - start + 1
                if count >= settings.burst_min_count:
                    minutes = settings.burst_window.total_seconds() / 60
                    reason = f"同一{what}在 {minutes:g} 分钟内提交 {count} 条评价"
                    for i in range(max(start, marked_to + 1), end + 1):
                        flags.append(AnomalyFlag(items[i].rating_id, kind, reason))
                    marked_to = end
    return flags


def _top_runs(ratings: Sequence[RatingRecord], settings: IntegritySettings) -> list[AnomalyFlag]:
    top = settings.top_stars
    city_share = sum(r.stars >= top for r in ratings) / len(ratings) if ratings else 0.0
    by_department: dict[str, list[RatingRecord]] = defaultdict(list)
    for r in ratings:
        by_department[r.department].append(r)
    flags: list[AnomalyFlag] = []
    for items in by_department.values():  # in time order: ``ratings`` is sorted
        n = len(items)
        n_top = sum(r.stars >= top for r in items)
        runs: list[tuple[int, int]] = []
        start: int | None = None
        for i in range(n + 1):
            is_top = i < n and items[i].stars >= top
            if is_top and start is None:
                start = i
            elif not is_top and start is not None:
                runs.append((start, i))
                start = None
        for begin, end in runs:
            length = end - begin
            if length < settings.top_run_min_length:
                continue
            outside_n, outside_top = n - length, n_top - length
            share = (outside_top + TOP_SHARE_PRIOR_WEIGHT * city_share) / (
                outside_n + TOP_SHARE_PRIOR_WEIGHT
            )
            if len(by_department) * n * share**length < settings.top_run_alpha:
                reason = f"连续 {length} 条满分评价，本部门其余评价满分占比 {share:.0%}"
                flags.extend(
                    AnomalyFlag(r.rating_id, AnomalyKind.TOP_RUN, reason) for r in items[begin:end]
                )
    return flags


def check_volume(
    department: str, volume: int, history: Sequence[int], settings: IntegritySettings
) -> VolumeCheck | None:
    """Compare a department's volume with its past periods (None if history is too short)."""
    if len(history) < settings.volume_min_history:
        return None
    median = float(statistics.median(history))
    mad = float(statistics.median(abs(h - median) for h in history))
    scale = max(MAD_TO_SD * mad, math.sqrt(max(median, 1.0)))
    threshold = median + settings.volume_k * scale
    return VolumeCheck(department, volume, median, threshold, volume > threshold)


def detect_anomalies(
    ratings: Iterable[RatingRecord],
    history: Mapping[str, Sequence[int]] | None = None,
    settings: IntegritySettings | None = None,
) -> IntegrityReport:
    """Run every check over a period's ratings; ``history`` maps department -> past volumes.

    The result does not depend on the order of ``ratings`` (ties in time are broken by id).
    """
    settings = settings or IntegritySettings()
    items = sorted(ratings, key=order_key)
    flags: list[AnomalyFlag] = []
    first_of_case: dict[RecordId, RatingRecord] = {}
    for r in items:
        first = first_of_case.setdefault(r.case_id, r)
        if first is not r:
            reason = f"同一案件已有评价（{first.rating_id}），本条待核实"
            flags.append(AnomalyFlag(r.rating_id, AnomalyKind.DUPLICATE_CASE, reason))
    flags.extend(_bursts(items, settings))
    flags.extend(_top_runs(items, settings))
    volumes: dict[str, list[RatingRecord]] = defaultdict(list)
    for r in items:
        volumes[r.department].append(r)
    checks: list[VolumeCheck] = []
    for department, past in sorted((history or {}).items()):
        check = check_volume(department, len(volumes.get(department, ())), past, settings)
        if check is None:
            continue
        checks.append(check)
        if check.flagged:
            reason = (
                f"本期评价 {check.volume} 条，远高于往期常态（中位数 {check.median:g}，"
                f"阈值 {check.threshold:.0f}）"
            )
            flags.extend(
                AnomalyFlag(r.rating_id, AnomalyKind.VOLUME, reason) for r in volumes[department]
            )
    unique = {(str(f.rating_id), f.kind.value): f for f in flags}
    return IntegrityReport(tuple(unique[k] for k in sorted(unique)), tuple(checks))
