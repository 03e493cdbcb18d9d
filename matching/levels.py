"""Comparison levels as objects: one level carries everything known about it.

After Splink's `ComparisonLevel` and `Comparison`: a level holds its condition, its
label, its default m and u, whether its u is the agreed value's own frequency, its u
among people living together, the similarity its reason quotes, and the roles the guards
give it. The tables that scoring, estimation, the reasons and the review read (which
profile fields a comparison needs, which levels are weighed by frequency, the default
m/u table...) are derived from these objects, so they cannot disagree.

A pair frame holds the two profiles' fields side by side (`*_l`, `*_r`) plus computed
similarities (`fn_jw`...); a condition is a polars expression over them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import polars as pl

# Roles: what a level says to the guards (score.py). A level has at most one verdict.
AGREES = "agrees"          # one value, give or take a keying error or a nickname (an
                           # address: one home)
CLOSE = "close"            # not one value, but close enough not to disagree
CONFLICT = "conflict"      # the two values say two people (given the rest agrees)
BOTH_NAMES = "both_names"  # forename and surname keyed the wrong way round: this level
                           # holds the evidence of both names
ALIAS = "alias"            # agrees only as another form of the value (a nickname): twins
                           # may be called so, so it does not forgive two issued identifiers
VERDICTS = (AGREES, CLOSE, CONFLICT)
ROLES = (*VERDICTS, BOTH_NAMES, ALIAS)


def left(field: str) -> pl.Expr:
    return pl.col(f"{field}_l")


def right(field: str) -> pl.Expr:
    return pl.col(f"{field}_r")


def both(field: str) -> pl.Expr:
    return left(field).is_not_null() & right(field).is_not_null()


def chain(null_when: pl.Expr, cases: list[tuple[pl.Expr, str]], otherwise: str) -> pl.Expr:
    """First matching case wins; null when `null_when` holds."""
    out = pl.when(null_when).then(pl.lit(None, pl.Utf8))
    for cond, key in cases:
        out = out.when(cond.fill_null(False)).then(pl.lit(key))
    return out.otherwise(pl.lit(otherwise))


@dataclass(frozen=True)
class Level:
    """One ordered level of a comparison.

    `when`: builds the condition over a pair frame (None for the last, "else" level, or
    when the comparison's `rule` decides every level at once). `m`, `u`: the shipped
    P(level | one person) and P(level | two people at random), the starting point and
    fallback of estimation. `tf`: u is the agreed value's own frequency when known.
    `u_at_home`: u among different people living together, where it is not the
    stranger's u. `quote`: (similarity column, words before it) for a reason that quotes
    the similarity the level rests on ("surname Jaro-Winkler 0.93").
    """

    key: str
    label: str
    m: float
    u: float
    when: Callable[[], pl.Expr] | None = None
    roles: tuple[str, ...] = ()
    tf: bool = False
    u_at_home: float | None = None
    quote: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        unknown = set(self.roles) - set(ROLES)
        if unknown:
            raise ValueError(f"level {self.key}: unknown roles {sorted(unknown)}")
        if len(set(self.roles) & set(VERDICTS)) > 1:
            raise ValueError(f"level {self.key}: more than one verdict in {self.roles}")
        for p in (self.m, self.u, self.u_at_home):
            if p is not None and not 0.0 < p <= 1.0:
                raise ValueError(f"level {self.key}: probabilities must be in (0, 1]")


@dataclass(frozen=True)
class Comparison:
    """Ordered levels, best first, of one comparison.

    The level of a pair is null when `null_when` holds (a value missing on a side: no
    evidence either way), else the first level whose condition holds, else the last.
    A comparison whose levels share much of their logic (the address) gives a `rule`
    that returns the level key itself, and levels without conditions.
    """

    name: str
    levels: tuple[Level, ...]
    null_when: Callable[[], pl.Expr] | None = None
    rule: Callable[[], pl.Expr] | None = None

    def __post_init__(self) -> None:
        if len(set(self.keys)) != len(self.keys):
            raise ValueError(f"comparison {self.name}: level keys repeat")
        if self.rule is None:
            if self.null_when is None or self.levels[-1].when is not None:
                raise ValueError(f"comparison {self.name}: needs null_when and a last level without a condition")
            if any(lv.when is None for lv in self.levels[:-1]):
                raise ValueError(f"comparison {self.name}: only the last level may have no condition")
        elif any(lv.when is not None for lv in self.levels):
            raise ValueError(f"comparison {self.name}: a rule decides the levels; they take no condition")
        if len({lv.quote[0] for lv in self.levels if lv.quote}) > 1:
            raise ValueError(f"comparison {self.name}: quotes more than one similarity")

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(lv.key for lv in self.levels)

    @property
    def labels(self) -> dict[str, str]:
        return {lv.key: lv.label for lv in self.levels}

    @property
    def dtype(self) -> pl.Enum:
        return pl.Enum(list(self.keys))

    def label(self, key: str) -> str:
        return self.labels[key]

    def index(self, key: str) -> int:
        return self.keys.index(key)

    def with_role(self, role: str) -> tuple[str, ...]:
        return tuple(lv.key for lv in self.levels if role in lv.roles)

    @property
    def tf_levels(self) -> tuple[str, ...]:
        return tuple(lv.key for lv in self.levels if lv.tf)

    @property
    def quoted(self) -> tuple[str, tuple[str, ...], str] | None:
        """(similarity column, levels that quote it, words before it), or None."""
        quoting = [lv for lv in self.levels if lv.quote]
        if not quoting:
            return None
        return quoting[0].quote[0], tuple(lv.key for lv in quoting), quoting[0].quote[1]

    def expr(self) -> pl.Expr:
        """The level of each pair, as this comparison's Enum."""
        if self.rule is not None:
            built = self.rule()
        else:
            cases = [(lv.when(), lv.key) for lv in self.levels[:-1]]
            built = chain(self.null_when(), cases, self.levels[-1].key)
        return built.cast(self.dtype).alias(self.name)

    def fields(self) -> tuple[str, ...]:
        """The profile fields the levels read (a pair frame's `<field>_l`/`_r` columns)."""
        return tuple(dict.fromkeys(_sides(self.expr())))


def _sides(expr: pl.Expr) -> list[str]:
    return [n[:-2] for n in expr.meta.root_names() if n.endswith(("_l", "_r"))]


def pair_fields(comparisons: tuple[Comparison, ...], similarities: tuple[tuple, ...]) -> tuple[str, ...]:
    """Every profile field read by the comparisons' levels or by the similarities they use
    (rows of column, left field, right field, scorer, where)."""
    fields = [f for c in comparisons for f in c.fields()]
    for _, field_l, field_r, _, where in similarities:
        fields += [field_l, field_r, *(_sides(where) if where is not None else [])]
    return tuple(dict.fromkeys(fields))
