"""The before/after charts of a rectification task, shared by the office and workspace pages."""

from __future__ import annotations

from markupsafe import Markup

from citizenvoice.charts import bar_chart
from citizenvoice.services.rectification import BeforeAfter

__all__ = ["before_after_charts"]


def before_after_charts(figures: BeforeAfter) -> dict[str, Markup]:
    """Bar charts of the two windows: volume, and mean sentiment as a 0-100 index."""
    windows = (figures.before, figures.after)
    sentiment = [
        (w.label, round(100 * w.mean_sentiment, 1)) for w in windows if w.mean_sentiment is not None
    ]
    return {
        "volume": bar_chart([(w.label, float(w.volume)) for w in windows], unit=" 件"),
        "sentiment": bar_chart(sentiment, max_value=100),
    }
