"""Hashed n-gram TF-IDF features of the category and sentiment models, in vectorised numpy.

``HashedNgramVectorizer``
    TF-IDF over character n-grams of the text and word n-grams of the pipeline's tokens, with
    n-grams hashed to 64-bit keys in vectorised numpy (no Python loop over characters), folded
    into ``2**hash_bits`` buckets, and only buckets seen in at least ``min_df`` training
    documents kept. Each block (chars, head chars, words) is L2-normalised on its own and
    scaled by its weight, like a scikit-learn ``FeatureUnion`` of ``TfidfVectorizer(
    sublinear_tf=True)``. The "head" block repeats the character n-grams of the first
    ``head_chars`` characters: the title comes first in the pipeline's text, so this weights
    the title without needing it as a separate field. An optional "terms" block has one column
    per phrase of a fixed list (the category taxonomy's names), set when the phrase occurs in
    the clipped text, L2-normalised over the block and scaled by its weight.
``TermMatcher``
    Finds which phrases of a fixed list occur in each text, vectorised over code points: only
    positions whose two characters start some phrase (a hashed bit table) are followed, one
    rolling hash step per character, and matched against the phrases' hashes of that length.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

__all__ = ["HashedNgramVectorizer", "TermMatcher"]

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

_PRIME = np.uint64(1099511628211)
_SEED = 1469598103934665603
# Block tags keep character, head and word n-grams of the same content in different keys.
_TAG_CHAR = 1
_TAG_HEAD = 2
_TAG_WORD = 3


def _mix(keys: npt.NDArray[np.uint64], values: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    return (keys ^ values) * _PRIME


def _ngram_keys(
    codes: npt.NDArray[np.uint64],
    doc: IntArray,
    orders: Sequence[int],
    tag: int,
    valid: npt.NDArray[np.bool_] | None,
) -> list[tuple[npt.NDArray[np.uint64], IntArray]]:
    """Hash, per order, every n-gram that stays inside one document (and is all ``valid``)."""
    out: list[tuple[npt.NDArray[np.uint64], IntArray]] = []
    length = codes.shape[0]
    for n in orders:
        m = length - n + 1
        if m <= 0:
            out.append((np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)))
            continue
        keys = np.full(m, np.uint64(_SEED + 131 * tag + n), dtype=np.uint64)
        for j in range(n):
            keys = _mix(keys, codes[j : j + m])
        keep = doc[:m] == doc[n - 1 : n - 1 + m]
        if valid is not None:
            for j in range(n):
                keep &= valid[j : j + m]
        out.append((keys[keep], doc[:m][keep]))
    return out


def _codes(texts: Sequence[str]) -> tuple[npt.NDArray[np.uint64], IntArray]:
    """Concatenate the code points of ``texts`` with the index of the document of each."""
    joined = "".join(texts)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    doc = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    return codes, doc


_START_BITS = 22


def _start_slot(first: npt.NDArray[np.uint64], second: npt.NDArray[np.uint64]) -> IntArray:
    """Bit-table slots of pairs of code points (the first two characters of a phrase)."""
    mixed = (first * np.uint64(0x9E3779B1)) ^ second
    return (mixed & np.uint64((1 << _START_BITS) - 1)).astype(np.int64)


class TermMatcher:
    """Which phrases of a fixed list occur in each text (see the module docstring).

    A phrase matches wherever its exact characters occur inside one text, overlapping or nested
    occurrences included. Phrases shorter than two characters are ignored.
    """

    def __init__(self, terms: Sequence[str]) -> None:
        self.terms: list[str] = sorted({t for t in terms if len(t) >= 2})
        self._starts = np.zeros(1 << _START_BITS, dtype=np.bool_)
        by_length: dict[int, list[tuple[int, int]]] = {}
        for index, term in enumerate(self.terms):
            codes = np.frombuffer(term.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
            self._starts[_start_slot(codes[:1], codes[1:2])] = True
            key = np.full(1, np.uint64(_SEED), dtype=np.uint64)
            for c in codes:
                key = _mix(key, c)
            by_length.setdefault(len(term), []).append((int(key[0]), index))
        self._lengths: list[tuple[int, npt.NDArray[np.uint64], IntArray]] = []
        for length in sorted(by_length):
            pairs = sorted(by_length[length])
            self._lengths.append(
                (
                    length,
                    np.array([k for k, _ in pairs], dtype=np.uint64),
                    np.array([i for _, i in pairs], dtype=np.int64),
                )
            )

    def __len__(self) -> int:
        return len(self.terms)

    def find(self, codes: npt.NDArray[np.uint64], doc: IntArray) -> tuple[IntArray, IntArray]:
        """(term index, document index) of every phrase present, each pair once, by document.

        ``codes`` and ``doc`` are the concatenated code points of the texts and the document
        of each, as made by ``_codes``.
        """
        empty = np.zeros(0, dtype=np.int64)
        if not self.terms or codes.shape[0] == 0:
            return empty, empty
        total = codes.shape[0]
        slots = _start_slot(codes[:-1], codes[1:])
        pos = np.flatnonzero(self._starts[slots] & (doc[:-1] == doc[1:]))
        keys = np.full(pos.shape[0], np.uint64(_SEED), dtype=np.uint64)
        found_terms: list[IntArray] = []
        found_docs: list[IntArray] = []
        reached = 0
        for length, term_keys, term_index in self._lengths:
            while reached < length:
                # extend every candidate by one character; drop those that leave the text
                nxt = pos + reached
                alive = (nxt < total) & (doc[np.minimum(nxt, total - 1)] == doc[pos])
                pos, keys, nxt = pos[alive], keys[alive], nxt[alive]
                keys = _mix(keys, codes[nxt])
                reached += 1
            if pos.shape[0] == 0:
                break
            slot = np.searchsorted(term_keys, keys)
            slot = np.minimum(slot, term_keys.shape[0] - 1)
            hit = term_keys[slot] == keys
            found_terms.append(term_index[slot[hit]])
            found_docs.append(doc[pos[hit]])
        if not found_docs:
            return empty, empty
        size = len(self.terms)
        pair = np.unique(np.concatenate(found_docs) * size + np.concatenate(found_terms))
        return pair % size, pair // size


class HashedNgramVectorizer:
    """Sublinear TF-IDF over hashed character and word n-grams (see the module docstring)."""

    def __init__(
        self,
        char_orders: tuple[int, ...] = (1, 2, 3),
        word_orders: tuple[int, ...] = (1, 2),
        head_chars: int = 0,
        head_orders: tuple[int, ...] = (1, 2, 3),
        max_chars: int = 1000,
        hash_bits: int = 20,
        min_df: int = 2,
        char_weight: float = 1.0,
        head_weight: float = 0.5,
        word_weight: float = 1.0,
        terms: Sequence[str] = (),
        terms_weight: float = 0.5,
    ) -> None:
        self.char_orders = char_orders
        self.word_orders = word_orders
        self.head_chars = head_chars
        self.head_orders = head_orders
        self.max_chars = max_chars
        self.hash_bits = hash_bits
        self.min_df = min_df
        self.char_weight = char_weight
        self.head_weight = head_weight
        self.word_weight = word_weight
        self.terms = terms
        self.terms_weight = terms_weight

    # -- hashing -------------------------------------------------------------------------

    def _blocks(
        self, texts: Sequence[str], tokens: Sequence[Sequence[str]], words: Mapping[str, int] | None
    ) -> list[tuple[list[tuple[IntArray, IntArray]], float]]:
        """Per block: (bucket, doc) arrays per n-gram order (doc sorted), and the block weight."""
        mask = np.uint64((1 << self.hash_bits) - 1)
        blocks: list[tuple[list[tuple[IntArray, IntArray]], float]] = []
        clipped = [t[: self.max_chars] for t in texts]
        if self.char_orders:
            codes, doc = _codes(clipped)
            parts = _ngram_keys(codes, doc, self.char_orders, _TAG_CHAR, None)
            blocks.append(([((k & mask).astype(np.int64), d) for k, d in parts], self.char_weight))
        if self.head_chars > 0 and self.head_orders:
            codes, doc = _codes([t[: self.head_chars] for t in clipped])
            parts = _ngram_keys(codes, doc, self.head_orders, _TAG_HEAD, None)
            blocks.append(([((k & mask).astype(np.int64), d) for k, d in parts], self.head_weight))
        if self.word_orders and words is not None:
            get = words.get
            ids = [get(w, -1) for doc_tokens in tokens for w in doc_tokens]
            flat = np.array(ids, dtype=np.int64)
            doc = np.repeat(
                np.arange(len(tokens), dtype=np.int64),
                np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens)),
            )
            # an n-gram containing an unknown word (id -1) is dropped
            parts = _ngram_keys(flat.astype(np.uint64), doc, self.word_orders, _TAG_WORD, flat >= 0)
            blocks.append(([((k & mask).astype(np.int64), d) for k, d in parts], self.word_weight))
        return blocks

    # -- fitting -------------------------------------------------------------------------

    def fit(self, texts: Sequence[str], tokens: Sequence[Sequence[str]]) -> HashedNgramVectorizer:
        """Learn the word list, the kept buckets and their IDF from training documents."""
        if len(texts) != len(tokens):
            raise ValueError("texts and tokens must have the same length")
        df_words: dict[str, int] = {}
        for doc_tokens in tokens:
            for w in set(doc_tokens):
                df_words[w] = df_words.get(w, 0) + 1
        self.words_: list[str] = sorted(w for w, c in df_words.items() if c >= self.min_df)
        word_index = {w: i for i, w in enumerate(self.words_)}
        size = 1 << self.hash_bits
        df = np.zeros(size, dtype=np.int64)
        for parts, _ in self._blocks(texts, tokens, word_index):
            for bucket, doc in parts:
                pair = np.unique(doc * size + bucket)
                df += np.bincount(pair % size, minlength=size)
        kept = np.flatnonzero(df >= self.min_df)
        self.buckets_: IntArray = kept.astype(np.int64)
        n_docs = len(texts)
        self.idf_: FloatArray = (np.log((1 + n_docs) / (1 + df[kept])) + 1).astype(np.float32)
        self._build_lookup()
        return self

    def _build_lookup(self) -> None:
        """Derived state of a fitted (or loaded) vectorizer: bucket columns, words, phrases."""
        self._matcher = TermMatcher(self.terms)
        lookup = np.full(1 << self.hash_bits, -1, dtype=np.int32)
        lookup[self.buckets_] = np.arange(self.buckets_.shape[0], dtype=np.int32)
        self._lookup = lookup
        self._word_index = {w: i for i, w in enumerate(self.words_)}

    @property
    def n_features(self) -> int:
        """Number of columns of the transformed matrix (hashed buckets, then the terms)."""
        return int(self.buckets_.shape[0]) + len(self._matcher)

    def _terms_block(
        self, texts: Sequence[str]
    ) -> tuple[FloatArray, npt.NDArray[np.int32], IntArray] | None:
        """Data, columns and documents of the terms block, or None without terms."""
        if not len(self._matcher) or self.terms_weight == 0:
            return None
        codes, doc = _codes([t[: self.max_chars] for t in texts])
        term, tdoc = self._matcher.find(codes, doc)
        counts = np.bincount(tdoc, minlength=len(texts))
        data = (self.terms_weight / np.sqrt(counts[tdoc])).astype(np.float32)
        cols = (term + self.buckets_.shape[0]).astype(np.int32)
        return data, cols, tdoc

    # -- transform -----------------------------------------------------------------------

    def transform(self, texts: Sequence[str], tokens: Sequence[Sequence[str]]) -> sp.csr_matrix:
        """Return the TF-IDF matrix, one row per document, in canonical CSR form."""
        x = self.transform_fast(texts, tokens)
        x.sum_duplicates()
        return x

    def transform_fast(
        self, texts: Sequence[str], tokens: Sequence[Sequence[str]]
    ) -> sp.csr_matrix:
        """Like :meth:`transform` but may repeat a column within a row (products are equal).

        Each n-gram occurrence adds ``idf * weight / norm`` to its column, where ``norm`` is
        ``sqrt(sum over occurrences of idf**2)`` within the block: raw term frequency with a
        length normalisation that needs no de-duplication, so prediction never sorts n-grams.
        """
        if len(texts) != len(tokens):
            raise ValueError("texts and tokens must have the same length")
        n_docs = len(texts)
        all_data: list[FloatArray] = []
        all_cols: list[npt.NDArray[np.int32]] = []
        all_docs: list[IntArray] = []
        for parts, weight in self._blocks(texts, tokens, self._word_index):
            mapped: list[tuple[npt.NDArray[np.int32], IntArray, FloatArray]] = []
            sq = np.zeros(n_docs, dtype=np.float64)
            for bucket, doc in parts:
                raw = self._lookup[bucket]
                known = raw >= 0
                col, kdoc = raw[known], doc[known]
                w = self.idf_[col]
                sq += np.bincount(kdoc, weights=w * w, minlength=n_docs)
                mapped.append((col, kdoc, w))
            scale = np.zeros(n_docs, dtype=np.float64)
            nonzero = sq > 0
            scale[nonzero] = weight / np.sqrt(sq[nonzero])
            for col, kdoc, w in mapped:
                all_data.append((w * scale[kdoc]).astype(np.float32))
                all_cols.append(col)
                all_docs.append(kdoc)
        terms_block = self._terms_block(texts)
        if terms_block is not None:
            all_data.append(terms_block[0])
            all_cols.append(terms_block[1])
            all_docs.append(terms_block[2])
        if not all_docs:
            return sp.csr_matrix((n_docs, self.n_features), dtype=np.float32)
        docs = np.concatenate(all_docs)
        # each part is sorted by document, so a stable sort only merges a few runs
        order = np.argsort(docs, kind="stable")
        indptr = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(np.bincount(docs, minlength=n_docs), out=indptr[1:])
        return sp.csr_matrix(
            (np.concatenate(all_data)[order], np.concatenate(all_cols)[order], indptr),
            shape=(n_docs, self.n_features),
        )

    def fit_transform(self, texts: Sequence[str], tokens: Sequence[Sequence[str]]) -> sp.csr_matrix:
        """Fit, then transform the same documents."""
        return self.fit(texts, tokens).transform(texts, tokens)

    # -- storage -------------------------------------------------------------------------

    def get_params(self) -> dict[str, Any]:
        """Constructor parameters as JSON-friendly values."""
        return {
            "char_orders": list(self.char_orders),
            "word_orders": list(self.word_orders),
            "head_chars": self.head_chars,
            "head_orders": list(self.head_orders),
            "max_chars": self.max_chars,
            "hash_bits": self.hash_bits,
            "min_df": self.min_df,
            "char_weight": self.char_weight,
            "head_weight": self.head_weight,
            "word_weight": self.word_weight,
            "terms_weight": self.terms_weight,
        }

    def to_arrays(self, prefix: str) -> tuple[dict[str, npt.NDArray[Any]], dict[str, Any]]:
        """Learned state as arrays plus JSON metadata (the word list is stored as JSON)."""
        arrays = {f"{prefix}buckets": self.buckets_.astype(np.int32), f"{prefix}idf": self.idf_}
        meta = {"params": self.get_params(), "words": self.words_, "terms": list(self.terms)}
        return arrays, meta

    @classmethod
    def from_arrays(
        cls, arrays: Mapping[str, npt.NDArray[Any]], meta: Mapping[str, Any], prefix: str
    ) -> HashedNgramVectorizer:
        """Rebuild a fitted vectorizer from :meth:`to_arrays` output."""
        p = meta["params"]
        vec = cls(
            char_orders=tuple(int(x) for x in p["char_orders"]),
            word_orders=tuple(int(x) for x in p["word_orders"]),
            head_chars=int(p["head_chars"]),
            head_orders=tuple(int(x) for x in p["head_orders"]),
            max_chars=int(p["max_chars"]),
            hash_bits=int(p["hash_bits"]),
            min_df=int(p["min_df"]),
            char_weight=float(p["char_weight"]),
            head_weight=float(p["head_weight"]),
            word_weight=float(p["word_weight"]),
            terms=tuple(str(t) for t in meta.get("terms", [])),
            terms_weight=float(p.get("terms_weight", 0.5)),
        )
        vec.words_ = [str(w) for w in meta["words"]]
        vec.buckets_ = np.asarray(arrays[f"{prefix}buckets"], dtype=np.int64)
        vec.idf_ = np.asarray(arrays[f"{prefix}idf"], dtype=np.float32)
        vec._build_lookup()
        return vec
