"""What the repository itself must not hold: files that only make sense on one machine."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tracked() -> list[tuple[str, str]]:
    """(mode, path) of every tracked file, from git's index."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listing = subprocess.run(
        ["git", "ls-files", "-s"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return [(line.split()[0], line.split("\t", 1)[1]) for line in listing.splitlines()]


def test_no_node_modules_is_tracked() -> None:
    # A committed node_modules symlink points at one machine's folder, and `npm ci` run
    # through it (make install-test) empties the folder it points at.
    assert [path for _, path in _tracked() if "node_modules" in Path(path).parts] == []


def test_no_symlink_is_tracked() -> None:
    assert [path for mode, path in _tracked() if mode == "120000"] == []
