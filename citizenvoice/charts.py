"""Server-rendered SVG charts: no JavaScript, no CDN, nothing inline that the CSP forbids.

Only presentation attributes (fill, stroke, x, y ...) are used, never ``style``, so the pages
keep a Content-Security-Policy without 'unsafe-inline'. Every label is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

__all__ = ["bar_chart", "line_chart"]

PALETTE = ("#0d6efd", "#dc3545", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#6c757d")
NO_DATA = Markup('<p class="text-muted small">暂无数据</p>')


FONT_SIZE = 12
# The longest bar label in pixels; past it a label is shortened (its full text is the tooltip).
MAX_LABEL_WIDTH = 260


def _text_width(content: str) -> float:
    """Rendered width at FONT_SIZE: CJK glyphs are square, Latin ones about 0.6 em."""
    return sum(FONT_SIZE if ord(ch) >= 0x2E80 else FONT_SIZE * 0.6 for ch in content)


def _fit(content: str, width: float) -> str:
    """``content`` shortened with an ellipsis so it renders within ``width`` pixels."""
    if _text_width(content) <= width:
        return content
    while content and _text_width(content + "…") > width:
        content = content[:-1]
    return content + "…"


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(
    x: float,
    y: float,
    content: str,
    *,
    anchor: str = "start",
    fill: str = "#212529",
    full: str | None = None,
) -> str:
    tooltip = f"<title>{escape(full)}</title>" if full and full != content else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{FONT_SIZE}" '
        f'fill="{fill}">{tooltip}{escape(content)}</text>'
    )


def _svg(width: int, height: int, label: str, parts: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{escape(label)}">'
    )
    # Safe: every value above is a number or passed through html.escape.
    return Markup(head + "".join(parts) + "</svg>")  # noqa: S704


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    width: int = 640,
    bar_height: int = 22,
    max_value: float | None = None,
    unit: str = "",
    label: str = "条形图",
) -> Markup:
    """Horizontal bars, one per (label, value), scaled to ``max_value`` (default: the largest).

    ``label`` names the chart for screen readers (its accessible name).
    """
    if not items:
        return NO_DATA
    top = max_value if max_value is not None else (max(v for _, v in items) or 1.0)
    gap = 6
    # Room for the longest label (never cut at the left edge) and for the value after a full bar.
    label_width = min(MAX_LABEL_WIDTH, max(_text_width(label) for label, _ in items)) + 12
    value_width = max(_text_width(_fmt(float(v)) + unit) for _, v in items) + 8
    height = len(items) * (bar_height + gap) + gap
    parts: list[str] = []
    for i, (name, value) in enumerate(items):
        y = gap + i * (bar_height + gap)
        share = value / top if top else 0.0
        length = max(0.0, (width - label_width - value_width) * min(share, 1.0))
        baseline = y + bar_height * 0.7
        shown = _fit(name, label_width - 12)
        parts.append(_text(label_width - 6, baseline, shown, anchor="end", full=name))
        parts.append(
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" '
            f'fill="{PALETTE[0]}" rx="3"></rect>'
        )
        parts.append(_text(label_width + length + 4, baseline, _fmt(float(value)) + unit))
    return _svg(width, height, label, parts)


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    width: int = 640,
    height: int = 220,
    max_value: float | None = None,
    label: str = "趋势图",
) -> Markup:
    """Lines over shared x labels (e.g. months); a None value leaves a gap.

    ``label`` names the chart for screen readers (its accessible name).
    """
    values = [v for _, vs in series for v in vs if v is not None]
    if not labels or not values:
        return NO_DATA
    top = max_value if max_value is not None else (max(values) or 1.0)
    # The first and last x labels are centred on the plot's edges: keep half of each inside.
    left = max(40.0, _text_width(labels[0]) / 2 + 4)
    right = max(10.0, _text_width(labels[-1]) / 2 + 4)
    bottom, top_pad = 40, 10
    plot_w, plot_h = width - left - right, height - bottom - top_pad
    step = plot_w / max(1, len(labels) - 1)
    axis_y = top_pad + plot_h
    parts = [
        f'<line x1="{left}" y1="{axis_y}" x2="{width - right}" y2="{axis_y}" stroke="#adb5bd"></line>'  # noqa: E501
    ]
    parts += [
        _text(left + i * step, height - bottom + 16, label, anchor="middle")
        for i, label in enumerate(labels)
    ]
    parts.append(_text(left - 4, top_pad + 10, _fmt(float(top)), anchor="end"))
    for index, (name, points) in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        coords = " ".join(
            f"{left + i * step:.1f},{axis_y - plot_h * (v / top if top else 0.0):.1f}"
            for i, v in enumerate(points)
            if v is not None
        )
        if coords:
            parts.append(
                f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2"></polyline>'  # noqa: E501
            )
        parts.append(_text(left + 8 + index * 110, height - 6, f"■ {name}", fill=color))
    return _svg(width, height, label, parts)
