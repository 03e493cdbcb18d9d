"""Estimating the model's m and u from the month's own data, with no labels.

- u = P(level | two different people): the share of each level among profile pairs
  drawn at random (seeded, so a run is reproducible). Two profiles at random are
  almost never one person, so no labels are needed.
- m = P(level | one person) and the prior: expectation-maximisation over the blocked
  candidate pairs, with u held fixed. Each round scores every pair with the current m
  and prior (the guards and the conditional u's of `score` included, term frequencies
  left out), then sets each level's m to its share of the expected matches, and the
  prior to the expected matches over all pairs. Pairs are grouped by their pattern of
  levels first, so a round costs a few thousand rows, not millions.

A level seen too rarely to measure (fewer than MIN_COUNT random pairs for u, fewer than
MIN_COUNT expected matches for m) keeps its shipped value (the level's m and u in
compare.py), capped at MIN_COUNT out of all observed. The same holds for the whole step
when there are too few profiles (a test, a tiny district): the defaults are used.
Identifiers keep their weight as strong evidence, not proof: a shared identifier's u is
measured (a few are keyed against the wrong person), and the guards still apply.

Reviewers' answers teach the model, as active-learning linkers use labels: a decided
pair's posterior in EM is its answer (1 for match, 0 for not a match) instead of the
model's guess, and it counts LABEL_WEIGHT times, since a reviewer is asked about the
hard pairs and each answer stands for the similar pairs around it. The same kind of
mistake elsewhere in the data then becomes less likely.

What blocking cannot see: the random pairs drawn for u are scored with the final model;
those that are not candidate pairs and score UNSEEN_FROM or more (below, the model's far
tail is too rough to sum over hundreds of millions of pairs), scaled from the sample to
all pairs, give the expected number of matches blocking never compared (`Estimate.unseen`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from cohort.matching.compare import BY_NAME, COMPARISONS, role_is
from cohort.matching.levels import AGREES
from cohort.matching.pairs import MIN_POPULATION, PROFILES_PER_PERSON, compare_pairs
from cohort.matching.score import DEFAULT_PRIOR, Weights, add_probability

log = logging.getLogger(__name__)

SEED = 20140331
U_PAIRS = 600_000       # random pairs for u, at most ...
U_PAIRS_PER_PROFILE = 50  # ... and no more than this many per profile (more would only
                          # measure the same profiles again)
MIN_COUNT = 10          # fewer observations than this: the level keeps its default
MIN_PROFILES = 1_000    # fewer profiles than this: nothing is estimated
EM_ITERATIONS = 30
EM_TOLERANCE = 1e-5     # stop when no m moves by more than this
LABEL_WEIGHT = 20       # a reviewer's answer counts as this many pairs in EM
UNSEEN_FROM = 0.5       # random pairs at least this probable count towards what blocking missed

# The model as a table, for the run's record and the review: m, u and weight (log2 m/u)
# per level, the shipped defaults, how many expected matches (m_count) and random pairs
# (u_count) each estimate rests on, and whether it was estimated or kept its default. On
# the exact name, date of birth and home levels the agreed value's own frequency replaces
# u pair by pair (the levels marked `tf` in compare.py).
TABLE_SCHEMA = {
    "comparison": pl.Utf8, "level": pl.Utf8, "label": pl.Utf8,
    "m": pl.Float64, "u": pl.Float64, "weight": pl.Float64,
    "m_default": pl.Float64, "u_default": pl.Float64,
    "m_count": pl.Float64, "u_count": pl.Int64,
    "m_estimated": pl.Boolean, "u_estimated": pl.Boolean,
}


@dataclass(frozen=True)
class Estimate:
    weights: Weights        # the estimated model (prior included)
    table: pl.DataFrame     # TABLE_SCHEMA: one row per level, per conditional u, then the prior
    match_share: float      # estimated share of matches among the candidate pairs
    iterations: int
    unseen: float = 0.0     # expected matches among the pairs blocking never compared
    labelled: int = 0       # reviewers' answers the estimate learnt from


def random_pairs(n: int, k: int, seed: int = SEED) -> pl.DataFrame:
    """k distinct (pid_l < pid_r) pairs of n profiles drawn at random, or all pairs when
    there are fewer than 2k."""
    total = n * (n - 1) // 2
    schema = {"pid_l": pl.UInt32, "pid_r": pl.UInt32}
    if total <= 2 * k:
        left, right = np.triu_indices(n, 1)
        return pl.DataFrame({"pid_l": left, "pid_r": right}).cast(schema)
    rng = np.random.default_rng(seed)
    i = rng.integers(0, n, int(k * 1.1))
    j = rng.integers(0, n - 1, int(k * 1.1))
    j = j + (j >= i)
    pairs = pl.DataFrame({"pid_l": np.minimum(i, j), "pid_r": np.maximum(i, j)}).cast(schema)
    return pairs.unique(maintain_order=True).head(k)


def _codes(frame: pl.DataFrame, comparison: str) -> np.ndarray:
    """Level index per row (its place in the comparison's levels), -1 where null."""
    return frame[comparison].to_physical().fill_null(-1).to_numpy().astype(np.int64)


def _shares(counts: np.ndarray, defaults: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities, measured?) from counts per level. A level counted MIN_COUNT times
    or more gets its share of the count; one counted fewer times keeps its default, but
    no more than MIN_COUNT out of the total (a level that never shows up here is not
    given the weight it would have where it is common); then all are scaled to sum to 1."""
    total = counts.sum()
    measured = counts >= MIN_COUNT
    if total <= 0:
        return defaults.copy(), measured
    out = np.where(measured, counts / total, np.minimum(defaults, MIN_COUNT / total))
    return out / out.sum(), measured


def estimate_u(profiles: pl.DataFrame, base: Weights, n_pairs: int = U_PAIRS,
               seed: int = SEED, keep: list | None = None
               ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per comparison: (u per level, measured?, random pairs at each level).

    u is P(level | two different people): a random pair that names one person (forename,
    surname and date of birth all agree: two profiles of one person drawn together, which
    in a small population is not rare) is left out, or it would count a shared NINO as
    something strangers have."""
    n_pairs = min(n_pairs, U_PAIRS_PER_PROFILE * profiles.height)
    sample = compare_pairs(random_pairs(profiles.height, n_pairs, seed), profiles)
    if keep is not None:  # the whole sample, for what blocking cannot see
        keep.append(sample)
    one_person = role_is("forename", AGREES) & role_is("surname", AGREES) & role_is("dob", AGREES)
    sample = sample.filter(~one_person)
    u, measured, counts = {}, {}, {}
    for comp in COMPARISONS:
        k = len(comp.levels)
        codes = _codes(sample, comp.name)
        counts[comp.name] = np.bincount(codes[codes >= 0], minlength=k).astype(np.int64)
        defaults = np.array([base.mu[comp.name][key][1] for key in comp.keys])
        u[comp.name], measured[comp.name] = _shares(counts[comp.name].astype(float), defaults)
    log.info("em: u from %d random profile pairs", sample.height)
    return u, measured, counts


def _with(base: Weights, m: dict[str, np.ndarray], u: dict[str, np.ndarray], prior: float) -> Weights:
    mu = {
        comp.name: {key: (float(m[comp.name][i]), float(u[comp.name][i])) for i, key in enumerate(comp.keys)}
        for comp in COMPARISONS
    }
    return replace(base, mu=mu, prior=prior)


@dataclass(frozen=True)
class Fit:
    m: dict[str, np.ndarray]            # per comparison, m of each level
    measured: dict[str, np.ndarray]     # ... whether it was measured (else the default)
    expected: dict[str, np.ndarray]     # ... expected matches at each level
    prior: float                        # P(one person) for two profiles at random
    share: float                        # share of matches among the candidate pairs
    rounds: int


def expectation_maximisation(
    patterns: pl.DataFrame, base: Weights, u: dict[str, np.ndarray], population: int,
    iterations: int = EM_ITERATIONS, labelled: pl.DataFrame | None = None,
) -> Fit:
    """m per comparison, and the prior, from `patterns` (one row per distinct pattern of
    levels among the candidate pairs, with its count `n`) of `population` profiles; u and
    the conditional u's held fixed.

    Each pair is scored as it will be in the end: with the prior for two profiles at
    random and u's measured on random pairs. Blocking chose the pairs by their own
    fields, so it does not change what a pattern says; what it changes is how common
    each pattern is, and the share of matches differs from one blocking rule to another
    (few of the pairs whose identifiers are one character apart are one person). The
    prior is then the expected matches over all pairs (blocking is taken to miss few).

    The conditional u's (score.DEFAULT_CONDITIONALS) are not re-estimated: the candidate
    pairs at one home are mostly those sharing a forename initial (that is how they were
    blocked), so they overstate how often people living together share a forename.

    `labelled`: patterns of reviewers' answers (levels, `n`, `same`): their posterior is
    the answer, not the model's guess."""
    fixed = np.full(patterns.height, np.nan)
    if labelled is not None and labelled.height:
        names = [c.name for c in COMPARISONS]
        patterns = pl.concat([patterns.select(*names, "n"),
                              labelled.select(*names, (pl.col("n") * LABEL_WEIGHT).cast(patterns["n"].dtype))])
        fixed = np.concatenate([fixed, labelled["same"].cast(pl.Float64).to_numpy()])
    n = patterns["n"].to_numpy().astype(float)
    codes = {c.name: _codes(patterns, c.name) for c in COMPARISONS}
    defaults = {c.name: np.array([base.mu[c.name][key][0] for key in c.keys]) for c in COMPARISONS}
    m = {name: d.copy() for name, d in defaults.items()}
    measured = {name: np.zeros(len(d), dtype=bool) for name, d in defaults.items()}
    expected = {name: np.zeros(len(d)) for name, d in defaults.items()}
    all_pairs = population * (population - 1) / 2
    prior, rounds = base.prior if base.prior is not None else _default_prior(population), 0
    levels = patterns.select(c.name for c in COMPARISONS)
    for rounds in range(1, iterations + 1):
        p = add_probability(levels, _with(base, m, u, prior))["probability"].to_numpy()
        p = np.where(np.isnan(fixed), p, fixed)
        matches = n * p
        moved = 0.0
        for name, c in codes.items():
            seen = c >= 0
            expected[name] = np.bincount(c[seen], weights=matches[seen], minlength=len(defaults[name]))
            new, measured[name] = _shares(expected[name], defaults[name])
            moved = max(moved, float(np.abs(new - m[name]).max()))
            m[name] = new
        if base.prior is None:
            new_prior = float(np.clip(matches.sum() / all_pairs, 1e-12, 0.5))
            moved = max(moved, abs(math.log2(new_prior / prior)) * EM_TOLERANCE * 10)
            prior = new_prior
        if moved < EM_TOLERANCE:
            break
    return Fit(m, measured, expected, prior, float(matches.sum() / n.sum()), rounds)


def level_patterns(compared: pl.DataFrame) -> pl.DataFrame:
    """The distinct patterns of levels among compared pairs, with their count `n`, in a
    fixed order (so that estimation does not depend on row order)."""
    names = [c.name for c in COMPARISONS]
    return compared.group_by(names).agg(pl.len().alias("n")).sort(names, nulls_last=True)


def estimate(profiles: pl.DataFrame, compared: pl.DataFrame, base: Weights | None = None,
             *, n_pairs: int = U_PAIRS, seed: int = SEED, labelled: pl.DataFrame | None = None) -> Estimate:
    """Estimate u (random pairs of `profiles`) and m (EM over the `compared` candidate
    pairs), starting from `base` (default: the shipped table).

    The prior, P(one person) for two profiles at random, is estimated with m (see
    `expectation_maximisation`) unless `base.prior` is set. `labelled` (pid_l, pid_r,
    same): reviewers' answers, compared here and given their answer as posterior.
    """
    base = base or Weights()
    n = profiles.height
    if n < MIN_PROFILES or compared.height == 0:
        log.info("em: %d profiles, too few to estimate from; the shipped m and u are used", n)
        prior = base.prior if base.prior is not None else _default_prior(n)
        weights = replace(base, prior=prior)
        return Estimate(weights, weights_table(weights), 0.0, 0)
    sample: list[pl.DataFrame] = []
    u, u_measured, u_counts = estimate_u(profiles, base, n_pairs, seed, keep=sample)
    labels = None
    if labelled is not None and labelled.height:
        names = [c.name for c in COMPARISONS]
        pairs = labelled.select(pl.col("pid_l").cast(pl.UInt32), pl.col("pid_r").cast(pl.UInt32), "same").unique(
            ["pid_l", "pid_r"], keep="first")
        levels = compare_pairs(pairs.select("pid_l", "pid_r"), profiles).join(pairs, on=["pid_l", "pid_r"])
        labels = levels.group_by(*names, "same").agg(pl.len().alias("n")).sort(*names, "same", nulls_last=True)
    fit = expectation_maximisation(level_patterns(compared), base, u, n, labelled=labels)
    matches = fit.share * compared.height
    prior = fit.prior
    weights = _with(base, fit.m, u, prior)
    log.info("em: m over %d candidate pairs in %d rounds; about %.0f of them are matches (%.4f)",
             compared.height, fit.rounds, matches, fit.share)
    table = _table(weights, fit, u_measured, u_counts, base, prior)
    unseen = unseen_matches(sample[0], compared, weights, n)
    for row in table.iter_rows(named=True):
        log.debug("em: %s %s m %.4g u %.4g weight %.2f (expected matches %.0f, random pairs %s)",
                  row["comparison"], row["level"], row["m"], row["u"], row["weight"],
                  row["m_count"] or 0, row["u_count"])
    return Estimate(weights, table, fit.share, fit.rounds, unseen,
                    int(labelled.height) if labelled is not None else 0)


def unseen_matches(sample: pl.DataFrame, compared: pl.DataFrame, weights: Weights, population: int) -> float:
    """Expected matches among all the pairs blocking never compared: the random pairs that
    are not candidate pairs, scored with the final model (no term frequencies), their sum
    scaled from the sample to all pairs."""
    if sample.height == 0:
        return 0.0
    names = [c.name for c in COMPARISONS]
    outside = sample.join(compared.select(pl.col("pid_l").cast(sample["pid_l"].dtype),
                                          pl.col("pid_r").cast(sample["pid_r"].dtype)),
                          on=["pid_l", "pid_r"], how="anti")
    if outside.height == 0:
        return 0.0
    p = add_probability(outside.select(names), weights)["probability"].to_numpy()
    p = p[p >= UNSEEN_FROM]
    all_pairs = population * (population - 1) / 2
    return float(p.sum() * all_pairs / sample.height)


def weights_table(weights: Weights) -> pl.DataFrame:
    """The table of a model used as given (nothing estimated)."""
    return _table(weights, None, None, None, None, None)


def _default_prior(profiles: int) -> float:
    return PROFILES_PER_PERSON / max(profiles, MIN_POPULATION)


def _table(weights: Weights, fit: Fit | None, u_measured, u_counts, base: Weights | None,
           prior: float | None) -> pl.DataFrame:
    """One row per level; then one per conditional u (comparison "surname | address",
    level as its own; shipped, not estimated); then the prior."""
    base = base or weights
    rows = []
    for comp in COMPARISONS:
        for i, (key, label) in enumerate(comp.labels.items()):
            m, u = weights.mu[comp.name][key]
            rows.append({
                "comparison": comp.name, "level": key, "label": label,
                "m": m, "u": u, "weight": math.log2(m / u),
                "m_default": base.mu[comp.name][key][0], "u_default": base.mu[comp.name][key][1],
                "m_count": float(fit.expected[comp.name][i]) if fit is not None else None,
                "u_count": int(u_counts[comp.name][i]) if u_counts is not None else None,
                "m_estimated": bool(fit.measured[comp.name][i]) if fit is not None else False,
                "u_estimated": bool(u_measured[comp.name][i]) if u_measured is not None else False,
            })
    for c in weights.conditionals:
        for key, u in c.u.items():
            m = weights.mu[c.comparison][key][0]
            rows.append({
                "comparison": f"{c.comparison} | {', '.join(c.when)}", "level": key,
                "label": f"{BY_NAME[c.comparison].label(key)} ({c.name})",
                "m": m, "u": u, "weight": math.log2(m / u), "m_default": None, "u_default": u,
                "m_count": None, "u_count": None, "m_estimated": False, "u_estimated": False,
            })
    p = weights.prior if weights.prior is not None else DEFAULT_PRIOR
    rows.append({
        "comparison": "prior", "level": "random pair", "label": "two profiles at random are one person",
        "m": p, "u": 1 - p, "weight": weights.prior_weight, "m_default": None, "u_default": None,
        "m_count": None, "u_count": None, "m_estimated": prior is not None, "u_estimated": False,
    })
    return pl.DataFrame(rows, schema=TABLE_SCHEMA)
