"""Estimating m, u and the prior with no labels: recovery of a known model, determinism,
the defaults for rare levels, and the estimated model in a whole run."""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from cohort.matching import em
from cohort.matching.compare import BY_NAME, COMPARISONS
from cohort.matching.pipeline import link_persons
from cohort.matching.score import DEFAULT_MU, Weights

# A known model over comparisons that no guard reads (names, address, gender), with date
# of birth and identifiers blank, so the truth is plain Fellegi-Sunter.
# Level -> probability; levels not named have none (keyed by level, so that a new level
# elsewhere in a comparison leaves the model as it is).
TRUE_M = {
    "forename": {"exact": 0.70, "nickname": 0.10, "swapped": 0.05, "jw_high": 0.08, "jw_low": 0.03,
                 "different": 0.04},
    "surname": {"exact": 0.85, "part": 0.03, "jw_high": 0.06, "jw_low": 0.02, "different": 0.04},
    "address": {"dwelling": 0.80, "flat_missing": 0.02, "postcode": 0.03, "street": 0.05, "sector": 0.02,
                "district": 0.03, "different": 0.05},
    "gender": {"exact": 0.98, "different": 0.02},
}
TRUE_U = {
    "forename": {"exact": 0.01, "nickname": 0.003, "swapped": 0.002, "jw_high": 0.004, "jw_low": 0.01,
                 "different": 0.971},
    "surname": {"exact": 0.01, "part": 0.001, "jw_high": 0.003, "jw_low": 0.006, "different": 0.98},
    "address": {"dwelling": 0.001, "postcode": 0.001, "street": 0.004, "sector": 0.01, "district": 0.05,
                "different": 0.934},
    "gender": {"exact": 0.5, "different": 0.5},
}


def _by_level(table: dict[str, dict[str, float]], name: str) -> list[float]:
    return [table[name].get(k, 0.0) for k in BY_NAME[name].keys]


NO_CONDITIONALS = Weights(conditionals=())


def simulate(n_match: int, n_non: int, seed: int) -> pl.DataFrame:
    """Comparison vectors drawn level by level, independently, from TRUE_M / TRUE_U."""
    rng = np.random.default_rng(seed)
    columns = {}
    for comp in COMPARISONS:
        keys = list(comp.keys)
        if comp.name in TRUE_M:
            drawn = np.concatenate([rng.choice(len(keys), n_match, p=_by_level(TRUE_M, comp.name)),
                                    rng.choice(len(keys), n_non, p=_by_level(TRUE_U, comp.name))])
            columns[comp.name] = pl.Series([keys[i] for i in drawn], dtype=pl.Utf8).cast(comp.dtype)
        else:
            columns[comp.name] = pl.Series([None] * (n_match + n_non), dtype=comp.dtype)
    return pl.DataFrame(columns)


def true_u() -> dict[str, np.ndarray]:
    """The true u's (a level that never occurs gets a tiny one), defaults elsewhere."""
    return {c.name: np.maximum(np.array(_by_level(TRUE_U, c.name) if c.name in TRUE_U
                                        else [DEFAULT_MU[c.name][k][1] for k in c.keys]), 1e-6)
            for c in COMPARISONS}


def test_em_recovers_a_known_model():
    # The simulated pairs are all the pairs of the population (no blocking), so that the
    # prior over all pairs and the share of matches among the candidates agree.
    n_match, n_non = 6_000, 60_000
    population = round((2 * (n_match + n_non)) ** 0.5) + 1
    compared = simulate(n_match, n_non, seed=1)
    fit = em.expectation_maximisation(em.level_patterns(compared), NO_CONDITIONALS, true_u(), population)
    for name in TRUE_M:
        m = _by_level(TRUE_M, name)
        keys = list(BY_NAME[name].keys)
        for i, key in enumerate(keys):
            if m[i] >= 0.02:
                assert fit.m[name][i] == pytest.approx(m[i], abs=0.02), f"{name} {key}"
                assert fit.measured[name][i], f"{name} {key} was measured"
    true_prior = n_match / (population * (population - 1) / 2)
    assert fit.prior == pytest.approx(true_prior, rel=0.15)
    assert fit.share == pytest.approx(n_match / (n_match + n_non), rel=0.15)


def test_em_is_deterministic_and_ignores_row_order():
    compared = simulate(2_000, 20_000, seed=2)
    a = em.expectation_maximisation(em.level_patterns(compared), NO_CONDITIONALS, true_u(), 20_000)
    b = em.expectation_maximisation(em.level_patterns(compared.sample(fraction=1.0, shuffle=True, seed=9)),
                                    NO_CONDITIONALS, true_u(), 20_000)
    assert a.prior == b.prior and a.rounds == b.rounds
    for name in a.m:
        assert np.array_equal(a.m[name], b.m[name]), name


@pytest.mark.parametrize(
    "counts, defaults, expected, measured, why",
    [
        ([900, 100], [0.5, 0.5], [0.9, 0.1], [True, True], "both measured: shares of the count"),
        ([1000, 0, 0], [0.9, 1e-6, 0.1], None, [True, False, False],
         "unmeasured: the default, but no more than MIN_COUNT out of the total"),
        ([0, 0], [0.3, 0.7], [0.3, 0.7], [False, False], "nothing counted: the defaults"),
    ],
)
def test_rare_levels_keep_their_default(counts, defaults, expected, measured, why):
    got, was_measured = em._shares(np.array(counts, dtype=float), np.array(defaults))
    assert was_measured.tolist() == measured, why
    assert got.sum() == pytest.approx(1.0)
    if expected is not None:
        assert got.tolist() == pytest.approx(expected), why
    else:
        cap = em.MIN_COUNT / sum(counts)
        assert got[1] == pytest.approx(1e-6, rel=0.02), "a tiny default is kept"
        assert got[2] == pytest.approx(cap, rel=0.02), "a large default is capped"


def test_random_pairs_are_distinct_seeded_and_oriented():
    a = em.random_pairs(5_000, 20_000, seed=3)
    assert a.equals(em.random_pairs(5_000, 20_000, seed=3))
    assert not a.equals(em.random_pairs(5_000, 20_000, seed=4))
    assert a.height == 20_000 and a.is_unique().all()
    assert (a["pid_l"] < a["pid_r"]).all()
    small = em.random_pairs(30, 1_000)
    assert small.height == 30 * 29 // 2, "a small population gives every pair once"


def test_too_few_profiles_use_the_shipped_model(caplog):
    profiles = pl.DataFrame({"pid": [0, 1]})
    compared = simulate(1, 0, seed=0)
    with caplog.at_level(logging.INFO, logger="cohort.matching"):
        out = em.estimate(profiles, compared)
    assert out.weights.mu == DEFAULT_MU and out.iterations == 0
    assert not out.table["m_estimated"].any()
    assert "too few" in caplog.text


@pytest.fixture(scope="module")
def drop_records(small_drop):
    from support.drops import read_drop

    records, _ = read_drop(small_drop / "extracts")
    return records


def test_a_run_estimates_its_model_and_returns_it(drop_records, caplog):
    with caplog.at_level(logging.DEBUG, logger="cohort.matching"):
        result = link_persons(drop_records)
    table = result.weights
    assert list(table.schema) == list(em.TABLE_SCHEMA)
    levels = table.filter(~pl.col("comparison").str.contains(r"\|") & (pl.col("comparison") != "prior"))
    assert levels.height == sum(len(c.levels) for c in COMPARISONS)
    assert levels["u_estimated"].sum() > 10 and levels["m_estimated"].sum() > 10
    for comp in ("forename", "surname", "dob", "address", "gender"):
        assert levels.filter(pl.col("comparison") == comp)["m"].sum() == pytest.approx(1.0)
        assert levels.filter(pl.col("comparison") == comp)["u"].sum() == pytest.approx(1.0)
    assert table.filter(pl.col("comparison") == "prior")["m"][0] < 0.01
    # The estimate changes the model, but a shared identifier stays strong evidence.
    assert not levels.select("m", "u").equals(em.weights_table(Weights()).head(levels.height).select("m", "u"))
    assert levels.filter((pl.col("comparison") == "nino") & (pl.col("level") == "same"))["weight"][0] > 10
    # Logged: counts and probabilities, never a value from the records.
    text = caplog.text.upper()
    assert "EM: M OVER" in text
    first = drop_records.drop_nulls("surname")["surname"][0].upper()
    assert first not in text


def test_a_run_is_deterministic(drop_records):
    a = link_persons(drop_records)
    b = link_persons(drop_records.sample(fraction=1.0, shuffle=True, seed=5))
    assert a.links.equals(b.links)
    assert a.weights.equals(b.weights)


def test_given_weights_are_used_as_they_are(drop_records):
    fixed = replace(Weights(), prior=1e-5)
    result = link_persons(drop_records, weights=fixed)
    assert result.weights.filter(pl.col("comparison") == "prior")["m"][0] == pytest.approx(1e-5)
    assert not result.weights["m_estimated"].any()
    unestimated = link_persons(drop_records, estimate=False)
    assert not unestimated.weights["u_estimated"].any()


def test_reviewers_answers_teach_m():
    """Answers fix their pairs' posterior: pairs at the forename 'different' level that
    reviewers called one person raise that level's m; called two people, lower it."""
    compared = simulate(2_000, 20_000, seed=3)
    patterns = em.level_patterns(compared)
    names = [c.name for c in COMPARISONS]
    different = compared.filter(pl.col("forename") == "different").head(30)
    labels = {same: different.group_by(names).agg(pl.len().alias("n")).with_columns(pl.lit(same).alias("same"))
              for same in (True, False)}
    plain = em.expectation_maximisation(patterns, NO_CONDITIONALS, true_u(), 20_000)
    taught = {same: em.expectation_maximisation(patterns, NO_CONDITIONALS, true_u(), 20_000, labelled=frame)
              for same, frame in labels.items()}
    i = list(BY_NAME["forename"].keys).index("different")
    assert taught[True].m["forename"][i] > plain.m["forename"][i] >= taught[False].m["forename"][i]
