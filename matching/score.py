"""Fellegi-Sunter scoring: the sum of per-level match weights, a prior, and hard guards.

m = P(level | same person), u = P(level | two different people picked at random). The
defaults (each level's m and u in compare.py) are judgement, set once as data: the
starting point and fallback of `em.estimate`, which measures them on each month's data
and passes a new `Weights`. A null level (value missing on a side) weighs 0. Two
refinements, also data: exact names, dates of birth and homes use the agreed value's
own frequency as u (the levels marked `tf`), and `Conditional`s replace u where evidence
is not independent (at one home, a shared surname is the rule: the levels' `u_at_home`).
The guards read the levels' roles (`levels.AGREES`, `CONFLICT`...), never level names.

Guards catch what the sum gets wrong inside families: twins share surname, date of
birth and home; a father and son share name and home. A guarded pair's probability is
capped low, it is never a link, and clustering treats it as contrary evidence. An
identifier is strong evidence, not proof: it forgives a date of birth keyed wrongly only
when the names agree too, and never overrules the twins guard.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import polars as pl

from cohort.matching.compare import BY_NAME, COMPARISONS, DEFAULT_MU, QUOTED, TF, level_index, level_is, role_is
from cohort.matching.levels import ALIAS, AGREES, BOTH_NAMES, CLOSE, CONFLICT
from cohort.matching.standardise import CHILD_IDS, PERSON_IDS

DEFAULT_PRIOR = 1e-5   # P(same person) for two profiles at random, when the population is unknown
GUARD_CAP = 0.001      # the most a guarded pair can score
# A pair that agrees on the forename (or has the names swapped) and scores this much is
# not kept apart by a twins-guarded pair elsewhere in the two clusters (cluster.py): its
# own evidence outweighs it. ("1.0" as the review spreadsheet shows it.)
TWINS_OVERRIDE = 0.9999

GUARDS: dict[str, str] = {
    "twins": "guard: same date of birth and home, different forename (twins)",
    "dob_conflict": "guard: clearly different date of birth",
    "id_conflict": "guard: different identifiers, each confirmed by the issuing agency",
    "age": "guard: the date of birth is impossible for the undated record's source",
}


SAME_HOME = BY_NAME["address"].with_role(AGREES)


@dataclass(frozen=True)
class Conditional:
    """u of some levels of one comparison, given other comparisons' levels: for where
    independence fails."""

    name: str
    when: dict[str, tuple[str, ...]]
    comparison: str
    u: dict[str, float]


# Where different people living together agree more often than strangers do (a shared
# surname, identifiers issued together), the levels' u_at_home replaces u at one home.
DEFAULT_CONDITIONALS: tuple[Conditional, ...] = tuple(
    Conditional(f"{c.name}_at_home", {"address": SAME_HOME}, c.name,
                {lv.key: lv.u_at_home for lv in c.levels if lv.u_at_home is not None})
    for c in COMPARISONS if any(lv.u_at_home is not None for lv in c.levels)
)

TF_FLOOR = 1e-7  # the rarest a value's frequency is taken to be


@dataclass(frozen=True)
class Weights:
    """The whole scoring model as data.

    `prior`: P(same person) for two profiles picked at random; None lets the pipeline use
    2 / number of profiles, which with frequency-based u's keeps scores comparable
    between a small district and the whole county. `tf`: comparisons whose frequency
    levels (the levels marked `tf`) use the agreed value's own frequency as u when it is known.
    """

    mu: dict[str, dict[str, tuple[float, float]]] = field(default_factory=lambda: DEFAULT_MU)
    prior: float | None = None
    conditionals: tuple[Conditional, ...] = DEFAULT_CONDITIONALS
    tf: tuple[str, ...] = tuple(TF)

    def table(self) -> pl.DataFrame:
        """comparison, level, label, m, u, weight (log2 m/u): the level table as a frame
        (frequency-based and conditional u's replace some of these per pair)."""
        rows = []
        for comp in COMPARISONS:
            for lv in comp.levels:
                m, u = self.mu[comp.name][lv.key]
                rows.append({"comparison": comp.name, "level": lv.key, "label": lv.label,
                             "m": m, "u": u, "weight": math.log2(m / u)})
        return pl.DataFrame(rows)

    def weight(self, comparison: str, level: str) -> float:
        m, u = self.mu[comparison][level]
        return math.log2(m / u)

    @property
    def prior_weight(self) -> float:
        p = self.prior if self.prior is not None else DEFAULT_PRIOR
        return math.log2(p / (1 - p))


def _weight_expr(w: Weights, comparison: str, columns: list[str]) -> pl.Expr:
    """A comparison's weight: a conditional u where one applies, else the agreed value's
    frequency where known, else the table's m/u."""
    comp = BY_NAME[comparison]
    level = pl.col(comparison).to_physical()   # the level's index: fast on millions of pairs
    out = level.replace_strict(
        {i: w.weight(comparison, k) for i, k in enumerate(comp.keys)}, default=0.0,
        return_dtype=pl.Float64,
    ).fill_null(0.0)
    tf = f"tf_{comparison}"
    if comparison in w.tf and tf in columns:
        m = level.replace_strict({i: w.mu[comparison][k][0] for i, k in enumerate(comp.keys)},
                                 default=None, return_dtype=pl.Float64)
        by_frequency = (m / pl.col(tf).clip(lower_bound=TF_FLOOR)).log(2)
        out = pl.when(pl.col(tf).is_not_null()).then(by_frequency).otherwise(out)
    for c in w.conditionals:
        if c.comparison != comparison:
            continue
        applies = pl.all_horizontal([level_is(k, *levels) for k, levels in c.when.items()]) & level_is(comparison, *c.u)
        conditional = level.replace_strict(
            {level_index(comparison, k): math.log2(w.mu[comparison][k][0] / u) for k, u in c.u.items()},
            default=None, return_dtype=pl.Float64)
        out = pl.when(applies).then(conditional).otherwise(out)
    return out


def _label_expr(comp) -> pl.Expr:
    """A comparison's level as its label; a Jaro-Winkler level quotes its similarity
    ("surname Jaro-Winkler 0.93") when the pair carries it (compare.QUOTED)."""
    label = pl.col(comp.name).cast(pl.Utf8).replace_strict(comp.labels, default=None)
    if comp.name not in QUOTED:
        return label
    sim, levels, words = QUOTED[comp.name]
    hundredths = (pl.col(sim) * 100).round(0).cast(pl.Int32).cast(pl.Utf8).str.zfill(2)
    quoted = pl.lit(f"{words} 0.") + hundredths
    return pl.when(level_is(comp.name, *levels) & pl.col(sim).is_not_null()).then(quoted).otherwise(label)


def _reason_expr(columns: list[str]) -> pl.Expr:
    parts = [
        _label_expr(c) if c.name not in QUOTED or QUOTED[c.name][0] in columns
        else pl.col(c.name).cast(pl.Utf8).replace_strict(c.labels, default=None)
        for c in COMPARISONS
    ]
    return pl.concat_str(parts, separator="; ", ignore_nulls=True)


def _names_agree() -> pl.Expr:
    """Forename and surname agree, allowing a nickname, a typo, a double-barrelled part,
    or the two keyed the wrong way round."""
    return (role_is("forename", AGREES) & role_is("surname", AGREES)) | role_is("forename", BOTH_NAMES)


def _any_id(role: str) -> pl.Expr:
    return pl.any_horizontal([role_is(c, role) for c in PERSON_IDS])


def _near(comparison: str) -> pl.Expr:
    return role_is(comparison, AGREES) | role_is(comparison, CLOSE) | pl.col(comparison).is_null()


def _names_do_not_disagree() -> pl.Expr:
    """No name disagrees (a close spelling, or a name missing on one side, allowed) and
    at least one is there to agree."""
    some = pl.col("forename").is_not_null() | pl.col("surname").is_not_null()
    return (_near("forename") & _near("surname") & some) | role_is("forename", BOTH_NAMES)


def _dob_forgiven() -> pl.Expr:
    """Clearly different dates of birth are one of them keyed wrongly when an identifier
    is the same and the names do not disagree: a stranger's identifier (the usual keying
    error) does not come with the same name, and a father and son named alike have their
    own identifiers."""
    return _any_id(AGREES) & _names_do_not_disagree()


def _guard_expr(age_known: bool = False) -> pl.Expr:
    same_home = role_is("address", AGREES)
    # Twins: one birthday (give or take a keying error), one home, two forenames. A shared
    # identifier says it is one person writing a middle name as the first.
    twins = (
        (role_is("dob", AGREES) | role_is("dob", CLOSE)) & same_home & role_is("forename", CONFLICT)
        & ~_any_id(AGREES)
    )
    dob_conflict = role_is("dob", CONFLICT) & ~_dob_forgiven()
    # An identifier from the issuing agency is sometimes another person's: forgiven when
    # name and date of birth agree anyway (a date one digit off is not agreement: two
    # people of one common name, born a year apart, each with their own NINO). Not for a
    # first/middle swap, nor a nickname: twins are often named so ("Jack Thomas" and
    # "Thomas"; Emily, and Amelia called Millie).
    all_else_agrees = _names_agree() & ~role_is("forename", ALIAS) & role_is("dob", AGREES)
    child_id_only = pl.all_horizontal([~role_is(c, CONFLICT) for c in PERSON_IDS if c not in CHILD_IDS])
    same_child_at_home = (
        _names_agree() & pl.col("dob").is_null() & same_home & child_id_only
    )
    id_conflict = _any_id(CONFLICT) & ~all_else_agrees & ~same_child_at_home
    guard = (
        pl.when(twins).then(pl.lit("twins"))
        .when(dob_conflict).then(pl.lit("dob_conflict"))
        .when(id_conflict).then(pl.lit("id_conflict"))
    )
    if age_known:
        guard = guard.when(pl.col("age_conflict")).then(pl.lit("age"))
    return guard


def pairwise_sum(terms: list[pl.Expr]) -> pl.Expr:
    """The sum of up to eight `terms` as polars' `sum_horizontal` adds them (halves first,
    each half summed the same way: the same bits, tests/test_matching_score.py), written as
    a tree of additions so that a few terms are held at once rather than all of them: eight
    weights of 5.3M pairs are 0.34 GB at county."""
    if len(terms) == 1:
        return terms[0]
    half = len(terms) // 2
    return pairwise_sum(terms[:half]) + pairwise_sum(terms[half:])


def add_probability(compared: pl.DataFrame, weights: Weights | None = None) -> pl.DataFrame:
    """Add match_weight, guard (null or a GUARDS key) and probability to rows of levels
    (candidate pairs, or the distinct patterns of levels that estimation works on)."""
    w = weights or Weights()
    guard = _guard_expr(age_known="age_conflict" in compared.columns)
    # Each half of the weights is summed as a tree of additions, which holds a few weights
    # at once rather than all eight (0.34 GB at county), and the halves side by side so both
    # cores work: the sum's bits are sum_horizontal's (`pairwise_sum`).
    terms = [_weight_expr(w, c.name, compared.columns).fill_null(0.0) for c in COMPARISONS]
    half = len(terms) // 2
    out = compared.with_columns(pairwise_sum(terms[:half]).alias("_w0"), pairwise_sum(terms[half:]).alias("_w1"))
    out = out.with_columns(
        (pl.col("_w0") + pl.col("_w1") + w.prior_weight).alias("match_weight"), guard.alias("guard"),
    ).drop("_w0", "_w1")
    raw_p = 1.0 / (1.0 + (2.0 ** (-pl.col("match_weight"))))
    return out.with_columns(
        pl.when(pl.col("guard").is_not_null())
        .then(pl.min_horizontal(raw_p, pl.lit(GUARD_CAP)))
        .otherwise(raw_p)
        .alias("probability"),
    )


def score_pairs(compared: pl.DataFrame, weights: Weights | None = None) -> pl.DataFrame:
    """Add match_weight, probability, guard (null or a GUARDS key), reason,
    identity_override and dob_override to compared pairs.

    `reason` is the labels of the non-null levels (and the guard), one line, as a
    Categorical: millions of pairs share a few thousand combinations of levels.
    `identity_override` marks pairs whose identifier conflict was forgiven, and
    `dob_override` pairs whose clearly different dates of birth were, so that clustering
    forgives the same for that one merge; `twins_override` pairs whose own evidence of one
    person outweighs a twins-guarded pair elsewhere (TWINS_OVERRIDE).
    """
    unguarded = pl.col("guard").is_null()
    same_forename = role_is("forename", AGREES) | role_is("forename", BOTH_NAMES)
    out = add_probability(compared, weights).with_columns(
        (_any_id(CONFLICT) & unguarded).alias("identity_override"),
        (role_is("dob", CONFLICT) & unguarded).alias("dob_override"),
        (same_forename & unguarded & (pl.col("probability") >= TWINS_OVERRIDE)).alias("twins_override"),
    )
    quoted = [sim for sim, _, _ in QUOTED.values() if sim in out.columns]
    keys = [*(c.name for c in COMPARISONS), *quoted, "guard"]
    reason = pl.concat_str(
        [_reason_expr(out.columns), pl.col("guard").replace_strict(GUARDS, default=None)],
        separator="; ", ignore_nulls=True,
    ).cast(pl.Categorical).alias("reason")
    pattern = _pattern(out, keys)
    if pattern is None:
        reasons = out.select(keys).unique().with_columns(reason)
        return out.join(reasons, on=keys, how="left", nulls_equal=True, maintain_order="left")
    # Found and joined on one integer: on the eleven columns themselves, both held ~0.4 GB
    # beside 5.3M pairs at county, at the match stage's peak.
    codes = out.select(pattern.alias("_pattern"))
    reasons = out.select(keys).with_columns(codes["_pattern"]).unique(subset="_pattern").select("_pattern", reason)
    return out.with_columns(codes.join(reasons, on="_pattern", how="left", maintain_order="left")["reason"])


def _pattern(frame: pl.DataFrame, keys: list[str]) -> pl.Expr | None:
    """One integer per combination of the `keys`' values (null is a value of its own),
    from each column's small code: pairs share a few thousand combinations of levels,
    similarities and guard. None if the combinations could outgrow 63 bits."""
    code, span = pl.lit(0, pl.UInt64), 1
    for k in keys:
        dtype = frame.schema[k]
        if isinstance(dtype, pl.Enum):
            n = len(dtype.categories)
            part = pl.col(k).to_physical().cast(pl.UInt64) + 1
        else:
            values = frame[k].drop_nulls().unique()
            n = values.len()
            part = pl.col(k).replace_strict(values, pl.int_range(1, n + 1, dtype=pl.UInt64, eager=True), default=None)
        code = code + part.fill_null(0) * span
        span *= n + 1
        if span >= 2**63:
            return None
    return code
