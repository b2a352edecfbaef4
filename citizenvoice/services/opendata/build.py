"""Build the open-data files into a dated folder, and read the catalogue back.

Each build writes ``<OPEN_DATA_DIR>/<YYYY-MM-DD>/``: every dataset as CSV (UTF-8 with BOM,
formula cells neutralised) and JSON, and a ``datapackage.json`` (Frictionless Data style: the
data dictionary, licence and each file's SHA-256). A folder is written beside its final name
and renamed into place, so a reader never sees half a build; earlier dates stay as they were,
so anyone can fetch the file a report cited.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from citizenvoice.domain.export import neutralise_cell
from citizenvoice.services.opendata.datasets import DATASETS, LICENCE, LICENCE_URL, dataset_rows

__all__ = ["BuildResult", "build", "catalogue", "dataset_path"]

_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MANIFEST = "datapackage.json"
# How many dated builds the catalogue lists (all stay on disk and downloadable).
CATALOGUE_VERSIONS = 12


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote: its folder and the rows per dataset."""

    folder: Path
    rows: dict[str, int]


def _write(folder: Path, name: str, rows: list[dict[str, Any]], fields: list[str]) -> None:
    with (folder / f"{name}.csv").open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(fields)
        for row in rows:
            writer.writerow(["" if row[f] is None else neutralise_cell(row[f]) for f in fields])
    with (folder / f"{name}.json").open("w", encoding="utf-8") as handle:
        json.dump(
            {"dataset": name, "licence": LICENCE, "rows": rows},
            handle,
            ensure_ascii=False,
            indent=1,
            default=str,
        )


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(root: str, today: date) -> BuildResult:
    """Write every dataset as of ``today`` into ``root/<today>/`` (replacing that day's build)."""
    base = Path(root)
    base.mkdir(parents=True, exist_ok=True)
    version = today.isoformat()
    work = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=base))
    counts: dict[str, int] = {}
    resources = []
    try:
        for dataset in DATASETS:
            rows = list(dataset_rows(dataset.name, today))
            fields = [f for f, _, _ in dataset.fields]
            _write(work, dataset.name, rows, fields)
            counts[dataset.name] = len(rows)
            resources.append(
                {
                    "name": dataset.name,
                    "title": dataset.title,
                    "description": dataset.description,
                    "rows": len(rows),
                    "files": {
                        ext: {
                            "path": f"{dataset.name}.{ext}",
                            "sha256": _digest(work / f"{dataset.name}.{ext}"),
                        }
                        for ext in ("csv", "json")
                    },
                    "schema": {
                        "fields": [
                            {"name": n, "type": t, "description": d} for n, t, d in dataset.fields
                        ]
                    },
                }
            )
        manifest = {
            "name": "citizenvoice-open-data",
            "version": version,
            "licenses": [{"name": "CC-BY-4.0", "title": LICENCE, "path": LICENCE_URL}],
            "resources": resources,
        }
        (work / _MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        work.chmod(0o755)
        final = base / version
        if final.exists():
            shutil.rmtree(final)
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return BuildResult(base / version, counts)


def catalogue(root: str) -> list[dict[str, Any]]:
    """The built versions, newest first, each its manifest (empty list before the first build)."""
    base = Path(root)
    if not base.is_dir():
        return []
    versions = sorted(
        (p for p in base.iterdir() if p.is_dir() and _VERSION.match(p.name)), reverse=True
    )
    out = []
    for folder in versions[:CATALOGUE_VERSIONS]:
        try:
            out.append(json.loads((folder / _MANIFEST).read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue  # a folder without a readable manifest is not a finished build
    return out


def dataset_path(root: str, version: str, filename: str) -> str | None:
    """``version/filename`` when it names a built file of a known dataset, else None."""
    names = {f"{d.name}.{ext}" for d in DATASETS for ext in ("csv", "json")} | {_MANIFEST}
    if not _VERSION.match(version) or filename not in names:
        return None
    if not (Path(root) / version / filename).is_file():
        return None
    return f"{version}/{filename}"
