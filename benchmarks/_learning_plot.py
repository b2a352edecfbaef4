"""A tiny line chart as PNG with Pillow (matplotlib is not a dependency of the project).

Used by ``benchmarks/bench_learning.py``: one panel per curve set, side by side, each with its
own y range, the series drawn as coloured lines with a legend.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

Series = dict[str, list[tuple[float, float]]]
COLOURS = [(200, 60, 50), (40, 110, 200), (60, 160, 80), (120, 120, 120)]
W, H, PAD = 520, 360, 50


def _panel(draw: ImageDraw.ImageDraw, left: int, title: str, series: Series) -> None:
    points = [p for s in series.values() for p in s]
    if not points:
        return
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y0, y1 = max(0.0, min(ys) - 0.05), min(1.0, max(ys) + 0.05)
    box = (left + PAD, PAD, left + W - 20, H - PAD)

    def at(x: float, y: float) -> tuple[float, float]:
        fx = (x - x0) / (x1 - x0)
        fy = (y - y0) / ((y1 - y0) or 1.0)
        return box[0] + fx * (box[2] - box[0]), box[3] - fy * (box[3] - box[1])

    draw.rectangle(box, outline=(0, 0, 0))
    draw.text((left + PAD, 15), title, fill=(0, 0, 0))
    for frac in (0.0, 0.5, 1.0):
        y = y0 + frac * (y1 - y0)
        draw.text((left + 5, at(x0, y)[1] - 6), f"{y:.2f}", fill=(0, 0, 0))
    draw.text((box[0], box[3] + 8), f"{x0:g}", fill=(0, 0, 0))
    draw.text((box[2] - 30, box[3] + 8), f"{x1:g}", fill=(0, 0, 0))
    for i, (name, pts) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        if len(pts) > 1:
            draw.line([at(x, y) for x, y in pts], fill=colour, width=2)
        for x, y in pts:
            cx, cy = at(x, y)
            draw.ellipse((cx - 3, cy - 3, cx + 3, cy + 3), fill=colour)
        draw.text((box[0] + 8, box[3] - 18 - 14 * i), name, fill=colour)


def plot(path: Path, panels: list[tuple[str, Series]]) -> Path:
    """Write ``panels`` (title, {series name: [(x, y), ...]}) side by side to ``path``."""
    image = Image.new("RGB", (W * max(1, len(panels)), H), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for i, (title, series) in enumerate(panels):
        _panel(draw, i * W, title, series)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG")
    return path
