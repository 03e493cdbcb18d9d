"""How far a reviewer is likely to overturn what the run decided: a prior per kind of
decision, learnt from the answers reviewers have given (decision 71). Questions are ranked
by it and the label-free estimate counts kept-apart pairs with it."""

from __future__ import annotations

import polars as pl

from cohort.review.decisions import BINDING, MATCH, NOT_A_MATCH, PERSON

LINKED, APART, IN_FAMILY = "linked", "apart", "in one family"

# Prior pseudo-counts (overturned, decided) of the share of answers that overturn the run.
# The twins guard is a guess from names (one birthday, one home, two forenames): where the
# rest of the evidence calls the pair one person it is a coin toss until reviewers have
# answered some. The other guards stand on facts the agencies supplied (two confirmed
# identifiers, two dates of birth, a birth window) and are trusted. A household join on
# weak address evidence was found right all but about once in twenty. Two families kept
# apart whose addresses nearly agree (decision 74): a coin toss until answers teach it.
PRIOR_DOUBT = {"twins": (1.0, 2.0), "guard": (1.0, 20.0), "household": (1.0, 20.0), "family": (1.0, 2.0),
               "family no postcode": (1.0, 20.0)}
NOT_GUARDS = ("household", "family")


def doubt(decisions: pl.DataFrame, category: pl.Expr, prior: str = "guard") -> dict[str, float]:
    """category -> share of questions of that category reviewers overturned so far, with
    the prior PRIOR_DOUBT[prior]; `category` is an expression over the stored decisions."""
    binding = decisions.filter(pl.col("decision").is_in(BINDING) & pl.col("state").is_not_null())
    overturned = ((pl.col("state") == APART) & (pl.col("decision") == MATCH)) | (
        (pl.col("state") != APART) & (pl.col("decision") == NOT_A_MATCH))
    counts = binding.with_columns(category.alias("_c")).drop_nulls("_c").group_by("_c").agg(
        overturned.sum().alias("o"), pl.len().alias("n"))
    return {c: (o + PRIOR_DOUBT.get(c, PRIOR_DOUBT[prior])[0]) / (n + PRIOR_DOUBT.get(c, PRIOR_DOUBT[prior])[1])
            for c, o, n in counts.iter_rows()}


def default_doubt(prior: str = "guard") -> float:
    a, b = PRIOR_DOUBT[prior]
    return a / b


def guard_doubt(decisions: pl.DataFrame | None) -> pl.Expr:
    """The doubt of each pair's guard (column `guard`), learnt from the person decisions
    (None: the priors alone)."""
    rates = {} if decisions is None else doubt(decisions.filter(pl.col("kind") == PERSON), pl.col("category"))
    priors = {g: default_doubt(g) for g in PRIOR_DOUBT if g not in NOT_GUARDS}
    return pl.col("guard").cast(pl.Utf8).replace_strict({**priors, **rates}, default=default_doubt(),
                                                        return_dtype=pl.Float64)
