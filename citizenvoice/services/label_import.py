"""Importing a centre's labelled history (``flask labels import``) into the labels store.

Two steps, as for the office's other imports: :func:`read_labelled_file` reads and checks
every row and changes nothing (``--dry-run`` stops there); :func:`store_rows` records the good
rows as strong ``import`` labels in the caller's transaction. Rows with errors are refused one
by one, with their line number; the good rows of the same file are still stored (the command
exits 1 to say that some were refused). Re-importing a file changes nothing new: each label's
identity is the file's own id column when it has one, else its text (services.labels).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from citizenvoice.domain.label_rows import LabelRow, columns_of, interpret_row
from citizenvoice.domain.labels import LabelKind, LabelSource
from citizenvoice.models.base import utcnow
from citizenvoice.services.casework import CATEGORIES
from citizenvoice.services.labels import LabelInput, record_labels
from citizenvoice.services.taxonomy import category_lookup
from citizenvoice.services.uploads import UploadError, read_table

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_LABEL_ROWS",
    "LabelFile",
    "known_categories",
    "read_labelled_file",
    "store_rows",
]

# A centre's history is bigger than an office's score sheet: years of work orders. 200,000
# rows of a few hundred characters is ~100 MB of CSV; a command reads an operator's own file,
# so the web upload limit (4 MB) does not apply, but a bound still does.
MAX_LABEL_ROWS = 200_000
MAX_FILE_BYTES = 128 * 1024 * 1024
_MAX_INFLATED = 512 * 1024 * 1024
# record_labels is called per chunk so a progress bar can move; all in one transaction.
CHUNK = 1000


@dataclass(frozen=True)
class LabelFile:
    """A read file: its rows (good and refused) and the kind they label."""

    kind: LabelKind
    rows: tuple[LabelRow, ...]

    @property
    def good(self) -> list[LabelRow]:
        """Rows without errors: what an import stores."""
        return [row for row in self.rows if not row.errors]

    @property
    def refused(self) -> list[LabelRow]:
        """Rows with errors, in file order."""
        return [row for row in self.rows if row.errors]


def known_categories() -> dict[str, str]:
    """Every accepted spelling of a category (its name, any case, no spaces) -> the label.

    With an imported tree (services.taxonomy) these are the tree's labels, codes and unique
    names; without one, the classifier's seven first-level names (services.casework), which
    have no separate codes, so the name is the code.
    """
    tree = category_lookup()
    if tree is not None:
        return tree
    return {"".join(name.split()).lower(): name for name in CATEGORIES}


_REQUIRED = {
    LabelKind.CATEGORY: "需要“内容”（或“标题”）和“类别”两列",
    LabelKind.SENTIMENT: "需要“内容”列，以及“评分”（1-5）或“情感”（pos/neg）列",
}


def read_labelled_file(filename: str, data: bytes, kind: LabelKind) -> LabelFile:
    """Read and check every row; raises UploadError (Chinese) for an unreadable file.

    An unreadable file is one that is not a CSV/XLSX we can decode, has no data rows, or
    whose header names none of the columns this kind needs.
    """
    table = read_table(
        filename,
        data,
        max_rows=MAX_LABEL_ROWS + 1,
        max_bytes=MAX_FILE_BYTES,
        max_inflated=_MAX_INFLATED,
    )
    if not table:
        raise UploadError("文件为空")
    columns = columns_of(table[0])
    has_text = "text" in columns or "title" in columns
    has_label = "label" in columns or (kind is LabelKind.SENTIMENT and "rating" in columns)
    if not has_text or not has_label:
        raise UploadError(f"表头无法识别：{_REQUIRED[kind]}")
    if len(table) < 2:
        raise UploadError("文件中没有数据行")
    categories = known_categories()
    rows = tuple(
        interpret_row(kind, line, cells, columns, categories)
        for line, cells in enumerate(table[1:], start=2)
    )
    return LabelFile(kind=kind, rows=rows)


def _input(row: LabelRow, kind: LabelKind, author: str, now: datetime) -> LabelInput:
    return LabelInput(
        kind=kind,
        source=LabelSource.IMPORT,
        text=row.text,
        title=row.title,
        label=row.label,
        raw_value=row.raw_value,
        labelled_at=row.labelled_at or now,
        author=author,
        reference=row.reference,
    )


def store_rows(
    labelled: LabelFile,
    author: str,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Record the file's good rows in the caller's transaction; returns how many were stored.

    ``progress`` is told how many rows each chunk held, for a progress bar. Flushes; the
    caller commits (once, so an import is all its good rows or nothing).
    """
    now = utcnow()
    good: Sequence[LabelRow] = labelled.good
    stored = 0
    for start in range(0, len(good), CHUNK):
        chunk = good[start : start + CHUNK]
        stored += record_labels([_input(row, labelled.kind, author, now) for row in chunk])
        if progress is not None:
            progress(len(chunk))
    return stored
