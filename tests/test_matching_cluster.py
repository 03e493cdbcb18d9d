"""Clustering: an oracle on random graphs, the merge guards, and threshold monotonicity."""

from __future__ import annotations

import random

import networkx as nx
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cohort.matching.cluster import ambiguous_profiles, cluster, dob_conflict

PAIR_SCHEMA = {"pid_l": pl.Int64, "pid_r": pl.Int64, "probability": pl.Float64}


def pairs_frame(edges, guards=None):
    f = pl.DataFrame(edges, schema=PAIR_SCHEMA, orient="row")
    if guards is not None:
        f = f.with_columns(pl.Series("guard", guards, dtype=pl.Utf8))
    return f


def as_partition(labels) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for i, lab in enumerate(labels):
        groups.setdefault(int(lab), set()).add(i)
    return {frozenset(g) for g in groups.values()}


def random_graph(seed: int, n: int, m: int):
    r = random.Random(seed)
    edges = set()
    while len(edges) < m:
        a, b = r.randrange(n), r.randrange(n)
        if a != b:
            edges.add((min(a, b), max(a, b)))
    return [(a, b, round(r.random(), 3)) for a, b in sorted(edges)]


@pytest.mark.parametrize("seed", range(25))
@pytest.mark.parametrize("dates", ["none", "compatible"])
def test_without_guards_clusters_are_connected_components(seed, dates):
    """With no contrary evidence, greedy merging must give plain connected components,
    both on the fast path (nothing to check) and through the guarded merge (several
    dates of birth that are typos of one another, so every merge is checked)."""
    n = 40
    r = random.Random(seed)
    edges = random_graph(seed, n, m=r.randrange(5, 60))
    dobs = None if dates == "none" else [r.choice(["19800312", "19801203", None]) for _ in range(n)]
    threshold = 0.5
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from((a, b) for a, b, p in edges if p >= threshold)
    oracle = {frozenset(c) for c in nx.connected_components(g)}
    labels = cluster(n, pairs_frame(edges), threshold, dobs=dobs)
    assert as_partition(labels) == oracle


def test_a_bad_link_does_not_chain_two_people():
    # 0-1 are one person, 2-3 another; 1-2 is a plausible but wrong link, and 0-3 is a
    # pair known to be different people (e.g. twins). Greedy order merges 0-1 and 2-3
    # first, then refuses 1-2.
    edges = [(0, 1, 0.99), (2, 3, 0.98), (1, 2, 0.95), (0, 3, 0.001)]
    labels = cluster(4, pairs_frame(edges, [None, None, None, "twins"]), 0.9)
    assert as_partition(labels) == {frozenset({0, 1}), frozenset({2, 3})}


def test_clearly_different_dates_of_birth_never_share_a_cluster():
    # Father (0) and son (2), both linked strongly to an undated record (1).
    dobs = ["19800312", None, "20050601"]
    labels = cluster(3, pairs_frame([(0, 1, 0.99), (1, 2, 0.98)]), 0.9, dobs=dobs)
    assert as_partition(labels) == {frozenset({0, 1}), frozenset({2})}


def test_transposed_or_mistyped_dates_of_birth_may_share_a_cluster():
    dobs = ["19800312", "19801203", "19800313"]
    labels = cluster(3, pairs_frame([(0, 1, 0.99), (0, 2, 0.98)]), 0.9, dobs=dobs)
    assert as_partition(labels) == {frozenset({0, 1, 2})}


@pytest.mark.parametrize(
    "a, b, conflict",
    [("19800312", "19800312", False), ("19800312", "19801203", False), ("19800312", "19800313", False),
     ("19800312", "19800321", False), ("19800312", "19900312", False), ("19800312", "19800725", True),
     ("19800312", "20050601", True), ("19800312", "19811203", True)],
)
def test_dob_conflict(a, b, conflict):
    assert dob_conflict(a, b) is conflict
    assert dob_conflict(b, a) is conflict


def test_two_issued_identifiers_keep_clusters_apart_unless_overridden():
    ids = {"nino": ["AA1", None, "BB2"]}
    edges = [(0, 1, 0.99), (1, 2, 0.98)]
    labels = cluster(3, pairs_frame(edges), 0.9, ids=ids)
    assert as_partition(labels) == {frozenset({0, 1}), frozenset({2})}
    forgiven = pairs_frame(edges).with_columns(pl.Series("identity_override", [False, True]))
    labels = cluster(3, forgiven, 0.9, ids=ids)
    assert as_partition(labels) == {frozenset({0, 1, 2})}


def test_must_link_and_cannot_link_are_honoured():
    edges = [(0, 1, 0.99), (2, 3, 0.2)]
    labels = cluster(4, pairs_frame(edges), 0.9, must_link=[(2, 3)], cannot_link=[(0, 1)])
    assert as_partition(labels) == {frozenset({0}), frozenset({1}), frozenset({2, 3})}


def test_cannot_link_also_blocks_chains():
    edges = [(0, 1, 0.99), (1, 2, 0.98)]
    labels = cluster(3, pairs_frame(edges), 0.9, cannot_link=[(0, 2)])
    assert as_partition(labels) == {frozenset({0, 1}), frozenset({2})}


def linked_pairs(labels) -> set[tuple[int, int]]:
    return {(i, j) for i in range(len(labels)) for j in range(i + 1, len(labels)) if labels[i] == labels[j]}


@settings(max_examples=80, deadline=None)
@given(
    st.integers(0, 10_000),
    st.floats(0.05, 0.95),
    st.floats(0.0, 0.5),
)
def test_raising_the_threshold_never_adds_links(seed, low, step):
    r = random.Random(seed)
    n = 25
    edges = random_graph(seed, n, m=40)
    guards = [("dob_conflict" if r.random() < 0.15 else None) for _ in edges]
    dobs = [r.choice([None, "19800312", "19900101", "20050601"]) for _ in range(n)]
    frame = pairs_frame(edges, guards).with_columns(
        pl.Series("dob_override", [r.random() < 0.2 for _ in edges]))
    at_low = linked_pairs(cluster(n, frame, low, dobs=dobs))
    at_high = linked_pairs(cluster(n, frame, min(1.0, low + step), dobs=dobs))
    assert at_high <= at_low


@pytest.mark.parametrize(
    "names, merged, why",
    [
        ([["JOSEPH"], ["JOSEPH", "THOMAS"], ["THOMAS"]], True,
         "Joseph, Joseph Thomas and Thomas: one child written by either name"),
        ([["JACK"], ["JACK"], ["OLIVER"]], False, "Jack and Oliver: twins stay apart"),
        ([["DANIEL"], ["DANIEL", "JAMES"], ["DATIEL"]], True, "a typo of a known name"),
    ],
)
def test_twins_guard_gives_way_to_a_shared_name(names, merged, why):
    # 0-1 link strongly; 1-2 link; 0-2 is twins-guarded (same birthday and home,
    # different forename).
    edges = pairs_frame([(0, 1, 0.99), (1, 2, 0.98), (0, 2, 0.001)], [None, None, "twins"])
    labels = cluster(3, edges, 0.9, names=names)
    assert bool(labels[0] == labels[2]) is merged, why


def test_a_forgiven_date_of_birth_lets_its_own_merge_through():
    # 0 and 1 carry one NINO but different dates of birth (one keyed wrongly); 2 is a
    # stranger linked to 1 with yet another date.
    dobs = ["19800312", "19970501", "19550101"]
    edges = pairs_frame([(0, 1, 0.99), (1, 2, 0.95)]).with_columns(
        pl.Series("dob_override", [True, False]))
    labels = cluster(3, edges, 0.9, dobs=dobs)
    assert as_partition(labels) == {frozenset({0, 1}), frozenset({2})}


AMBIGUITY_CASES = [
    # (description, dobs, edges (l, r, probability, weight), ambiguous profiles)
    ("undated, matching father and son alike", [None, "19700516", "20010903"],
     [(0, 1, 0.95, 4.2), (0, 2, 0.93, 3.8), (1, 2, 0.001, -20.0)], [0]),
    ("undated, but far more like the father (a shared NINO)", [None, "19700516", "20010903"],
     [(0, 1, 0.999999, 25.0), (0, 2, 0.93, 3.8)], []),
    ("undated, matching two records of one person whose date was forgiven", [None, "19700516", "19970501"],
     [(0, 1, 0.95, 4.2), (0, 2, 0.93, 3.8), (1, 2, 0.999, 12.0)], []),
    ("undated, matching a date and its typo", [None, "19700516", "19700561"],
     [(0, 1, 0.95, 4.2), (0, 2, 0.93, 3.8)], []),
    ("dated profiles are never ambiguous", ["19900101", "19700516", "20010903"],
     [(0, 1, 0.95, 4.2), (0, 2, 0.93, 3.8)], []),
    ("weak candidates do not count", [None, "19700516", "20010903"],
     [(0, 1, 0.95, 4.2), (0, 2, 0.3, -1.0)], []),
]


@pytest.mark.parametrize("why, dobs, edges, expected", AMBIGUITY_CASES, ids=[c[0] for c in AMBIGUITY_CASES])
def test_ambiguous_profiles(why, dobs, edges, expected):
    frame = pl.DataFrame(edges, schema={"pid_l": pl.Int64, "pid_r": pl.Int64, "probability": pl.Float64,
                                        "match_weight": pl.Float64}, orient="row")
    assert ambiguous_profiles(frame, dobs).tolist() == expected, why
