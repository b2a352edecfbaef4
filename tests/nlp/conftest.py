"""Shared fixtures for the nlp tests: one segmenter per session, real messages when present."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The repository root must be importable when pytest is run as ``.venv/bin/pytest`` without an
# editable install (rootdir-relative imports of the ``nlp`` package).
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from nlp.datasets import LabelledMessage, data_dir, load_messages  # noqa: E402
from nlp.segment import Segmenter, default_segmenter  # noqa: E402


@pytest.fixture(scope="session")
def segmenter() -> Segmenter:
    """The default segmenter (government dictionary and stopwords loaded)."""
    return default_segmenter()


@pytest.fixture(scope="session")
def messages() -> list[LabelledMessage]:
    """The labelled tipdm messages; tests that need them skip when the shared data is absent."""
    if data_dir(required=False) is None:
        pytest.skip("shared data not available")
    return load_messages()
