"""Near-duplicate grouping of citizen messages for a stream (exact hash, then MinHash LSH).

Residents post the same issue many times, with small edits. ``NearDuplicateIndex`` gives every
message a duplicate-group id, incrementally:

1. The text is normalised for comparison only (``normalise_for_dedup``: NFKC folds full-width
   forms, case is folded, and everything that is not a letter or digit, i.e. punctuation,
   whitespace and emoji, is dropped). Traditional-to-simplified conversion is left to
   ``nlp.normalize`` upstream: it is too slow to run here on every message.
2. Exact pass: a BLAKE2b digest of the normalised text; an identical text joins the group of the
   first message with that digest without touching the LSH index.
3. Near pass: a MinHash signature of the set of character shingles (``shingle_size`` characters)
   is split into LSH bands (``band_layout``: datasketch's choice for ``threshold - lsh_slack``)
   and each band hashed to a bucket (``band_buckets``); messages sharing a bucket are
   candidates, verified by the MinHash estimate of their Jaccard similarity (at least
   ``threshold``, ``rank_similar``), and the message joins the group of the most similar one
   (ties: the earliest added). A text with nothing left after normalisation (empty, emoji only)
   is a group of its own.

The banding and ranking rules live in ``nlp.lsh`` (re-exported here): the app's duplicate
service stores the same buckets in its database and applies the same rules, so both make the
same groups from the same messages in the same order with the same parameters.

The first message of a group gives the group its id (its key); later members never move a group
and groups are never merged, so a stored group id stays valid as the stream grows.

Signatures follow datasketch's ``affine32`` scheme exactly (permutations from
``MinHash(num_perm, seed=random_state, scheme="affine32")``, MurmurHash3 pre-mix, ``a*h+b mod
2**32``), computed for many messages at once with numpy: ``shingle_hash`` is the 32-bit hash of
one shingle and a ``datasketch.MinHash`` fed with it yields the same hash values. Persist with
``to_state()/from_state()`` (JSON-able metadata plus one ``uint32`` array) or ``save/load`` (one
``.npz`` file, read with ``allow_pickle=False``).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from datasketch import MinHash

from nlp.lsh import EMPTY_VALUE, band_buckets, band_layout, is_empty_signature, rank_similar

__all__ = [
    "LSH_SLACK",
    "STATE_VERSION",
    "NearDuplicateIndex",
    "band_buckets",
    "band_layout",
    "is_empty_signature",
    "normalise_for_dedup",
    "rank_similar",
    "shingle_hash",
]

#: The LSH index is tuned for ``threshold - LSH_SLACK`` and candidates are then verified at
#: ``threshold``: datasketch's bands for 0.8 itself (9 x 13 of 128) propose a pair with Jaccard
#: 0.8 only 40% of the time, the bands for 0.65 (16 x 8) 95% of the time.
LSH_SLACK = 0.15
#: Version of the ``to_state`` layout; ``from_state`` refuses other versions.
STATE_VERSION = 1
#: Shingles hashed per numpy batch: bounds the temporary buffers to a few tens of MB.
_CHUNK_SHINGLES = 4_000_000
#: Multiplier of the polynomial that packs a shingle's code points into 64 bits.
_POLY = np.uint64(0x100000001B3)
_MASK64 = (1 << 64) - 1
_MASK32 = (1 << 32) - 1
_NON_WORD = re.compile(r"[\W_]+")
_SCHEME = "affine32"


def normalise_for_dedup(text: str) -> str:
    """Return the comparison form of ``text``: letters and digits only, NFKC, case-folded.

    Punctuation, whitespace and emoji are dropped first, so the (slow) NFKC pass runs only on
    the rare texts whose remaining characters are not already NFKC (full-width letters/digits).
    """
    kept = _NON_WORD.sub("", text)
    if not unicodedata.is_normalized("NFKC", kept):
        kept = _NON_WORD.sub("", unicodedata.normalize("NFKC", kept))
    return kept.casefold()


def _fmix64_int(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _MASK64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _MASK64
    return h ^ (h >> 33)


def shingle_hash(shingle: str) -> int:
    """Return the 32-bit hash of one shingle (the scalar twin of the vectorised hashing).

    Usable as ``hashfunc`` of a ``datasketch.MinHash(scheme="affine32")`` fed with shingle strings.
    """
    return _fmix64_int(_poly_int(shingle)) & _MASK32


def _fmix64(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return h


def _fmix32(h: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    # MurmurHash3 32-bit finalizer, as datasketch applies it before the affine permutations.
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


def _digest(normalised: str) -> str:
    return hashlib.blake2b(normalised.encode("utf-8"), digest_size=16).hexdigest()


def _poly_int(s: str) -> int:
    h = 0
    for ch in s:
        h = (h * int(_POLY) + ord(ch)) & _MASK64
    return h


_EMPTY_DIGEST = _digest("")


class NearDuplicateIndex:
    """Incremental near-duplicate groups over a stream of (key, text) messages.

    ``threshold`` is the Jaccard similarity of character-shingle sets above which two messages
    are the same issue; ``num_perm`` the MinHash signature length; ``shingle_size`` the shingle
    length in characters; ``random_state`` seeds the MinHash permutations (a fixed seed gives
    identical groups for identical input order); ``lsh_slack`` lowers the threshold the LSH
    bands are laid out for (see ``LSH_SLACK``; 0 gives the app's stored layout).
    """

    def __init__(
        self,
        threshold: float = 0.8,
        num_perm: int = 128,
        shingle_size: int = 3,
        random_state: int = 1,
        lsh_slack: float = LSH_SLACK,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        if num_perm < 8:
            raise ValueError(f"num_perm must be at least 8, got {num_perm}")
        if shingle_size < 1:
            raise ValueError(f"shingle_size must be at least 1, got {shingle_size}")
        if not 0.0 <= lsh_slack < 1.0:
            raise ValueError(f"lsh_slack must be in [0, 1), got {lsh_slack}")
        self.threshold = threshold
        self.num_perm = num_perm
        self.shingle_size = shingle_size
        self.random_state = random_state
        self.lsh_slack = lsh_slack
        #: (bands, rows per band) of the LSH index.
        self.layout = band_layout(max(threshold - lsh_slack, 0.05), num_perm)
        perms = MinHash(num_perm=num_perm, seed=random_state, scheme=_SCHEME).permutations
        self._a: npt.NDArray[np.uint32] = np.asarray(perms[0], dtype=np.uint32)
        self._b: npt.NDArray[np.uint32] = np.asarray(perms[1], dtype=np.uint32)
        # Per band, bucket -> rows; no key -> bands map (only removal needs it: ~100 MB at 100k).
        self._tables: list[dict[int, list[int]]] = [{} for _ in range(self.layout[0])]
        self._keys: list[str] = []
        self._row: dict[str, int] = {}
        self._group: list[str] = []
        self._digests: list[str] = []
        self._by_digest: dict[str, list[int]] = {}
        self._members: dict[str, list[str]] = {}
        self._indexed: list[bool] = []
        self._sigs: npt.NDArray[np.uint32] = np.empty((64, num_perm), dtype=np.uint32)

    # ------------------------------------------------------------------ signatures
    def signatures(self, texts: Sequence[str]) -> npt.NDArray[np.uint32]:
        """Return the MinHash signatures (``len(texts)`` x ``num_perm``, uint32) of raw texts.

        A text with nothing left after normalisation gets the all-``2**32-1`` empty signature.
        """
        return self._signatures_normalised([normalise_for_dedup(t) for t in texts])

    def _signatures_normalised(self, norms: Sequence[str]) -> npt.NDArray[np.uint32]:
        out = np.full((len(norms), self.num_perm), EMPTY_VALUE, dtype=np.uint32)
        start = 0
        while start < len(norms):
            stop, budget = start, 0
            while stop < len(norms) and (stop == start or budget < _CHUNK_SHINGLES):
                budget += max(len(norms[stop]) - self.shingle_size + 1, 1)
                stop += 1
            out[start:stop] = self._chunk_signatures(norms[start:stop])
            start = stop
        return out

    def _chunk_signatures(self, norms: Sequence[str]) -> npt.NDArray[np.uint32]:
        k = self.shingle_size
        out = np.full((len(norms), self.num_perm), EMPTY_VALUE, dtype=np.uint32)
        lengths = np.fromiter((len(s) for s in norms), dtype=np.int64, count=len(norms))
        short = np.nonzero((lengths > 0) & (lengths < k))[0]
        if short.size:
            # A text shorter than one shingle is a single shingle of its own.
            raw = np.array([_poly_int(norms[i]) for i in short.tolist()], dtype=np.uint64)
            hv = self._premix(raw)
            out[short] = hv[:, None] * self._a[None, :] + self._b[None, :]
        long_docs = np.nonzero(lengths >= k)[0]
        if not long_docs.size:
            return out
        n_sh = lengths[long_docs] - k + 1
        codes = np.frombuffer(
            "".join(norms[i] for i in long_docs.tolist()).encode("utf-32-le"), dtype=np.uint32
        )
        starts = np.cumsum(lengths[long_docs]) - lengths[long_docs]
        first = np.cumsum(n_sh) - n_sh
        # Start of every shingle in the concatenated code points (shingles never cross texts).
        pos = np.arange(int(n_sh.sum()), dtype=np.int64) + np.repeat(starts - first, n_sh)
        h = codes[pos].astype(np.uint64)
        for j in range(1, k):
            h *= _POLY
            h += codes[pos + j]
        hv = self._premix(h)
        buf = np.empty_like(hv)
        sig = np.empty((long_docs.shape[0], self.num_perm), dtype=np.uint32)
        for i in range(self.num_perm):
            np.multiply(hv, self._a[i], out=buf)
            np.add(buf, self._b[i], out=buf)
            sig[:, i] = np.minimum.reduceat(buf, first)
        out[long_docs] = sig
        return out

    @staticmethod
    def _premix(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint32]:
        """64-bit shingle codes -> 32-bit shingle hashes -> datasketch's MurmurHash3 pre-mix."""
        return _fmix32((_fmix64(h) & np.uint64(_MASK32)).astype(np.uint32))

    # ------------------------------------------------------------------ stream API
    def add(self, key: str, text: str) -> str:
        """Add one message and return its duplicate-group id.

        Adding a key again with the same (normalised) text returns its group unchanged;
        with a different text it raises ValueError, as a stored group id must not change.
        """
        return self.add_many([(key, text)])[0]

    def add_many(self, items: Iterable[tuple[str, str]]) -> list[str]:
        """Add (key, text) messages in order and return their group ids.

        Same result as calling ``add`` for each item, with signatures computed in bulk.
        """
        pairs = list(items)
        norms = [normalise_for_dedup(text) for _, text in pairs]
        digests = [_digest(n) for n in norms]
        need: list[int] = []
        seen_new: set[str] = set()
        for i, ((key, _), dig) in enumerate(zip(pairs, digests, strict=True)):
            if not isinstance(key, str) or not key:
                raise ValueError("key must be a non-empty string")
            if key in self._row or not norms[i]:
                continue
            if dig not in self._by_digest and dig not in seen_new:
                seen_new.add(dig)
                need.append(i)
        sigs = self._signatures_normalised([norms[i] for i in need])
        sig_of = {i: sigs[j] for j, i in enumerate(need)}
        bands_of = dict(zip(need, band_buckets(sigs, self.layout), strict=True))
        out: list[str] = []
        empty = np.full(self.num_perm, EMPTY_VALUE, dtype=np.uint32)
        for i, ((key, _), dig) in enumerate(zip(pairs, digests, strict=True)):
            if key in self._row:
                row = self._row[key]
                if self._digests[row] != dig:
                    raise ValueError(f"key {key!r} was already added with a different text")
                out.append(self._group[row])
                continue
            if not norms[i]:
                # Nothing comparable (empty, punctuation or emoji only): a group of its own.
                out.append(self._append(key, dig, key, empty, None))
                continue
            same = self._by_digest.get(dig)
            if same:
                first = same[0]
                out.append(self._append(key, dig, self._group[first], self._sigs[first], None))
                continue
            sig = sig_of[i]
            bands = bands_of[i]
            found = self._candidates(sig, bands)
            group = self._group[found[0][1]] if found else key
            out.append(self._append(key, dig, group, sig, bands))
        return out

    def _append(
        self,
        key: str,
        dig: str,
        group: str,
        sig: npt.NDArray[np.uint32],
        bands: list[tuple[int, int]] | None,
    ) -> str:
        """Store one message; ``bands`` (its LSH band keys) puts it in the LSH index."""
        row = len(self._keys)
        if row >= self._sigs.shape[0]:
            grown = np.empty((self._sigs.shape[0] * 2, self.num_perm), dtype=np.uint32)
            grown[:row] = self._sigs[:row]
            self._sigs = grown
        self._sigs[row] = sig
        self._keys.append(key)
        self._row[key] = row
        self._group.append(group)
        self._digests.append(dig)
        if dig != _EMPTY_DIGEST:
            self._by_digest.setdefault(dig, []).append(row)
        self._members.setdefault(group, []).append(key)
        self._indexed.append(bands is not None)
        if bands is not None:
            # Band buckets computed once per message, for query and insert alike.
            for band, bucket in bands:
                self._tables[band].setdefault(bucket, []).append(row)
        return group

    def _band_keys(self, sig: npt.NDArray[np.uint32]) -> list[tuple[int, int]]:
        """The (band, bucket) pairs of one signature (``band_buckets``)."""
        return band_buckets(sig[None, :], self.layout)[0]

    def _candidates(
        self, sig: npt.NDArray[np.uint32], bands: list[tuple[int, int]] | None = None
    ) -> list[tuple[float, int]]:
        """Verified LSH candidates as (estimated Jaccard, row), best first (``rank_similar``)."""
        rows: set[int] = set()
        for band, bucket in bands if bands is not None else self._band_keys(sig):
            rows.update(self._tables[band].get(bucket, ()))
        if not rows:
            return []
        idx = np.array(sorted(rows), dtype=np.int64)  # rows in insertion order: ties -> earliest
        return [(s, int(idx[p])) for s, p in rank_similar(sig, self._sigs[idx], self.threshold)]

    # ------------------------------------------------------------------ read API
    def group_of(self, key: str) -> str:
        """Return the group id of an added key (KeyError if unknown)."""
        return self._group[self._row[key]]

    def groups(self) -> dict[str, list[str]]:
        """Return every group id with its member keys in insertion order."""
        return {g: list(members) for g, members in self._members.items()}

    def query(self, text: str) -> list[str]:
        """Return the keys of added messages similar to ``text`` (best first), adding nothing."""
        norm = normalise_for_dedup(text)
        if not norm:
            return []
        result: list[str] = []
        seen: set[int] = set()
        exact = self._by_digest.get(_digest(norm), [])
        for row in exact:
            seen.add(row)
            result.append(self._keys[row])
        sig = self._signatures_normalised([norm])[0]
        for _, row in self._candidates(sig):
            for member_row in self._by_digest.get(self._digests[row], [row]):
                if member_row not in seen:
                    seen.add(member_row)
                    result.append(self._keys[member_row])
        return result

    def __len__(self) -> int:
        """Number of messages added."""
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` was added."""
        return key in self._row

    # ------------------------------------------------------------------ persistence
    def to_state(self) -> dict[str, Any]:
        """Return the whole index as JSON-able data plus one ``uint32`` array (``signatures``).

        Metadata lists are in insertion order; ``indexed`` marks rows in the LSH index.
        """
        n = len(self._keys)
        return {
            "version": STATE_VERSION,
            "params": {
                "threshold": self.threshold,
                "num_perm": self.num_perm,
                "shingle_size": self.shingle_size,
                "random_state": self.random_state,
                "lsh_slack": self.lsh_slack,
            },
            "keys": list(self._keys),
            "groups": list(self._group),
            "digests": list(self._digests),
            "indexed": list(self._indexed),
            "signatures": self._sigs[:n].copy(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> NearDuplicateIndex:
        """Rebuild an index from ``to_state()`` output (the LSH tables are re-filled)."""
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported dedup state version {state.get('version')!r}")
        params = state["params"]
        index = cls(
            threshold=float(params["threshold"]),
            num_perm=int(params["num_perm"]),
            shingle_size=int(params["shingle_size"]),
            random_state=int(params["random_state"]),
            # States written before the slack was a parameter used the default.
            lsh_slack=float(params.get("lsh_slack", LSH_SLACK)),
        )
        sigs = np.asarray(state["signatures"], dtype=np.uint32)
        keys, groups, digests = state["keys"], state["groups"], state["digests"]
        indexed = state["indexed"]
        if not (len(keys) == len(groups) == len(digests) == len(indexed) == sigs.shape[0]):
            raise ValueError("dedup state is inconsistent: lengths differ")
        if sigs.ndim != 2 or (sigs.shape[0] and sigs.shape[1] != index.num_perm):
            raise ValueError("dedup state signatures do not match num_perm")
        for row, (key, group, dig, flag) in enumerate(
            zip(keys, groups, digests, indexed, strict=True)
        ):
            bands = index._band_keys(sigs[row]) if flag else None
            index._append(str(key), str(dig), str(group), sigs[row], bands)
        return index

    def save(self, path: str | Path) -> None:
        """Write the index to one ``.npz`` file (metadata as a JSON string, no pickle)."""
        state = self.to_state()
        sigs = state.pop("signatures")
        np.savez_compressed(
            Path(path), signatures=sigs, meta=np.array(json.dumps(state, ensure_ascii=False))
        )

    @classmethod
    def load(cls, path: str | Path) -> NearDuplicateIndex:
        """Read an index written by ``save`` (``allow_pickle=False``)."""
        with np.load(Path(path), allow_pickle=False) as data:
            state: dict[str, Any] = json.loads(str(data["meta"]))
            state["signatures"] = np.array(data["signatures"], dtype=np.uint32)
        return cls.from_state(state)
