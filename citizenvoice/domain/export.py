"""Rules for exporting cases to spreadsheets: formula injection is neutralised."""

from __future__ import annotations

__all__ = ["FORMULA_PREFIXES", "neutralise_cell"]

# A cell starting with one of these is run as a formula by Excel/WPS/LibreOffice (OWASP CSV
# injection); tab and carriage return also start formulas in some importers.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe; keep numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
