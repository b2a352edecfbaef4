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
from datetime import datetime
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from datasketch import LeanMinHash, MinHashLSH
from sqlalchemy import delete, select, tuple_, update

from citizenvoice.extensions import db
from citizenvoice.models import Analysis, DuplicateBand, Submission
from nlp.dedup import NearDuplicateIndex

__all__ = [
    "DUPLICATE_THRESHOLD",
    "assign_duplicate_group",
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
    signature = signature_of(text)
    analysis.minhash = signature.astype("<u4").tobytes()
    db.session.execute(delete(DuplicateBand).where(DuplicateBand.submission_id == submission.id))
    if _is_empty(signature):
        analysis.duplicate_group = f"g{submission.id}"
        return analysis.duplicate_group
    buckets = band_buckets(signature)
    candidate_ids = set(
        db.session.scalars(
            select(DuplicateBand.submission_id)
            .where(tuple_(DuplicateBand.band, DuplicateBand.bucket).in_(buckets))
            .where(DuplicateBand.submission_id != submission.id)
        )
    )
    best: tuple[float, int, str] | None = None
    if candidate_ids:
        rows = db.session.execute(
            select(Analysis.submission_id, Analysis.minhash, Analysis.duplicate_group).where(
                Analysis.submission_id.in_(candidate_ids)
            )
        )
        for other_id, other_minhash, other_group in rows:
            if other_minhash is None or other_group is None:
                continue
            other = np.frombuffer(other_minhash, dtype="<u4")
            similarity = float(np.mean(other == signature))
            if similarity >= DUPLICATE_THRESHOLD and (
                best is None or (-similarity, other_id) < (-best[0], best[1])
            ):
                best = (similarity, other_id, other_group)
    analysis.duplicate_group = best[2] if best else f"g{submission.id}"
    db.session.add_all(
        DuplicateBand(submission_id=submission.id, band=band, bucket=bucket)
        for band, bucket in buckets
    )
    db.session.flush()
    return analysis.duplicate_group


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
