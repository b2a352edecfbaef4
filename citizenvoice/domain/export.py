"""Spreadsheet cells and formula injection: neutralised on export, refused on import."""

from __future__ import annotations

__all__ = ["FORMULA_PREFIXES", "looks_like_formula", "neutralise_cell"]

# A cell starting with one of these is run as a formula by Excel/WPS/LibreOffice (OWASP CSV
# injection); tab and carriage return also start formulas in some importers.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe; keep numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def looks_like_formula(text: str) -> bool:
    """Whether an imported text cell would run as a formula: a formula prefix, not a number.

    ``+80`` and ``-5`` are signed numbers (what Excel shows for them); ``=1+1``, ``+1+1``,
    ``-2+3``, ``@SUM(A1)`` and ``=cmd|' /C calc'!A0`` are formulas.
    """
    stripped = text.strip(" ")
    if not stripped.startswith(FORMULA_PREFIXES):
        return False
    try:
        float(stripped)
    except ValueError:
        return True
    return False
