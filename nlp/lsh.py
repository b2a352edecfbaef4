"""LSH banding and the choice among candidates: the near-duplicate rules in one place.

``nlp.dedup.NearDuplicateIndex`` keeps its buckets in memory; the app's duplicate service keeps
the same buckets in its database. Both call these functions, so both make the same groups:
``band_layout`` (which bands), ``band_buckets`` (the stored bucket numbers) and ``rank_similar``
(verified candidates, best first, ties to the earliest).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from datasketch import MinHashLSH

__all__ = [
    "EMPTY_VALUE",
    "band_buckets",
    "band_layout",
    "is_empty_signature",
    "rank_similar",
]

#: Every value of the signature of a text with nothing to compare.
EMPTY_VALUE = np.uint32(0xFFFFFFFF)
_EMPTY = EMPTY_VALUE


@lru_cache(maxsize=32)
def band_layout(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) that ``datasketch.MinHashLSH`` picks for ``threshold``.

    The layout decides which pairs become candidates: stored buckets only match buckets made
    with the same layout.
    """
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return int(lsh.b), int(lsh.r)


def is_empty_signature(signature: npt.NDArray[np.uint32]) -> bool:
    """True for the signature of a text with nothing to compare (every value ``2**32-1``)."""
    return bool(np.all(signature == _EMPTY))


def band_buckets(
    signatures: npt.NDArray[np.uint32], layout: tuple[int, int]
) -> list[list[tuple[int, int]]]:
    """The (band, bucket) pairs of each row of ``signatures``; none for an empty signature.

    A bucket is a signed 63-bit number (it fits a PostgreSQL ``bigint``): the first 8 bytes of
    the BLAKE2b digest of the band's little-endian ``uint32`` values, shifted right by one. The
    app stores these numbers, so the definition must not change. The rows' bytes are made once:
    per band, a numpy slice, ``astype`` and ``tobytes`` cost more than the digest itself.
    """
    bands, rows = layout
    width = rows * 4  # bytes of one band
    stride = signatures.shape[1] * 4  # bytes of one signature
    raw = memoryview(np.ascontiguousarray(signatures, dtype="<u4").tobytes())
    empty = np.all(signatures == _EMPTY, axis=1).tolist()
    out: list[list[tuple[int, int]]] = []
    for index, is_empty in enumerate(empty):
        if is_empty:
            out.append([])
            continue
        base = index * stride
        out.append(
            [
                (
                    band,
                    int.from_bytes(
                        hashlib.blake2b(
                            raw[base + band * width : base + (band + 1) * width], digest_size=8
                        ).digest(),
                        "little",
                        signed=True,
                    )
                    >> 1,
                )
                for band in range(bands)
            ]
        )
    return out


def rank_similar(
    signature: npt.NDArray[np.uint32], candidates: npt.NDArray[np.uint32], threshold: float
) -> list[tuple[float, int]]:
    """Candidates whose estimated Jaccard similarity is at least ``threshold``, best first.

    Returns (similarity, position in ``candidates``); among equals the earlier position wins,
    so a caller that lists candidates oldest first joins the oldest. One comparison with all
    candidates at once: a message posted many times has dozens of copies as candidates.
    """
    if not len(candidates):
        return []
    similarity = (candidates == signature).mean(axis=1)
    # The estimate is a multiple of 1/num_perm: the tolerance keeps an exact tie with the
    # threshold on the accepted side despite float rounding.
    keep = np.nonzero(similarity >= threshold - 1e-12)[0]
    ranked = sorted(zip((-similarity[keep]).tolist(), keep.tolist(), strict=True))
    return [(-negative, int(position)) for negative, position in ranked]
