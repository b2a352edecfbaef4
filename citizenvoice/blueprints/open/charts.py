"""The portal's charts: server-side SVG from citizenvoice.charts, numbers only.

A suppressed cell ("<5") has no number to draw: it is left out of the chart and shown as
"<5" in the text table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from citizenvoice.charts import bar_chart, line_chart
from citizenvoice.services.portal import TrendPoint

__all__ = ["count_bars", "trend_charts"]

# Every cell suppressed: the table beside says "<5" for each, so "暂无数据" would contradict it.
ALL_SUPPRESSED = Markup('<p class="text-muted small">各项均少于 5 件，不绘图，见下表。</p>')


def count_bars(items: Sequence[tuple[str, int | str]], label: str, unit: str = " 件") -> Markup:
    """Bars of the numeric cells (narrow: a phone's width); ``label`` names the chart."""
    numeric = [(name, float(v)) for name, v in items if isinstance(v, int)]
    if items and not numeric:
        return ALL_SUPPRESSED
    return bar_chart(
        numeric,
        width=340,
        unit=unit,
        label=f"{label}条形图，数据见下表",
    )


def trend_charts(points: Sequence[TrendPoint]) -> dict[str, Markup]:
    """The 12-month trend: intake, and the three rates in per cent."""
    # Month numbers only: twelve "2026-01" labels do not fit side by side on a phone; the
    # table beside the chart has the full months.
    labels = [str(int(p.month[5:])) for p in points]
    return {
        "intake": line_chart(
            labels,
            [("受理量", [float(p.total) if isinstance(p.total, int) else None for p in points])],
            width=340,
            height=180,
            label="近 12 个月受理量趋势图，数据见下表",
        ),
        "rates": line_chart(
            labels,
            [
                ("按时答复", [p.on_time for p in points]),
                ("解决率", [p.resolution for p in points]),
                ("满意率", [p.satisfaction for p in points]),
            ],
            width=340,
            height=200,
            max_value=100,
            label="近 12 个月按时答复率、解决率、满意率趋势图，数据见下表",
        ),
    }
