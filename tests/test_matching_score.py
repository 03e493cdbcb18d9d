"""Scoring: guards, frequency-based and conditional weights, on hand-written level rows."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from cohort.matching import score
from cohort.matching.compare import BY_NAME, COMPARISONS
from cohort.matching.score import GUARD_CAP, Weights, score_pairs

ALL_NULL = {c.name: None for c in COMPARISONS}


def scored(*rows: dict, weights: Weights | None = None) -> pl.DataFrame:
    """Score rows of comparison levels (unnamed comparisons are null) and tf values."""
    full = [{"pid_l": 0, "pid_r": i + 1, **ALL_NULL, **r} for i, r in enumerate(rows)]
    frame = pl.DataFrame(full).with_columns(
        pl.col(c.name).cast(pl.Utf8).cast(c.dtype) for c in COMPARISONS
    )
    return score_pairs(frame, weights or Weights(prior=1e-4))


SAME_PERSON = {"forename": "exact", "surname": "exact", "dob": "exact", "address": "dwelling"}

GUARD_CASES = [
    ("twins at one home", {**SAME_PERSON, "forename": "different"}, "twins"),
    ("twins, one date of birth mistyped", {**SAME_PERSON, "forename": "different", "dob": "typo"}, "twins"),
    ("a shared UPN makes a different forename a middle name, not a twin",
     {**SAME_PERSON, "forename": "different", "upn": "same"}, None),
    ("father and son: same name and home, different dates of birth", {**SAME_PERSON, "dob": "different"},
     "dob_conflict"),
    ("same birth year only is still a different person", {**SAME_PERSON, "dob": "same_year"}, "dob_conflict"),
    ("two confirmed NINOs and nothing else in common",
     {"forename": "different", "surname": "exact", "nino": "different_issuer"}, "id_conflict"),
    ("a wrong NINO is forgiven when name and date of birth agree",
     {**SAME_PERSON, "nino": "different_issuer"}, None),
    ("twins called Emily and Millie (Amelia) are not forgiven their UPNs: a nickname is not the same name",
     {**SAME_PERSON, "forename": "nickname", "upn": "different_issuer"}, "id_conflict"),
    ("... nor is a date of birth one digit off agreement enough to forgive two NINOs",
     {**SAME_PERSON, "dob": "typo", "nino": "different_issuer"}, "id_conflict"),
    ("twins named Jack Thomas and Thomas are not forgiven their UPNs",
     {**SAME_PERSON, "forename": "swapped", "upn": "different_issuer"}, "id_conflict"),
    ("a child's UPN conflict is forgiven at home with the date of birth blank",
     {**SAME_PERSON, "dob": None, "upn": "different_issuer"}, None),
    ("an adult's NINO conflict is not (a father and son may share a name and home)",
     {**SAME_PERSON, "dob": None, "nino": "different_issuer"}, "id_conflict"),
    ("an unconfirmed different NINO is only evidence", {**SAME_PERSON, "nino": "different"}, None),
    ("a wrong date of birth is forgiven when the NINO and the names agree",
     {**SAME_PERSON, "dob": "different", "nino": "same"}, None),
    ("... or the names agree with a typo, or one is blank",
     {**SAME_PERSON, "dob": "different", "forename": None, "surname": "jw_low", "pnc_id": "same"}, None),
    ("... or the names are swapped", {**SAME_PERSON, "dob": "different", "forename": "name_swap",
                                       "surname": None, "upn": "same"}, None),
    ("not when a name disagrees (a sibling's identifier keyed wrongly)",
     {**SAME_PERSON, "dob": "different", "forename": "different", "nino": "same"}, "dob_conflict"),
    ("not on an identifier one character apart",
     {**SAME_PERSON, "dob": "different", "nino": "close"}, "dob_conflict"),
    ("twins whose identifiers are one character apart (issued together) are still twins",
     {**SAME_PERSON, "forename": "different", "upn": "close"}, "twins"),
    ("father and son with different NINOs", {**SAME_PERSON, "dob": "different", "nino": "different"},
     "dob_conflict"),
]


@pytest.mark.parametrize("description, levels, guard", GUARD_CASES, ids=[c[0] for c in GUARD_CASES])
def test_guards(description, levels, guard):
    row = scored(levels).row(0, named=True)
    assert row["guard"] == guard, description
    if guard:
        assert row["probability"] <= GUARD_CAP
        assert "guard:" in row["reason"]


def test_dob_override_marks_forgiven_dates_only():
    out = scored({**SAME_PERSON, "dob": "different", "nino": "same"}, {**SAME_PERSON, "dob": "different"},
                 SAME_PERSON)
    assert out["dob_override"].to_list() == [True, False, False]
    assert out["probability"][0] > 0.99


def test_an_identifier_one_character_apart_counts_for_little_at_home():
    close_at_home = scored({**SAME_PERSON, "nino": "close"})["match_weight"][0]
    close_elsewhere = scored({**SAME_PERSON, "nino": "close", "address": "different"})["match_weight"][0]
    at_home = scored(SAME_PERSON)["match_weight"][0]
    elsewhere = scored({**SAME_PERSON, "address": "different"})["match_weight"][0]
    assert close_at_home - at_home < 0 < close_elsewhere - elsewhere


def test_identity_override_marks_forgiven_conflicts_only():
    out = scored({**SAME_PERSON, "nino": "different_issuer"},
                 {"forename": "different", "nino": "different_issuer"}, SAME_PERSON)
    assert out["identity_override"].to_list() == [True, False, False]


def test_more_agreement_scores_higher():
    out = scored(
        {"forename": "exact", "surname": "exact", "dob": "exact", "address": "dwelling", "nino": "same"},
        SAME_PERSON,
        {**SAME_PERSON, "address": "different"},
        {**SAME_PERSON, "address": "different", "dob": "typo"},
        {"forename": "exact", "surname": "exact"},
    )
    w = out["match_weight"].to_list()
    assert w == sorted(w, reverse=True) and len(set(w)) == len(w)


def test_rare_values_weigh_more_than_common_ones():
    common = {**SAME_PERSON, "address": "different", "tf_forename": 0.05, "tf_surname": 0.02}
    rare = {**SAME_PERSON, "address": "different", "tf_forename": 0.0001, "tf_surname": 0.0001}
    out = scored(common, rare)
    assert out["match_weight"][1] - out["match_weight"][0] > 10
    assert out["probability"][1] > out["probability"][0]


def test_a_shared_surname_says_little_at_home():
    w = Weights(prior=1e-4)
    out = scored({"surname": "exact", "address": "dwelling"}, {"surname": "exact", "address": "street"}, weights=w)
    surname_at_home = out["match_weight"][0] - w.prior_weight - w.weight("address", "dwelling")
    surname_elsewhere = out["match_weight"][1] - w.prior_weight - w.weight("address", "street")
    assert surname_at_home < 1 < surname_elsewhere


def test_prior_moves_every_score_equally():
    low = scored(SAME_PERSON, weights=Weights(prior=1e-6))["match_weight"][0]
    high = scored(SAME_PERSON, weights=Weights(prior=1e-3))["match_weight"][0]
    assert high - low == pytest.approx(Weights(prior=1e-3).prior_weight - Weights(prior=1e-6).prior_weight)


def test_weights_table_covers_every_level():
    table = Weights().table()
    expected = {(c.name, k) for c in COMPARISONS for k in c.keys}
    assert set(zip(table["comparison"], table["level"])) == expected
    for c in ("forename", "surname", "dob", "address", "gender"):
        ms = table.filter(pl.col("comparison") == c)["m"].sum()
        assert ms == pytest.approx(1.0, abs=0.02), f"{c}: m over levels should sum to 1"
    assert BY_NAME["address"].label("other_flat") == "same building, different flat"


def _random_levels(n: int, seed: int = 7) -> pl.DataFrame:
    """`n` pairs of random levels (a tenth of each comparison null), random quoted
    similarities on a 0.01 grid and random term frequencies: every guard and many reasons."""
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {"pid_l": np.zeros(n, dtype=np.int64), "pid_r": np.arange(n)}
    for c in COMPARISONS:
        keys = [*c.keys, None]
        p = np.r_[np.full(len(c.keys), 0.9 / len(c.keys)), 0.1]
        cols[c.name] = pl.Series(c.name, [keys[i] for i in rng.choice(len(keys), size=n, p=p)], dtype=c.dtype)
    for sim in ("fn_jw", "sn_jw"):
        cols[sim] = pl.Series(np.round(rng.uniform(0.8, 1.0, n), 2)).scatter(np.flatnonzero(rng.random(n) < 0.7), None)
    for tf in ("tf_forename", "tf_surname"):
        cols[tf] = pl.Series(rng.uniform(1e-5, 0.05, n)).scatter(np.flatnonzero(rng.random(n) < 0.5), None)
    return pl.DataFrame(cols)


def test_reasons_found_by_pattern_code_are_those_of_the_columns_themselves(monkeypatch):
    """score_pairs finds each pair's reason through one integer per combination of levels,
    similarities and guard (`_pattern`); joining on the columns themselves says the same."""
    frame = _random_levels(20_000)
    fast = score_pairs(frame, Weights(prior=1e-4))
    assert fast["guard"].drop_nulls().n_unique() >= 3 and fast["reason"].n_unique() > 1_000
    monkeypatch.setattr(score, "_pattern", lambda *_: None)
    slow = score_pairs(frame, Weights(prior=1e-4))
    assert fast.with_columns(pl.col("reason").cast(pl.Utf8)).equals(slow.with_columns(pl.col("reason").cast(pl.Utf8)))


@pytest.mark.parametrize("n", range(1, len(COMPARISONS) + 1))
def test_pairwise_sum_adds_as_sum_horizontal_does(n):
    """The weights are summed as a tree of additions to hold fewer at once; the bits must be
    sum_horizontal's, or a pair on the threshold could change side with the polars version.
    (polars 2.1 adds nine terms or more in another order: a ninth comparison fails here.)"""
    rng = np.random.default_rng(n)
    frame = pl.DataFrame({f"w{i}": rng.normal(0, 7, 50_000) for i in range(n)})
    tree = frame.select(score.pairwise_sum([pl.col(c) for c in frame.columns]).alias("s"))["s"].to_numpy()
    horizontal = frame.select(pl.sum_horizontal(pl.all()).alias("s"))["s"].to_numpy()
    assert (tree.view(np.uint64) == horizontal.view(np.uint64)).all()
