"""Did a rectification task help? Its topic before and after the task was opened.

Volume and mean sentiment of the department's matching cases in two equal windows around the
task's opening.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from citizenvoice.extensions import db
from citizenvoice.models import Analysis, RectificationTask, Submission
from citizenvoice.models.base import utcnow
from citizenvoice.services.rectification.tasks import matching_cases

__all__ = [
    "DEFAULT_WINDOW",
    "MAX_WINDOW",
    "BeforeAfter",
    "WindowFigures",
    "before_after",
    "task_window",
]

# The before/after windows: by default the 30 days before and the 30 days after the task was
# opened (a month is what the office reviews tasks by); at most a quarter, long enough to see
# an effect and short enough that seasonal topics (heating, flooding) from an unrelated season
# do not swamp the comparison.
DEFAULT_WINDOW = timedelta(days=30)
MAX_WINDOW = timedelta(days=90)


@dataclass(frozen=True)
class WindowFigures:
    """The topic's cases in one window [start, end) of the task's department."""

    label: str
    start: datetime
    end: datetime
    volume: int
    sentiment_n: int
    mean_sentiment: float | None  # 0 (negative) .. 1 (positive); None without analysed cases
    negative: int

    @property
    def negative_share(self) -> float | None:
        """Share of negative cases among those with a sentiment, in percent."""
        return round(100 * self.negative / self.sentiment_n, 1) if self.sentiment_n else None


@dataclass(frozen=True)
class BeforeAfter:
    """Two equal windows around the task's opening, side by side (30 days each by default)."""

    window: timedelta
    before: WindowFigures
    after: WindowFigures
    after_elapsed: timedelta = timedelta(0)  # how much of the after window has passed

    @property
    def after_complete(self) -> bool:
        """True once the whole after window has passed (the comparison is final)."""
        return self.after_elapsed >= self.window

    @property
    def after_days(self) -> float:
        """The days of the after window that have passed so far."""
        return round(self.after_elapsed.total_seconds() / 86400, 1)

    @property
    def window_days(self) -> float:
        """The length of each window in days."""
        return round(self.window.total_seconds() / 86400, 1)

    @property
    def volume_change(self) -> int:
        """After minus before (negative: fewer cases on the topic)."""
        return self.after.volume - self.before.volume

    @property
    def sentiment_change(self) -> float | None:
        """After minus before in mean sentiment (positive: residents less negative)."""
        if self.before.mean_sentiment is None or self.after.mean_sentiment is None:
            return None
        return round(self.after.mean_sentiment - self.before.mean_sentiment, 4)


def task_window(
    task: RectificationTask, label: str, start: datetime, end: datetime
) -> WindowFigures:
    """The task's cases in ``[start, end)``: volume and sentiment (open data cuts ``end``)."""
    scope = matching_cases(task.source_kind, task.source_value).where(
        Submission.department_id == task.department_id,
        Submission.created_at >= start,
        Submission.created_at < end,
    )
    sub = scope.add_columns(
        Analysis.sentiment.label("score"), Analysis.sentiment_label.label("score_label")
    ).subquery()
    volume, sentiment_n, mean, negative = db.session.execute(
        select(
            func.count(),
            func.count(sub.c.score),
            func.avg(sub.c.score),
            func.count().filter(sub.c.score_label == "negative"),
        ).select_from(sub)
    ).one()
    return WindowFigures(
        label,
        start,
        end,
        int(volume),
        int(sentiment_n),
        round(float(mean), 4) if mean is not None else None,
        int(negative),
    )


def before_after(
    task: RectificationTask, now: datetime | None = None, window: timedelta = DEFAULT_WINDOW
) -> BeforeAfter:
    """Volume and mean sentiment of the task's topic before and after it was opened.

    Before is [opened - window, opened), after is [opened, opened + window); the window is 30
    days by default and at most MAX_WINDOW. While the after window is still running
    (``now`` inside it) it holds only the days so far: ``after_days`` says how many. Only the
    task's department's cases count (the task is that department's to fix), every kind of
    submission counts, and the mean sentiment is over the cases whose analysis has a
    sentiment score.
    """
    now = now or utcnow()
    opened = task.created_at
    window = max(timedelta(days=1), min(window, MAX_WINDOW))
    return BeforeAfter(
        window,
        task_window(task, "整改前", opened - window, opened),
        task_window(task, "整改后", opened, opened + window),
        after_elapsed=max(timedelta(0), min(now - opened, window)),
    )
