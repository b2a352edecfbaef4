"""Tests for nlp.dedup: near-duplicate groups of citizen messages."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.datasets import data_dir, load_hot_messages
from nlp.dedup import (
    LSH_SLACK,
    NearDuplicateIndex,
    band_buckets,
    band_layout,
    is_empty_signature,
    normalise_for_dedup,
    rank_similar,
    shingle_hash,
)

NOISE = (
    "A5区劳动东路魅力之城小区一楼开了几家夜宵快餐店，厨房内多个灶台油烟随意排放，有的店灶台烧的柴火，"
    "气味难闻，严重污染附近的空气，楼道里甚至整个小区都有难闻的异味，恳请环保部门尽快处理。"
)
NOISE_REPOST = (
    "局长：你好，A5区劳动东路魅力之城小区一楼开了几家夜宵快餐店，厨房内多个灶台油烟随意排放，"
    "有的店灶台烧的柴火，气味难闻，严重污染附近的空气，楼道里甚至整个小区都有难闻的异味，"
    "恳请环保部门尽快处理！"
)
WAGES = (
    "西地省山千制药机械股份有限公司拖欠工人的工资近半年，还没有给员工购买医疗、养老保险和住房公积金，"
    "工人多次找公司讨要均无结果，请劳动监察部门介入。"
)
SCHOOL = (
    "A市普通话测试报名每月就那么一天报名时间，而且五分钟内名额全没了，网站根本刷不进去，"
    "作为一个社会考生报名太难，希望增加报名名额和考试场次。"
)


def test_repost_with_greeting_and_punctuation_joins_first_group() -> None:
    index = NearDuplicateIndex()
    assert index.add("m1", NOISE) == "m1"
    assert index.add("m2", WAGES) == "m2"
    assert index.add("m3", NOISE_REPOST) == "m1"
    assert index.group_of("m3") == "m1"
    assert index.groups() == {"m1": ["m1", "m3"], "m2": ["m2"]}


def test_different_issues_stay_apart() -> None:
    index = NearDuplicateIndex()
    groups = index.add_many([("a", NOISE), ("b", WAGES), ("c", SCHOOL)])
    assert groups == ["a", "b", "c"]


def test_exact_duplicate_after_normalisation() -> None:
    index = NearDuplicateIndex()
    index.add("x", WAGES)
    # Full-width letters, extra spaces and different punctuation normalise away.
    variant = WAGES.replace("，", ", ").replace("。", "!!") + "  "
    assert normalise_for_dedup(variant) == normalise_for_dedup(WAGES)
    assert index.add("y", variant) == "x"
    assert normalise_for_dedup("ＡＢＣ１２３ 市民") == "abc123市民"


def test_query_finds_similar_without_adding() -> None:
    index = NearDuplicateIndex()
    index.add_many([("a", NOISE), ("b", WAGES)])
    assert index.query(NOISE_REPOST) == ["a"]
    assert index.query(SCHOOL) == []
    assert len(index) == 2
    assert "c" not in index


def test_signatures_match_datasketch_minhash() -> None:
    index = NearDuplicateIndex(num_perm=64, random_state=5)
    norm = normalise_for_dedup(NOISE)
    reference = MinHash(num_perm=64, seed=5, scheme="affine32", hashfunc=shingle_hash)
    reference.update_batch([norm[i : i + 3] for i in range(len(norm) - 2)])
    assert np.array_equal(index.signatures([NOISE])[0], reference.hashvalues)
    short = MinHash(num_perm=64, seed=5, scheme="affine32", hashfunc=shingle_hash)
    short.update("投诉")
    assert np.array_equal(index.signatures(["投诉"])[0], short.hashvalues)


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "😀😡👍", "！！！？？？", "。"])
def test_texts_without_letters_are_singletons(text: str) -> None:
    index = NearDuplicateIndex()
    assert index.add("e1", text) == "e1"
    assert index.add("e2", text) == "e2"
    assert index.query(text) == []


def test_very_long_text_is_handled() -> None:
    index = NearDuplicateIndex()
    long_text = (NOISE * 800)[:100_000]
    assert index.add("long", long_text) == "long"
    assert index.add("long2", long_text + "补充说明") == "long"


def test_readding_same_key_is_idempotent_and_other_text_is_refused() -> None:
    index = NearDuplicateIndex()
    index.add("a", NOISE)
    assert index.add("a", NOISE) == "a"
    assert len(index) == 1
    with pytest.raises(ValueError, match="different text"):
        index.add("a", WAGES)
    with pytest.raises(ValueError):
        index.add("", NOISE)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"threshold": 0.0}, "threshold"),
        ({"num_perm": 4}, "num_perm"),
        ({"shingle_size": 0}, "shingle_size"),
    ],
)
def test_invalid_parameters(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        NearDuplicateIndex(**kwargs)  # type: ignore[arg-type]


def test_state_round_trip_json_and_npz(tmp_path: Path) -> None:
    index = NearDuplicateIndex()
    index.add_many([("a", NOISE), ("b", WAGES), ("c", NOISE_REPOST), ("d", ""), ("e", WAGES)])
    state = index.to_state()
    meta = {k: v for k, v in state.items() if k != "signatures"}
    json.dumps(meta)  # everything but the signature array is JSON-able
    rebuilt = NearDuplicateIndex.from_state(state)
    assert rebuilt.groups() == index.groups()
    assert rebuilt.add("f", NOISE_REPOST + "谢谢") == "a"
    index.save(tmp_path / "dedup.npz")
    loaded = NearDuplicateIndex.load(tmp_path / "dedup.npz")
    assert loaded.groups() == index.groups()
    assert loaded.add("g", WAGES) == "b"
    bad = dict(state, version=99)
    with pytest.raises(ValueError, match="version"):
        NearDuplicateIndex.from_state(bad)


def _variants(seed: int, n: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    base = [NOISE, WAGES, SCHOOL, NOISE_REPOST]
    out = []
    for i in range(n):
        text = list(rng.choice(base))
        for _ in range(rng.randrange(0, 4)):
            text[rng.randrange(len(text))] = rng.choice("的了是在有市区")
        out.append((f"k{i}", "".join(text)))
    return out


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 12))
def test_bulk_equals_stream_and_readding_keeps_groups(seed: int, n: int) -> None:
    items = _variants(seed, n)
    bulk = NearDuplicateIndex()
    stream = NearDuplicateIndex()
    groups = bulk.add_many(items)
    assert groups == [stream.add(k, t) for k, t in items]
    # Adding everything again (at-least-once delivery) returns the same ids and adds nothing.
    assert bulk.add_many(items) == groups
    assert len(bulk) == len(items)
    # A group id is always the key of a member that was added before or at the same time.
    keys = [k for k, _ in items]
    for key, group in zip(keys, groups, strict=True):
        assert keys.index(group) <= keys.index(key)


@settings(max_examples=25, deadline=None)
@given(text=st.text(max_size=300))
def test_any_text_gets_a_group(text: str) -> None:
    index = NearDuplicateIndex()
    assert index.add("a", text) == "a"
    assert index.add("b", text) in {"a", "b"}


def test_deterministic_with_fixed_random_state() -> None:
    items = _variants(3, 30)
    first = NearDuplicateIndex(random_state=7).add_many(items)
    second = NearDuplicateIndex(random_state=7).add_many(items)
    assert first == second
    assert np.array_equal(
        NearDuplicateIndex(random_state=7).signatures([NOISE]),
        NearDuplicateIndex(random_state=7).signatures([NOISE]),
    )


@pytest.mark.slow
@pytest.mark.skipif(data_dir(required=False) is None, reason="shared data not available")
def test_hot_messages_groups_known_reposts() -> None:
    hot = load_hot_messages()
    index = NearDuplicateIndex()
    index.add_many((m.message_id, f"{m.title}\n{m.text}") for m in hot)
    groups = index.groups()
    multi = [g for g in groups.values() if len(g) > 1]
    # Measured: 4,067 groups, 210 with more than one message (benchmarks/bench_dedup.py).
    assert 3900 <= len(groups) <= 4250
    assert 150 <= len(multi) <= 260
    by_id = {m.message_id: m for m in hot}
    same_user_or_title = sum(
        1
        for g in multi
        for k in g[1:]
        if by_id[k].user == by_id[g[0]].user or by_id[k].title == by_id[g[0]].title
    )
    assert same_user_or_title / sum(len(g) - 1 for g in multi) > 0.5


def test_band_lookup_matches_datasketch_query() -> None:
    """Our bucket tables propose exactly the candidates datasketch's LSH would."""
    from datasketch import LeanMinHash, MinHashLSH

    index = NearDuplicateIndex()
    items = _variants(11, 40)
    index.add_many(items)
    lsh = MinHashLSH(threshold=index.threshold - index.lsh_slack, num_perm=index.num_perm)
    assert (lsh.b, lsh.r) == index.layout
    for row, indexed in enumerate(index._indexed):
        if indexed:
            lean = LeanMinHash(seed=1, hashvalues=index._sigs[row], scheme="affine32")
            lsh.insert(row, lean, check_duplication=False)
    for _, text in items[:10]:
        sig = index.signatures([text])[0]
        lean = LeanMinHash(seed=index.random_state, hashvalues=sig, scheme="affine32")
        expected = set(lsh.query(lean))
        found: set[int] = set()
        for band, bucket in index._band_keys(sig):
            found.update(index._tables[band].get(bucket, ()))
        assert found == expected


def test_band_buckets_are_the_stored_hash_definition() -> None:
    """The app stores these buckets: blake2b-64 of each band's bytes, shifted to 63 bits."""
    import hashlib

    layout = band_layout(0.8, 128)
    assert layout == (9, 13)
    bands, rows = layout
    fixed = np.arange(128, dtype=np.uint32)
    first = hashlib.blake2b(np.arange(rows, dtype="<u4").tobytes(), digest_size=8).digest()
    found = band_buckets(fixed[None, :], layout)[0]
    assert len(found) == bands
    assert found[0] == (0, int.from_bytes(first, "little", signed=True) >> 1)
    empty = NearDuplicateIndex().signatures(["😀"])
    assert is_empty_signature(empty[0])
    assert band_buckets(empty, layout) == [[]]


def test_rank_similar_keeps_the_threshold_and_prefers_the_earlier_of_equals() -> None:
    sig = np.arange(8, dtype=np.uint32)
    same = sig.copy()
    close = sig.copy()
    close[0] = 99  # 7 of 8 agree
    far = sig + 100
    candidates = np.stack([far, close, same, same])
    assert rank_similar(sig, candidates, 0.8) == [(1.0, 2), (1.0, 3), (0.875, 1)]
    assert rank_similar(sig, candidates, 0.875) == [(1.0, 2), (1.0, 3), (0.875, 1)]
    assert rank_similar(sig, candidates[:1], 0.5) == []
    assert rank_similar(sig, candidates[:0], 0.5) == []


def test_the_slack_is_a_parameter_and_survives_a_round_trip() -> None:
    strict = NearDuplicateIndex(lsh_slack=0.0)
    assert strict.layout == band_layout(0.8, 128)
    assert NearDuplicateIndex().layout == band_layout(0.8 - LSH_SLACK, 128)
    strict.add_many(_variants(3, 5))
    assert NearDuplicateIndex.from_state(strict.to_state()).lsh_slack == 0.0
    with pytest.raises(ValueError, match="lsh_slack"):
        NearDuplicateIndex(lsh_slack=1.0)
