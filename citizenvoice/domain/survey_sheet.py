"""QR codes of invitation links as compact inline SVG, made locally with the ``qrcode`` package.

One ``<svg>`` per invitation, its dark modules drawn as one path of horizontal runs (about a
third of the size of the package's own SVG output), so a printable sheet of a thousand
invitations stays a few megabytes and needs no image files, scripts or network.
"""

from __future__ import annotations

import qrcode
from qrcode.constants import ERROR_CORRECT_M

__all__ = ["qr_svg"]

QUIET_ZONE = 4  # modules of white border, as the QR standard asks


def _runs(matrix: list[list[bool]]) -> str:
    """SVG path data: one ``M x y h n v1 h -n z`` per run of dark modules in a row."""
    parts: list[str] = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                parts.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return "".join(parts)


def qr_svg(text: str, size_mm: int = 30) -> str:
    """An inline ``<svg>`` QR code of ``text`` (medium error correction), ``size_mm`` wide.

    ``text`` is the invitation URL: ASCII made by the application, never user input.
    """
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()
    side = len(matrix)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" '
        f'width="{size_mm}mm" height="{size_mm}mm" shape-rendering="crispEdges" '
        f'role="img" aria-label="二维码"><rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path fill="#000" d="{_runs(matrix)}"/></svg>'
    )
