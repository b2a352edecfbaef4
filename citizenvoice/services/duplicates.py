"""Near-duplicate groups kept in the database, so every worker process sees the same groups.

The grouping rules are nlp's (``nlp.dedup``, the one implementation training, evaluation and
this service share): MinHash signatures of character shingles, their LSH band buckets
(``band_buckets``) and the choice among candidates (``rank_similar``). This module keeps only
the storage: the buckets as rows (band, bucket), the signature and group on the analysis row. A
new submission's candidates are the submissions sharing any bucket; it joins the group of the
most similar one at or above the threshold (ties: the oldest), or starts its own group named
after itself. Groups never merge, so a group id stays valid; the hourly refresh
(``regroup_window``) rebuilds groups for a window from the stored signatures to repair what
concurrent workers could not see of each other.

The stored buckets are laid out for the threshold itself (``lsh_slack=0``: 9 bands of 13 of
128), not for nlp's looser default: changing the layout means rebuilding every stored band.
A ``NearDuplicateIndex(DUPLICATE_THRESHOLD, NUM_PERM, random_state=1, lsh_slack=0)`` fed the
same messages in id order makes the same groups (tests/citizenvoice/services/
test_duplicates_match_nlp.py checks it on real messages).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import cast as typed

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    BigInteger,
    Integer,
    SmallInteger,
    Table,
    and_,
    delete,
    insert,
    select,
    tuple_,
    update,
)

from citizenvoice.extensions import db
from citizenvoice.models import Analysis, DuplicateBand, Submission
from citizenvoice.services.bulk import in_ids, is_postgresql, unnest
from nlp import NearDuplicateIndex, is_empty_signature, rank_similar
from nlp import band_buckets as nlp_band_buckets

__all__ = [
    "DUPLICATE_THRESHOLD",
    "DuplicateAssignment",
    "assign_duplicate_groups",
    "band_buckets",
    "regroup_window",
]

# Jaccard similarity of character 3-gram sets above which two messages are the same issue
# (FIELD-NOTES: precision ~0.99 at 0.8 on review data; docs/text-mining-evaluation.md on ours).
DUPLICATE_THRESHOLD = 0.8
NUM_PERM = 128
_RANDOM_STATE = 1
# The stored bands' layout: the threshold's own (see module docstring).
_LSH_SLACK = 0.0
# Written with Core statements: the ORM's per-row bookkeeping costs more than the rows.
_BANDS = typed(Table, DuplicateBand.__table__)


@lru_cache(maxsize=1)
def _index() -> NearDuplicateIndex:
    return NearDuplicateIndex(
        threshold=DUPLICATE_THRESHOLD,
        num_perm=NUM_PERM,
        random_state=_RANDOM_STATE,
        lsh_slack=_LSH_SLACK,
    )


def _bands() -> tuple[int, int]:
    """(bands, rows per band) of the stored buckets."""
    return _index().layout


def band_buckets(signature: npt.NDArray[np.uint32]) -> list[tuple[int, int]]:
    """(band, bucket) pairs of one signature, as stored (``nlp.band_buckets``)."""
    return _batch_band_buckets(signature[None, :])[0]


def _batch_band_buckets(signatures: npt.NDArray[np.uint32]) -> list[list[tuple[int, int]]]:
    """The stored (band, bucket) pairs of each row of ``signatures``; none for an empty one."""
    return nlp_band_buckets(signatures, _bands())


@dataclass(frozen=True)
class DuplicateAssignment:
    """A submission's near-duplicate group and MinHash signature, to store on its analysis."""

    group: str
    minhash: bytes  # NUM_PERM uint32 values, little-endian


def assign_duplicate_groups(items: Sequence[tuple[int, str]]) -> dict[int, DuplicateAssignment]:
    """Group a batch of submissions (id, text) against the stored ones and each other.

    Set-based: one signature pass, one DELETE of the batch's old bands, one SELECT of every
    candidate sharing a bucket (in chunks of 500 buckets), one SELECT of their signatures, one
    bulk INSERT of the new bands. Submissions are taken in id order, and a later one also joins
    an earlier one's group, exactly as if they had been analysed one after the other. The
    caller stores each returned group and signature on the analysis row. Writes with Core
    statements at once (nothing left to flush).
    """
    ordered = sorted(items)
    if not ordered:
        return {}
    ids = [submission_id for submission_id, _ in ordered]
    signatures = _index().signatures([text for _, text in ordered])
    db.session.execute(delete(_BANDS).where(in_ids(_BANDS.c.submission_id, ids)))
    buckets: dict[int, list[tuple[int, int]]] = dict(
        zip(ids, _batch_band_buckets(signatures), strict=True)
    )
    by_bucket, known = _stored_signatures(buckets)
    assigned: dict[int, DuplicateAssignment] = {}
    new_bands: list[tuple[int, int, int]] = []  # (submission id, band, bucket)
    raw = np.ascontiguousarray(signatures, dtype="<u4").tobytes()
    width = signatures.shape[1] * 4  # bytes of one signature
    for index, (submission_id, signature) in enumerate(zip(ids, signatures, strict=True)):
        own = buckets[submission_id]
        candidates = set().union(*filter(None, map(by_bucket.get, own)))
        group = _most_similar_group(signature, [c for c in candidates if c in known], known)
        group = group or f"g{submission_id}"
        assigned[submission_id] = DuplicateAssignment(
            group, raw[index * width : (index + 1) * width]
        )
        # Later members of this batch see this one as a stored submission.
        known[submission_id] = (signature, group)
        for key in own:
            by_bucket.setdefault(key, set()).add(submission_id)
        new_bands.extend((submission_id, band, bucket) for band, bucket in own)
    _insert_bands(new_bands)
    return assigned


def _most_similar_group(
    signature: npt.NDArray[np.uint32],
    candidates: list[int],
    known: dict[int, tuple[npt.NDArray[np.uint32], str]],
) -> str | None:
    """The group of the most similar candidate at or above the threshold (ties: the oldest).

    nlp's rule (``rank_similar``) over the candidates in id order, so equals go to the oldest.
    """
    if not candidates:
        return None
    candidates = sorted(candidates)
    ranked = rank_similar(
        signature, np.stack([known[c][0] for c in candidates]), DUPLICATE_THRESHOLD
    )
    return known[candidates[ranked[0][1]]][1] if ranked else None


def _stored_signatures(
    buckets: dict[int, list[tuple[int, int]]],
) -> tuple[dict[tuple[int, int], set[int]], dict[int, tuple[npt.NDArray[np.uint32], str]]]:
    """The stored submissions sharing a bucket with the batch, and their signatures and groups.

    Returns the stored ids by (band, bucket), and (signature, group) by stored id. The batch's
    own submissions (``buckets``' keys) are left out.
    """
    wanted = sorted({bucket for found in buckets.values() for bucket in found})
    by_bucket: dict[tuple[int, int], set[int]] = {}
    for other_id, band, bucket in _sharing_buckets(wanted):
        if other_id not in buckets:  # the batch's own old bands are gone already
            by_bucket.setdefault((int(band), int(bucket)), set()).add(int(other_id))
    stored_ids = set().union(*by_bucket.values()) if by_bucket else set()
    known: dict[int, tuple[npt.NDArray[np.uint32], str]] = {}
    if stored_ids:
        analyses = typed(Table, Analysis.__table__)
        for other_id, other_minhash, other_group in db.session.execute(
            select(analyses.c.submission_id, analyses.c.minhash, analyses.c.duplicate_group).where(
                in_ids(analyses.c.submission_id, sorted(stored_ids))
            )
        ).tuples():
            if other_minhash is not None and other_group is not None:
                known[int(other_id)] = (np.frombuffer(other_minhash, dtype="<u4"), other_group)
    return by_bucket, known


def _sharing_buckets(wanted: list[tuple[int, int]]) -> Iterable[tuple[int, int, int]]:
    """(submission id, band, bucket) of every stored band in one of the wanted buckets."""
    if not wanted:
        return
    columns = (_BANDS.c.submission_id, _BANDS.c.band, _BANDS.c.bucket)
    if is_postgresql():
        pairs = unnest(
            band=([band for band, _ in wanted], SmallInteger()),
            bucket=([bucket for _, bucket in wanted], BigInteger()),
        )
        yield from db.session.execute(
            select(*columns).join(
                pairs, and_(_BANDS.c.band == pairs.c.band, _BANDS.c.bucket == pairs.c.bucket)
            )
        ).tuples()
        return
    for chunk in range(0, len(wanted), 500):
        yield from db.session.execute(
            select(*columns).where(
                tuple_(_BANDS.c.band, _BANDS.c.bucket).in_(wanted[chunk : chunk + 500])
            )
        ).tuples()


def _insert_bands(bands: list[tuple[int, int, int]]) -> None:
    """One INSERT of the (submission id, band, bucket) rows (PostgreSQL: from unnest)."""
    if not bands:
        return
    if is_postgresql():
        submission_ids, band_numbers, buckets = zip(*bands, strict=True)
        rows = unnest(
            submission_id=(submission_ids, Integer()),
            band=(band_numbers, SmallInteger()),
            bucket=(buckets, BigInteger()),
        )
        db.session.execute(
            insert(_BANDS).from_select(
                ["submission_id", "band", "bucket"],
                select(rows.c.submission_id, rows.c.band, rows.c.bucket),
            )
        )
    else:
        db.session.execute(
            insert(_BANDS),
            [{"submission_id": s, "band": b, "bucket": k} for s, b, k in bands],
        )


def regroup_window(start: datetime, end: datetime) -> int:
    """Rebuild duplicate groups for submissions created in [start, end) from stored signatures.

    Processes in creation order with an in-memory LSH, so the result does not depend on which
    worker analysed what first. Returns how many analyses changed group. Flushes.
    """
    rows = db.session.execute(
        select(Analysis.submission_id, Analysis.minhash, Analysis.duplicate_group)
        .join(Submission, Submission.id == Analysis.submission_id)
        .where(Submission.created_at >= start, Submission.created_at < end)
        .order_by(Submission.created_at, Submission.id)
    ).all()
    # The same buckets and rule as assign_duplicate_groups, kept in memory for the window.
    by_bucket: dict[tuple[int, int], set[int]] = {}
    known: dict[int, tuple[npt.NDArray[np.uint32], str]] = {}
    changed: dict[int, str] = {}
    for submission_id, minhash, current in rows:
        if minhash is None:
            continue
        signature = np.frombuffer(minhash, dtype="<u4")
        # A cluster founder keeps the group it has: it may link to a message before the window.
        group = current or f"g{submission_id}"
        if not is_empty_signature(signature):
            own = band_buckets(signature)
            candidates = set().union(*filter(None, map(by_bucket.get, own)))
            group = _most_similar_group(signature, list(candidates), known) or group
            for key in own:
                by_bucket.setdefault(key, set()).add(submission_id)
        known[submission_id] = (signature, group)
        if group != current:
            changed[submission_id] = group
    for submission_id, group in changed.items():
        db.session.execute(
            update(Analysis)
            .where(Analysis.submission_id == submission_id)
            .values(duplicate_group=group)
        )
    db.session.flush()
    return len(changed)
