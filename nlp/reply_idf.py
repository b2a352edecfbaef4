"""The reply-quality scorer's IDF table: fitted on tokenised messages and replies, as JSON.

``benchmarks/eval_reply_quality.py --write-idf`` refits it from the shared messages and
replies; without the file every token weighs the same (plain term frequency).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["IDF_PATH", "IdfTable", "fit_idf", "load_idf", "save_idf"]

IDF_PATH = Path(__file__).resolve().parent / "data" / "reply_idf.json"


@dataclass(frozen=True, slots=True)
class IdfTable:
    """Inverse document frequencies: ``idf(t) = ln((1 + n_docs) / (1 + df(t))) + 1``."""

    n_docs: int
    df: dict[str, int]

    def idf(self, token: str) -> float:
        """Return the smoothed IDF of ``token`` (unseen tokens get the largest value)."""
        return math.log((1 + self.n_docs) / (1 + self.df.get(token, 0))) + 1.0


def fit_idf(token_lists: Iterable[Sequence[str]], min_df: int = 2) -> IdfTable:
    """Fit document frequencies on tokenised documents, keeping tokens seen ``min_df`` times."""
    df: Counter[str] = Counter()
    n = 0
    for tokens in token_lists:
        n += 1
        df.update(set(tokens))
    return IdfTable(n_docs=n, df={t: c for t, c in sorted(df.items()) if c >= min_df})


def save_idf(table: IdfTable, path: Path = IDF_PATH) -> None:
    """Write an IDF table as JSON."""
    path.write_text(
        json.dumps({"n_docs": table.n_docs, "df": table.df}, ensure_ascii=False, indent=0),
        encoding="utf-8",
    )


@lru_cache(maxsize=4)
def load_idf(path: Path = IDF_PATH) -> IdfTable:
    """Load an IDF table; without the file every token gets the same IDF (plain TF)."""
    if not path.exists():
        return IdfTable(n_docs=0, df={})
    data = json.loads(path.read_text(encoding="utf-8"))
    return IdfTable(n_docs=int(data["n_docs"]), df={str(k): int(v) for k, v in data["df"].items()})
