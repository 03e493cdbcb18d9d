"""Partitioned matching gives exactly the single-pass result (matching/partition.py)."""

from __future__ import annotations

import threading

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings, strategies as st

from cohort.matching import partition
from cohort.matching.cluster import components
from cohort.matching.households import form_households
from cohort.matching.pipeline import link_persons
from support.drops import AS_OF, read_drop


@given(
    n=st.integers(1, 60),
    edges=st.lists(st.tuples(st.integers(0, 59), st.integers(0, 59)), max_size=80),
    k=st.integers(1, 6),
)
@settings(max_examples=200, deadline=None)
def test_assign_keeps_components_whole(n, edges, k):
    edges = [(a, b) for a, b in edges if a < n and b < n]
    left = np.array([a for a, _ in edges], dtype=np.int64)
    right = np.array([b for _, b in edges], dtype=np.int64)
    part = partition.assign(n, left, right, k)
    assert part.shape == (n,)
    assert ((part >= 0) & (part < k)).all()
    comp = components(n, left, right)
    for c in np.unique(comp):
        assert len(np.unique(part[comp == c])) == 1


def test_assign_balances_pairs():
    # One component of 100 pairs and 40 of 10: 500 pairs in 4 partitions of about 125.
    left, right, start = [], [], 0
    for size in [101] + [11] * 40:
        chain = np.arange(start, start + size)
        left += chain[:-1].tolist()
        right += chain[1:].tolist()
        start += size
    part = partition.assign(start, np.array(left), np.array(right), 4)
    per = np.bincount(part[np.array(left)], minlength=4)
    assert sorted(per.tolist()) == [120, 120, 130, 130]


def test_partition_count():
    assert partition.partition_count(0) == 1
    assert partition.partition_count(partition.PAIRS_PER_PARTITION + 1) == 2
    assert partition.partition_count(10**12) == partition.MAX_PARTITIONS
    assert partition.partition_count(10**12, partitions=3) == 3


@pytest.fixture(scope="module")
def drop_records(small_drop):
    return read_drop(small_drop / "extracts")


def _reviewed_pairs(result, n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    picks = rng.choice(result.pairs.height, size=n, replace=False)
    return result.pairs[picks.tolist()].select("source_l", "record_id_l", "source_r", "record_id_r")


def test_partitions_give_the_single_pass_result(drop_records):
    """Links, persons, scored pairs and households are identical for 1, 3 and 7
    partitions, with reviewers' must- and cannot-link pairs crossing the partitions,
    and a mapper that runs the partitions in reverse order."""
    recs, housing = drop_records
    first = link_persons(recs)
    must, cannot = _reviewed_pairs(first, 15, 1), _reviewed_pairs(first, 15, 2)
    one = link_persons(recs, must_link=must, cannot_link=cannot, partitions=1)
    seen = []

    def reversed_map(fn, items):
        seen.append(len(items))
        return list(reversed([fn(item) for item in reversed(items)]))

    for k in (3, 7):
        many = link_persons(recs, must_link=must, cannot_link=cannot, partitions=k, mapper=reversed_map)
        assert many.links.equals(one.links)
        assert many.persons.equals(one.persons)
        assert many.pairs.equals(one.pairs)
        assert many.weights.equals(one.weights)
    assert seen == [3, 3, 7, 7]  # compare, then cluster, per partition
    # The reviewers' decisions were applied: the partitions did not lose them.
    person = dict(zip(one.links["source"] + ":" + one.links["record_id"], one.links["person_id"]))
    for row in must.iter_rows(named=True):
        assert person[f"{row['source_l']}:{row['record_id_l']}"] == person[f"{row['source_r']}:{row['record_id_r']}"]

    single = form_households(recs, one.links, housing, AS_OF, partitions=1)
    split = form_households(recs, one.links, housing, AS_OF, partitions=5, mapper=reversed_map)
    assert split.members.equals(single.members)
    assert split.families.equals(single.families)

    # The flow's mapper hands a task only the partitions that hold work (`skipping_empty`):
    # with more partitions than components, some are empty, and the result is the same.
    handed = []

    def tasks(fn, items):
        handed.append([partition.work_size(item) for item in items])
        return [fn(item) for item in items]

    sparse = link_persons(recs, must_link=must, cannot_link=cannot, partitions=32,
                          mapper=partition.skipping_empty(tasks))
    assert sparse.links.equals(one.links) and sparse.pairs.equals(one.pairs)
    assert handed and all(size > 0 for sizes in handed for size in sizes)
    assert sum(len(sizes) for sizes in handed) < 2 * 32, "empty partitions were done in place"


def test_chunks_compared_on_threads_give_the_one_pass_result(drop_records, monkeypatch):
    """compare_pairs cuts many pairs into chunks compared two at a time on threads
    (pairs.THREADS): each chunk points at its own pairs, and the levels come back in the
    pairs' order, exactly as one pass over all of them gives."""
    from cohort.matching import block, pairs as compare
    from cohort.matching.pipeline import _review_records, build_profiles
    from cohort.matching.standardise import corroborate_ids, standardise

    recs, _ = drop_records
    _, profiles = build_profiles(corroborate_ids(standardise(recs)), _review_records(None, None))
    cand, _ = block.candidate_pairs(profiles)
    profiles = compare.add_term_frequencies(profiles)
    one = compare.compare_pairs(cand, profiles)
    assert cand.height > 2_000, "enough pairs for several chunks"
    monkeypatch.setattr(compare, "CHUNK", 997)
    monkeypatch.setattr(compare, "THREADS", 2)
    threads = []
    chunk = compare._compare_chunk

    def noted(pairs, sides):
        threads.append(threading.current_thread().name)
        return chunk(pairs, sides)

    monkeypatch.setattr(compare, "_compare_chunk", noted)
    chunked = compare.compare_pairs(cand, profiles)
    assert chunked.equals(one)
    assert len(threads) == -(-cand.height // 997) and all(t.startswith("compare") for t in threads)
