"""An honest estimate of what is still wrong, without labels (in the style of fastLink's
posterior false discovery and false negative rates).

Every scored pair carries the probability that the run's state for it is wrong:
- a pair in one person: 1 - p, or less where third records vouch for it (a~c and c~b
  make a~b: the pair is wrong only if every such path is broken, `cohort.review.evidence`);
  a pair linked only through other records also by the weaker of its two records' best
  link inside the person;
- a pair kept apart: p, or less where a third record contradicts it: if a is one person
  with c, and b is scored against c, then a~b needs b~c as well, so P(a~b) is at most
  p(b,c) + 1 - p(a,c);
- kept apart by a guard although the rest of its evidence reaches
  `review_accept`: the guard's prior doubt (`cohort.review.doubt.PRIOR_DOUBT`), except
  the twins guard (below). The rates reviewers' answers show are not used as rates: the
  questions answered were chosen as the most doubtful, so they overstate the rest (they
  are shown beside the estimate, per kind of question);
- kept apart by the twins guard (same birthday, home and surname, another forename) with
  own evidence reaching `review_accept` (`_twins_errors`, issue 12): the twins doubt is a
  rate per pair of persons (a question), not per record pair, and twins are not spread
  evenly. A forename written differently once is a slip; a person whose every one of k
  records bears the other forename needs k slips, each priced by the model's own chance
  that one person's forename differs (m of the forename's `different` level), so real
  twins, who each have records of their own, hold most of the record pairs and few of
  the misses. The expected number of pairs of persons that are one person is the prior
  doubt times the pairs there were when reviewers answered (those now plus those
  decided), less the ones reviewers' answers already found: answers move the misses
  they found out of the pool, they do not say the rest are as doubtful as the ones the
  ranking put first. That number is shared among the pairs of persons in proportion to
  the odds each one's k gives;
- a pair a reviewer's answer in force settles (its two records, or records with the same
  details): 0, the run follows the answer.
Expected false links are the sum over pairs in one person, expected missed links the sum
over pairs kept apart, both per pair of sources; to these the matching stage adds what
blocking cannot see (`match_blocking_unseen`: random pairs never compared, scored, scaled
to all pairs). For listed families: a person is wrong with 1 - prod(1 - e) over the pairs
of their records, a family with 1 - prod over its members; the sum over listed families
is the expected number of families with a wrong member.

Where reviewers have answered, the observed error rate in the decided sample (the share
of answers that overturned the run's state) is shown beside the rate the model expected
for those same questions, over all answers and per kind of question (person, household,
families: their questions are chosen and answered differently, so one mixed rate says
little).

Stored in `match_error_estimate` (scope, source_l, source_r, measure, value).
"""

from __future__ import annotations

import math

import duckdb
import polars as pl

from cohort.core.ruleset import Matching
from cohort.core.statuses import LISTED_STATUSES as LISTED
from cohort.core.warehouse import query, read_table, table_exists, write_table
from cohort.matching.compare import FORENAME
from cohort.review.decisions import (
    BINDING, FAMILIES, HOUSEHOLD, MATCH, NOT_A_MATCH, PERSON, latest_decisions, record_profiles, stored_decisions,
)
from cohort.review.doubt import APART, default_doubt, guard_doubt
from cohort.review.evidence import KEYS, Evidence, pair_evidence
from cohort.review.questions import unsettled_pairs

TABLE = "match_error_estimate"
UNSEEN_TABLE = "match_blocking_unseen"
TWINS = "twins"
SCHEMA = {"scope": pl.Utf8, "source_l": pl.Utf8, "source_r": pl.Utf8, "measure": pl.Utf8, "value": pl.Float64}

def _settled(con: duckdb.DuckDBPyConnection, evidence: Evidence) -> pl.Series:
    """`settled`, aligned with `evidence.pairs`: scored pairs a reviewer's answer in force
    settles (cohort.review.questions.unsettled_pairs)."""
    decisions = latest_decisions(con)
    pairs = evidence.pairs
    if not decisions.filter((pl.col("kind") == PERSON) & pl.col("in_force")
                            & pl.col("decision").is_in(BINDING)).height:  # nothing settles a pair
        return pl.select(pl.repeat(False, pairs.height, dtype=pl.Boolean).alias("settled")).to_series()
    keys = evidence.named(pairs.select("key_l", "key_r")).select(KEYS)
    left = unsettled_pairs(con, decisions, keys).select(KEYS).with_columns(pl.lit(False).alias("settled"))
    # Only the keys are joined: a join of the whole frame would copy millions of rows.
    return keys.join(left.unique(KEYS), on=KEYS, how="left", maintain_order="left")["settled"].fill_null(True)


def pair_errors(con: duckdb.DuckDBPyConnection, matching: Matching) -> pl.DataFrame:
    """Every scored pair with `linked` and `error`, the probability its state is wrong,
    its records and persons as text (for readers outside the estimate)."""
    evidence = pair_evidence(con)
    return evidence.named(_pair_errors(con, matching, evidence))


def _pair_errors(con: duckdb.DuckDBPyConnection, matching: Matching, evidence: Evidence) -> pl.DataFrame:
    """`evidence.pairs` with `linked`, `error`, and the pair of sources (pair_l, pair_r)."""
    pairs = evidence.pairs.with_columns(_settled(con, evidence))
    linked = pl.col("person_l") == pl.col("person_r")
    direct = (pl.col("probability") >= matching.link_threshold) & pl.col("guard").is_null()
    vouched = pl.max_horizontal("probability", pl.col("vouched").fill_null(0.0))
    support = pl.max_horizontal(vouched, pl.min_horizontal("conf_l", "conf_r").fill_null(0.0))
    own = 1 / (1 + (2.0 ** -pl.col("match_weight")))
    doubted = pl.col("guard").is_not_null() & (own >= matching.review_accept)
    # Each case's error is a column before one is chosen: a when/then over the expressions
    # themselves takes polars ten times as long on millions of pairs.
    cases = {"_direct": 1.0 - vouched, "_support": 1.0 - support, "_doubted": doubted,
             "_apart": pl.min_horizontal("probability", pl.col("bound").fill_null(1.0))}
    pairs = pairs.with_columns(linked.alias("linked"), (linked & direct).alias("_is_direct"),
                               *[e.alias(name) for name, e in cases.items()]).with_columns(
        pl.when("_is_direct").then("_direct")
        .when("linked").then("_support")
        .when("_doubted").then(guard_doubt(None))
        .otherwise("_apart").clip(0.0, 1.0).alias("error"),
    ).with_columns(
        pl.when(pl.col("settled")).then(0.0).otherwise(pl.col("error")).alias("error"),
        pl.min_horizontal("source_l", "source_r").alias("pair_l"),
        pl.max_horizontal("source_l", "source_r").alias("pair_r"),
        (~pl.col("linked") & pl.col("_doubted") & (pl.col("guard") == TWINS)).alias("_twins"),
    ).drop("_is_direct", *cases)
    return _twins_errors(con, pairs).drop("_twins")


def _slip(con: duckdb.DuckDBPyConnection) -> float:
    """The chance one person's forename differs between two records: this run's estimate
    (`match_weights`), else the model's shipped default."""
    if table_exists(con, "match_weights"):
        m = query(con, "select m from match_weights where comparison = 'forename' and level = 'different'")["m"]
        if m.len() and m[0] is not None and 0 < m[0] < 1:
            return float(m[0])
    return next(level.m for level in FORENAME.levels if level.key == "different")


def _smaller_side(con: duckdb.DuckDBPyConnection, persons: pl.DataFrame) -> pl.DataFrame:
    """person_a, person_b, k: distinct profiles (details the matcher compares) of the
    person of the two with fewer; identical copies of a record are one slip, not two."""
    ids = pl.concat([persons["person_a"], persons["person_b"]]).unique().to_frame("person_id")
    con.register("_twin_persons", ids)
    try:
        recs = query(con, "select l.source, l.record_id, l.person_id from person_links as l "
                          "inner join _twin_persons as p on p.person_id = l.person_id")
    finally:
        con.unregister("_twin_persons")
    n = (recs.join(record_profiles(con, recs), on=["source", "record_id"])
         .group_by("person_id").agg(pl.col("profile").n_unique().alias("n")))
    return (persons.join(n.rename({"person_id": "person_a", "n": "n_a"}), on="person_a", how="left")
            .join(n.rename({"person_id": "person_b", "n": "n_b"}), on="person_b", how="left")
            .select("person_a", "person_b", pl.min_horizontal("n_a", "n_b").fill_null(1).clip(1).alias("k")))


def _share(expected: float, weights: list[float]) -> float:
    """The odds scale t with sum(t w / (1 + t w)) = expected (0 <= expected < len(weights))."""
    lo, hi = -60.0, 60.0  # log t
    for _ in range(100):
        mid = (lo + hi) / 2
        t = math.exp(mid)
        if sum(t * w / (1 + t * w) for w in weights) < expected:
            lo = mid
        else:
            hi = mid
    return math.exp((lo + hi) / 2)


def _twins_errors(con: duckdb.DuckDBPyConnection, pairs: pl.DataFrame) -> pl.DataFrame:
    """The error of twins refusals with strong own evidence (`_twins` rows not settled),
    shared among their pairs of persons by the slips each needs (module docstring)."""
    rows = (pairs.select("person_l", "person_r", "_twins", "settled").with_row_index("_i")
            .filter(pl.col("_twins") & ~pl.col("settled"))
            .select("_i", pl.min_horizontal("person_l", "person_r").cast(pl.Utf8).alias("person_a"),
                    pl.max_horizontal("person_l", "person_r").cast(pl.Utf8).alias("person_b")))
    if rows.height == 0:
        return pairs
    persons = rows.select("person_a", "person_b").unique()
    d = stored_decisions(con).filter((pl.col("kind") == PERSON) & (pl.col("category") == TWINS)
                                     & pl.col("decision").is_in(BINDING) & (pl.col("state") == APART))
    found = d.filter(pl.col("decision") == MATCH).height
    expected = min(max(default_doubt(TWINS) * (persons.height + d.height) - found, 0.0), persons.height - 1e-9)
    # In one order: `_share` sums over them, and floating-point sums depend on the order.
    sides = _smaller_side(con, persons).sort("person_a", "person_b").with_columns(
        (_slip(con) ** (pl.col("k") - 1)).alias("w"))
    t = _share(expected, sides["w"].to_list()) if expected > 0 else 0.0
    sides = sides.with_columns((t * pl.col("w") / (1 + t * pl.col("w"))).alias("_e"))
    # Only the open twins rows take their pair of persons' share; the rest keep their error.
    rows = rows.join(sides.select("person_a", "person_b", "_e"), on=["person_a", "person_b"], how="left")
    return pairs.with_columns(pairs["error"].scatter(rows["_i"], rows["_e"]))


def _rows(scope: str, values: dict[str, float], source_l: str | None = None,
          source_r: str | None = None) -> list[dict]:
    return [{"scope": scope, "source_l": source_l, "source_r": source_r, "measure": k, "value": float(v)}
            for k, v in values.items()]


def observed(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """decided, overturned, observed_error_rate, expected_error_rate over reviewers' binding
    answers, and the same per kind of question ("person decided", ...)."""
    d = stored_decisions(con).filter(pl.col("decision").is_in(BINDING) & pl.col("state").is_not_null())
    if d.height == 0:
        return {}
    overturned = ((pl.col("state") == APART) & (pl.col("decision") == MATCH)) | (
        (pl.col("state") != APART) & (pl.col("decision") == NOT_A_MATCH))
    out = _rates(d, overturned, "")
    for kind in (PERSON, HOUSEHOLD, FAMILIES):
        part = d.filter(pl.col("kind") == kind)
        if part.height:
            out |= _rates(part, overturned, f"{kind} ")
    return out


def _rates(d: pl.DataFrame, overturned: pl.Expr, prefix: str) -> dict[str, float]:
    o = int(d.select(overturned.sum()).item())
    out = {f"{prefix}decided": d.height, f"{prefix}overturned": o, f"{prefix}observed_error_rate": o / d.height}
    chance = d["chance"].drop_nulls()
    if chance.len():
        out[f"{prefix}expected_error_rate"] = float(chance.mean())
    return out


def estimate(con: duckdb.DuckDBPyConnection, matching: Matching, store: bool = True,
             evidence: Evidence | None = None) -> pl.DataFrame:
    """The run's estimate (module docstring) as `match_error_estimate` rows, written to the
    warehouse when `store` (`evidence`: this run's `pair_evidence`, when the caller has it)."""
    pairs = _pair_errors(con, matching, pair_evidence(con) if evidence is None else evidence)
    rows: list[dict] = []
    by_sources = (
        pairs.group_by("pair_l", "pair_r")
        .agg(pl.col("linked").sum().alias("linked_pairs"),
             pl.col("error").filter(pl.col("linked")).sum().alias("expected_false_links"),
             (~pl.col("linked")).sum().alias("apart_pairs"),
             pl.col("error").filter(~pl.col("linked")).sum().alias("expected_missed_links"))
        .sort("pair_l", "pair_r")
    )
    for r in by_sources.iter_rows(named=True):
        rows += _rows("source pair", {k: r[k] for k in ("linked_pairs", "expected_false_links", "apart_pairs",
                                                          "expected_missed_links")}, r["pair_l"], r["pair_r"])
    unseen = 0.0
    if table_exists(con, UNSEEN_TABLE):
        unseen = float(query(con, f"select coalesce(sum(expected_unseen), 0) as u from {UNSEEN_TABLE}")["u"][0])
    totals = {
        "linked_pairs": float(by_sources["linked_pairs"].sum()),
        "expected_false_links": float(by_sources["expected_false_links"].sum()),
        "apart_pairs": float(by_sources["apart_pairs"].sum()),
        "expected_missed_links": float(by_sources["expected_missed_links"].sum()),
        "expected_unseen_links": unseen,
    }
    rows += _rows("all", totals)
    rows += _rows("listed families", _families(con, pairs))
    rows += _rows("decided sample", observed(con))
    frame = pl.DataFrame(rows, schema=SCHEMA).with_columns(pl.col("value").round(6))
    if store:
        write_table(con, TABLE, frame)
    return frame


def _families(con: duckdb.DuckDBPyConnection, pairs: pl.DataFrame) -> dict[str, float]:
    """listed_families and expected_families_with_wrong_member."""
    members = read_table(con, "household_members").select("person_id", "family_id")
    families = query(con, "select family_id from families where list_contains($listed, status)",
                     {"listed": list(LISTED)})
    listed = members.join(families, on="family_id", how="semi")
    # Only the pairs of listed families' members are summed: the county's millions of
    # others would cost a gigabyte for nothing.
    keep = pl.col("error").clip(0.0, 1.0 - 1e-12).neg().log1p()
    pairs = pairs.select("person_l", "person_r", "error")
    # Persons are coded in the pairs (review.evidence): the listed ones are coded alike.
    coded = listed.select(pl.col("person_id").cast(pairs.schema["person_l"], strict=False)).drop_nulls()
    per_person = pl.concat([
        pairs.join(coded, left_on="person_l", right_on="person_id", how="semi")
        .select(pl.col("person_l").alias("person_id"), keep.alias("k")),
        pairs.filter(pl.col("person_l") != pl.col("person_r"))
        .join(coded, left_on="person_r", right_on="person_id", how="semi")
        .select(pl.col("person_r").alias("person_id"), keep.alias("k")),
    ]).group_by("person_id").agg(pl.col("k").sum()).with_columns(pl.col("person_id").cast(pl.Utf8))
    per_family = (listed.join(per_person, on="person_id", how="left")
                  .group_by("family_id").agg(pl.col("k").fill_null(0.0).sum()))
    expected = float(per_family.select((1.0 - pl.col("k").exp()).sum()).item() or 0.0)
    return {"listed_families": families.height, "expected_families_with_wrong_member": expected}


def summary(frame: pl.DataFrame) -> dict[str, float]:
    """measure -> value for the headline scopes (for the run summary and the workbook)."""
    head = frame.filter(pl.col("scope").is_in(["all", "listed families", "decided sample"]))
    return {m: (round(v, 1) if not m.endswith("rate") else round(v, 4)) for m, v in
            head.select("measure", "value").iter_rows()}


def sentences(frame: pl.DataFrame) -> list[str]:
    """The estimate in words, for the workbook's first sheet."""
    s = summary(frame)
    if not s:
        return []
    lines = [
        f"Estimated links that are still wrong (from the model's own probabilities, no labels): about "
        f"{s.get('expected_false_links', 0):,.0f} of {s.get('linked_pairs', 0):,.0f} linked record pairs join two "
        f"different people; about {s.get('expected_missed_links', 0):,.0f} of {s.get('apart_pairs', 0):,.0f} pairs "
        f"kept apart are one person, and about {s.get('expected_unseen_links', 0):,.0f} more that blocking never "
        "compared.",
        f"Expected families with a wrong member: {s.get('expected_families_with_wrong_member', 0):,.0f} of "
        f"{s.get('listed_families', 0):,.0f} listed families.",
    ]
    if "decided" in s:
        lines.append(
            f"Reviewers' answers so far: {s['decided']:,.0f} decided, {s['overturned']:,.0f} overturned the run "
            f"(observed error rate {s['observed_error_rate']:.1%}; the model expected "
            f"{s.get('expected_error_rate', math.nan):.1%} for those questions).")
        kinds = [f"{k} questions {s[k + ' overturned']:,.0f} of {s[k + ' decided']:,.0f} "
                 f"({s[k + ' observed_error_rate']:.1%}; expected {s.get(k + ' expected_error_rate', math.nan):.1%})"
                 for k in (PERSON, HOUSEHOLD, FAMILIES) if f"{k} decided" in s]
        if len(kinds) > 1:
            lines.append("By kind of question: " + "; ".join(kinds) + ".")
    return lines
