"""Near-duplicate groups kept in the database, so every worker process sees the same groups.

nlp.dedup.NearDuplicateIndex computes MinHash signatures (character shingles, datasketch's
affine32 scheme). Here the signature's LSH bands are stored as rows (band, bucket); a new
submission's candidates are the submissions sharing any bucket, verified by the estimated
Jaccard similarity; it joins the group of the most similar one (ties: the oldest), or starts its
own group named after itself. Groups never merge, so a group id stays valid; the hourly refresh
(``regroup_period``) rebuilds groups for a window from the stored signatures to repair what
concurrent workers could not see of each other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from datasketch import LeanMinHash, MinHashLSH
from sqlalchemy import delete, insert, select, tuple_, update

from citizenvoice.extensions import db
from citizenvoice.models import Analysis, DuplicateBand, Submission
from nlp.dedup import NearDuplicateIndex

__all__ = [
    "DUPLICATE_THRESHOLD",
    "assign_duplicate_group",
    "assign_duplicate_groups",
    "band_buckets",
    "regroup_window",
    "signature_of",
]

# Jaccard similarity of character 3-gram sets above which two messages are the same issue
# (FIELD-NOTES: precision ~0.99 at 0.8 on review data; nlp/EVALUATION_MINING.md on ours).
DUPLICATE_THRESHOLD = 0.8
NUM_PERM = 128
_RANDOM_STATE = 1


@lru_cache(maxsize=1)
def _index() -> NearDuplicateIndex:
    return NearDuplicateIndex(
        threshold=DUPLICATE_THRESHOLD, num_perm=NUM_PERM, random_state=_RANDOM_STATE
    )


@lru_cache(maxsize=1)
def _bands() -> tuple[int, int]:
    lsh = MinHashLSH(threshold=DUPLICATE_THRESHOLD, num_perm=NUM_PERM)
    return int(lsh.b), int(lsh.r)


def signature_of(text: str) -> npt.NDArray[np.uint32]:
    """The MinHash signature of a text (NUM_PERM uint32 values)."""
    signature: npt.NDArray[np.uint32] = _index().signatures([text])[0]
    return signature


def band_buckets(signature: npt.NDArray[np.uint32]) -> list[tuple[int, int]]:
    """(band, bucket) pairs of a signature: a signed 63-bit hash of each band's values."""
    bands, rows = _bands()
    out = []
    for band in range(bands):
        chunk = signature[band * rows : (band + 1) * rows].astype("<u4").tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8).digest()
        out.append((band, int.from_bytes(digest, "little", signed=True) >> 1))
    return out


def _is_empty(signature: npt.NDArray[np.uint32]) -> bool:
    return bool(np.all(signature == np.uint32(0xFFFFFFFF)))


def assign_duplicate_group(submission: Submission, analysis: Analysis, text: str) -> str:
    """Compute the signature, store its bands and set ``analysis.duplicate_group``; flush."""
    return assign_duplicate_groups([(submission, analysis, text)])[0]


def assign_duplicate_groups(items: Sequence[tuple[Submission, Analysis, str]]) -> list[str]:
    """Group a batch of submissions (in id order) against the stored ones and each other.

    Set-based: one signature pass, one DELETE of the batch's old bands, one SELECT of every
    candidate sharing a bucket, one SELECT of their signatures, one bulk INSERT of the new
    bands. Within the batch a later submission also joins an earlier one's group, exactly as
    if they had been analysed one after the other. Flushes.
    """
    ordered = sorted(items, key=lambda item: item[0].id)
    if not ordered:
        return []
    ids = [submission.id for submission, _, _ in ordered]
    signatures = _index().signatures([text for _, _, text in ordered])
    db.session.execute(delete(DuplicateBand).where(DuplicateBand.submission_id.in_(ids)))
    buckets: dict[int, list[tuple[int, int]]] = {
        sid: ([] if _is_empty(sig) else band_buckets(sig))
        for sid, sig in zip(ids, signatures, strict=True)
    }
    wanted = sorted({bucket for found in buckets.values() for bucket in found})
    by_bucket: dict[tuple[int, int], set[int]] = {}
    for chunk in range(0, len(wanted), 500):
        for other_id, band, bucket in db.session.execute(
            select(DuplicateBand.submission_id, DuplicateBand.band, DuplicateBand.bucket).where(
                tuple_(DuplicateBand.band, DuplicateBand.bucket).in_(wanted[chunk : chunk + 500]),
                DuplicateBand.submission_id.not_in(ids),
            )
        ).tuples():
            by_bucket.setdefault((int(band), int(bucket)), set()).add(int(other_id))
    stored_ids = set().union(*by_bucket.values()) if by_bucket else set()
    known: dict[int, tuple[npt.NDArray[np.uint32], str]] = {}
    if stored_ids:
        for other_id, other_minhash, other_group in db.session.execute(
            select(Analysis.submission_id, Analysis.minhash, Analysis.duplicate_group).where(
                Analysis.submission_id.in_(stored_ids)
            )
        ).tuples():
            if other_minhash is not None and other_group is not None:
                known[int(other_id)] = (np.frombuffer(other_minhash, dtype="<u4"), other_group)
    groups: list[str] = []
    new_bands: list[dict[str, int]] = []
    for (submission, analysis, _), signature in zip(ordered, signatures, strict=True):
        analysis.minhash = signature.astype("<u4").tobytes()
        own = buckets[submission.id]
        candidates = set().union(*(by_bucket.get(b, set()) for b in own)) if own else set()
        best: tuple[float, int, str] | None = None
        for other_id in candidates:
            if other_id not in known:
                continue
            other, other_group = known[other_id]
            similarity = float(np.mean(other == signature))
            if similarity >= DUPLICATE_THRESHOLD and (
                best is None or (-similarity, other_id) < (-best[0], best[1])
            ):
                best = (similarity, other_id, other_group)
        analysis.duplicate_group = best[2] if best else f"g{submission.id}"
        groups.append(analysis.duplicate_group)
        # Later members of this batch see this one as a stored submission.
        known[submission.id] = (signature, analysis.duplicate_group)
        for key in own:
            by_bucket.setdefault(key, set()).add(submission.id)
            new_bands.append({"submission_id": submission.id, "band": key[0], "bucket": key[1]})
    if new_bands:
        db.session.execute(insert(DuplicateBand), new_bands)
    db.session.flush()
    return groups


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
    lsh = MinHashLSH(threshold=DUPLICATE_THRESHOLD, num_perm=NUM_PERM)
    group_of: dict[int, str] = {}
    signatures: dict[int, npt.NDArray[np.uint32]] = {}
    changed: dict[int, str] = {}
    for submission_id, minhash, current in rows:
        if minhash is None:
            continue
        signature = np.frombuffer(minhash, dtype="<u4")
        # A cluster founder keeps the group it has: it may link to a message before the window.
        group = current or f"g{submission_id}"
        if not _is_empty(signature):
            lean = LeanMinHash(seed=_RANDOM_STATE, hashvalues=signature, scheme="affine32")
            best: tuple[float, int] | None = None
            for other_id in lsh.query(lean):
                similarity = float(np.mean(signatures[other_id] == signature))
                if similarity >= DUPLICATE_THRESHOLD and (
                    best is None or (-similarity, other_id) < (-best[0], best[1])
                ):
                    best = (similarity, other_id)
            if best is not None:
                group = group_of[best[1]]
            lsh.insert(submission_id, lean, check_duplication=False)
        signatures[submission_id] = signature
        group_of[submission_id] = group
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
