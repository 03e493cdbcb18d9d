"""The questions of a run: one per decision a person actually makes.

A person question is about two current persons (or, for a doubtful link inside one
person, about the two records the link rests on). Its candidates are the scored record
pairs the model could not settle (thresholds from the rule set's `[matching]`):
- uncertain: match probability in `[review_reject, review_accept)`;
- kept apart although the pair's own evidence reaches `review_accept`: refused by a guard
  (twins, conflicting identifiers or dates of birth), or by a conflict with other records;
- linked only through other records, the pair's own probability below `review_reject`.
Candidates are grouped by the pair of current persons, so one question shows each
person's records grouped and its answer binds every record pair between them. No pair of
persons is asked twice; a pair whose every candidate is settled by a decision in force
(for these records or records with the same details) is not asked.

A household question is about a person and a family (`cohort.review.households`) or two
families (`cohort.review.family_pairs`).

Each question carries `chance`, the probability that the current state is wrong:
- two persons apart: the best match probability among their pairs, each bounded by a
  third record (`cohort.review.evidence`: a~b needs b~c for every c of a's person);
- a link inside one person: 1 - the best of the pair's own probability, a third record
  vouching for it, and the weaker of the two records' best link inside the person (a
  chain of strong links is strong);
- a guard's refusal of a pair whose own evidence reaches `review_accept`, or a household
  join on weak evidence: the share of such refusals or joins reviewers overturned so far,
  with a prior of 1 in 10 (`doubt`); so a kind of question reviewers keep confirming
  drops below MIN_CHANCE and stops being asked. The workbook shows
  no probability for these, but the evidence on both sides.
A question whose chance is below MIN_CHANCE is not asked: the model is sure of it.
"""

from __future__ import annotations

import math
from datetime import date

import duckdb
import polars as pl

from cohort.core.ruleset import Matching
from cohort.core.sqlrunner import run_sql
from cohort.core.statuses import LISTED_STATUSES as LISTED
from cohort.core.warehouse import query, read_table
from cohort.matching.compare import COMPARISONS
from cohort.matching.pipeline import PAIR_KEYS
from cohort.matching.standardise import PERSON_IDS
from cohort.review.decisions import (
    BINDING, HOUSEHOLD, PERSON, UNSURE, fingerprints, group_text, latest_decisions,
    ordered, record_profiles, stored_decisions,
)
from cohort.review.doubt import APART, IN_FAMILY, LINKED, default_doubt, doubt, guard_doubt  # noqa: F401
from cohort.review.evidence import Evidence, pair_evidence
from cohort.review.family_pairs import family_questions
from cohort.review.households import AddressReader, uncertain_household_joins
from cohort.review.workbook import HOUSEHOLD_QUESTION, PERSON_QUESTION

MIN_CHANCE = 0.1        # below: the model is sure; not a question
MIN_VALUE = 0.25        # chance x (1 + weight) below this: not worth a reviewer's time
MAX_GROUP = 60          # records per side a question binds (distinct profiles); more are not shown
ALSO_AGREE = {"address": ("dwelling",)}




def _agreement_classes() -> dict[str, dict[str, str]]:
    """Level -> agree / partial / differ, from the comparisons' ordered levels (the first
    level agrees, and the same address written out where no UPRN is given)."""
    return {c.name: {k: "agree" if i == 0 or k in ALSO_AGREE.get(c.name, ()) else
                     "differ" if k.startswith("different") else "partial"
                     for i, k in enumerate(c.keys)} for c in COMPARISONS}


def _labels() -> dict[str, dict[str, str]]:
    return {c.name: c.labels for c in COMPARISONS}


def candidate_pairs(con: duckdb.DuckDBPyConnection, matching: Matching,
                    evidence: Evidence | None = None) -> pl.DataFrame:
    """The scored record pairs that may make a person question, each with its chance
    (`evidence`: this run's `pair_evidence`, when the caller has it already)."""
    accept, reject = matching.review_accept, matching.review_reject
    everything = pair_evidence(con) if evidence is None else evidence
    p, same = pl.col("probability"), pl.col("person_l") == pl.col("person_r")
    asked = everything.named(everything.pairs.filter(
        ((p >= reject) & (p < accept))
        | (~same & ((p >= accept) | (pl.col("guard").is_not_null()
                                     & (pl.col("match_weight") >= math.log2(accept / (1 - accept))))))
        | (same & (p < reject))
    ))
    levels = run_sql(con, "review/asked_pair_levels.sql", frames={"_asked": asked.select("pair_row")})
    names = [c.name for c in COMPARISONS if c.name in levels.columns]
    levels = levels.select(*PAIR_KEYS, pl.col("reason").cast(pl.Utf8), *[pl.col(c).cast(pl.Utf8) for c in names])
    pairs = ordered(asked.join(levels, on=list(PAIR_KEYS), how="inner").select(
        *PAIR_KEYS, "probability", "match_weight", "guard", "reason", *names, "person_l", "person_r", "conf_l",
        "conf_r", "vouched", "bound"))
    same = pl.col("person_l") == pl.col("person_r")
    vouched = pl.max_horizontal("probability", pl.col("vouched").fill_null(0.0))
    support = pl.max_horizontal(vouched, pl.min_horizontal("conf_l", "conf_r").fill_null(0.0))
    guard_rate = guard_doubt(stored_decisions(con))
    return pairs.with_columns(
        pl.when(same).then(1.0 - support)
        .when(pl.col("guard").is_not_null()).then(guard_rate)
        .otherwise(pl.min_horizontal("probability", pl.col("bound").fill_null(1.0))).alias("chance"),
        pl.when(same).then(pl.lit(LINKED)).otherwise(pl.lit(APART)).alias("state"),
        (pl.col("guard").is_not_null() & ~same).alias("guarded"),
    ).filter(pl.col("chance") >= MIN_CHANCE)


def unsettled_pairs(con: duckdb.DuckDBPyConnection, decisions: pl.DataFrame,
                      pairs: pl.DataFrame) -> pl.DataFrame:
    """The candidate pairs left once those settled by a decision in force (for the same two
    records, or records with the same details) are taken out."""
    settled = decisions.filter((pl.col("kind") == PERSON) & pl.col("in_force") & pl.col("decision").is_in(BINDING))
    if settled.height == 0 or pairs.height == 0:
        return pairs
    keys = pl.concat([
        f.select(pl.col(f"source_{s}").alias("source"), pl.col(f"record_id_{s}").alias("record_id"))
        for f in (pairs, settled) for s in ("l", "r")
    ]).unique()
    prof = record_profiles(con, keys)

    def profile_pair(frame: pl.DataFrame) -> pl.DataFrame:
        for s in ("l", "r"):
            frame = frame.join(prof.rename({"source": f"source_{s}", "record_id": f"record_id_{s}",
                                            "profile": f"profile_{s}"}), on=[f"source_{s}", f"record_id_{s}"],
                               how="left")
        return frame.with_columns(pl.min_horizontal("profile_l", "profile_r").alias("_p1"),
                                  pl.max_horizontal("profile_l", "profile_r").alias("_p2"))

    decided = profile_pair(settled.select(*PAIR_KEYS)).select("_p1", "_p2").drop_nulls().unique()
    return profile_pair(pairs).join(decided, on=["_p1", "_p2"], how="anti").drop(
        "profile_l", "profile_r", "_p1", "_p2")


def _side_text(recs: pl.DataFrame, key: str) -> pl.DataFrame:
    """Per `key`: the names, dates of birth, latest address and postcode, and the agencies
    of its records, as shown to a reviewer."""
    name = pl.concat_str([pl.col("forename").fill_null("?"), pl.col("surname").fill_null("?").str.to_uppercase()],
                         separator=" ")

    def distinct(expr: pl.Expr, n: int = 3) -> pl.Expr:
        values = expr.drop_nulls().unique(maintain_order=True)
        return pl.when(values.len() > n).then(
            values.head(n).str.join(" / ") + pl.lit(" (+") + (values.len() - n).cast(pl.Utf8) + pl.lit(" more)")
        ).otherwise(values.str.join(" / "))

    by_agency = recs.group_by(key, "source").len().sort(key, "len", "source", descending=[False, True, False])
    agencies = by_agency.group_by(key, maintain_order=True).agg(
        pl.concat_str([pl.col("source"), pl.lit(" ×"), pl.col("len").cast(pl.Utf8)]).str.join(", ").alias("records"))
    shown = (
        recs.sort(key, "record_date", "source", "record_id", descending=[False, True, False, False], nulls_last=True)
        .with_columns(name.alias("_name"), pl.col("dob").dt.strftime("%d/%m/%Y").alias("_dob"))
        .group_by(key, maintain_order=True)
        .agg(distinct(pl.col("_name")).alias("name"), distinct(pl.col("_dob")).alias("dob"),
             pl.col("address").drop_nulls().first().alias("address"),
             pl.col("postcode").drop_nulls().first().alias("postcode"))
    )
    return shown.join(agencies, on=key, how="left")


def person_questions(con: duckdb.DuckDBPyConnection, matching: Matching, decisions: pl.DataFrame,
                     evidence: Evidence | None = None) -> pl.DataFrame:
    """One row per person question (module docstring), unranked."""
    pairs = unsettled_pairs(con, decisions, candidate_pairs(con, matching, evidence))
    if pairs.height == 0:
        return pl.DataFrame()
    pairs = pairs.with_columns(
        pl.min_horizontal("person_l", "person_r").alias("person_a"),
        pl.max_horizontal("person_l", "person_r").alias("person_b"),
    )
    # The pair a question stands on: its most doubtful one.
    rep = pairs.sort(["person_a", "person_b", "chance", "probability", "source_l", "record_id_l", "source_r",
                      "record_id_r"], descending=[False, False, True, True, False, False, False, False]).unique(
        ["person_a", "person_b"], keep="first")
    # Side A is the person of the pair's left record.
    rep = rep.with_columns(pl.col("person_l").alias("person_a"), pl.col("person_r").alias("person_b"))
    n_pairs = pairs.group_by(pl.min_horizontal("person_l", "person_r").alias("_k1"),
                             pl.max_horizontal("person_l", "person_r").alias("_k2")).len()
    rep = rep.with_columns(pl.min_horizontal("person_a", "person_b").alias("_k1"),
                           pl.max_horizontal("person_a", "person_b").alias("_k2")).join(
        n_pairs, on=["_k1", "_k2"], how="left").rename({"len": "pairs_between"})

    persons = pl.concat([rep.select(pl.col("person_a").alias("person_id")),
                         rep.select(pl.col("person_b").alias("person_id"))]).unique()
    recs = run_sql(con, "review/records_shown.sql", frames={"_persons": persons})
    fp = fingerprints(con, recs.select("source", "record_id"))
    prof = record_profiles(con, recs.select("source", "record_id"))
    recs = recs.join(fp, on=["source", "record_id"], how="left").join(prof, on=["source", "record_id"], how="left")

    # Between two persons: every record of each (one per profile); inside one person: the
    # pair's two records.
    between = rep.filter(pl.col("state") == APART)
    inside = rep.filter(pl.col("state") == LINKED)
    one_each = (recs.sort("source", "record_id").unique(["person_id", "profile"], keep="first")
                .with_columns(pl.int_range(pl.len()).over("person_id").alias("_n")).filter(pl.col("_n") < MAX_GROUP))
    groups = group_text(one_each, "person_id")
    side_all = _side_text(recs, "person_id")
    shown_cols = ["name", "dob", "address", "postcode", "records"]

    def sides_between(frame: pl.DataFrame) -> pl.DataFrame:
        for s in ("a", "b"):
            frame = (frame.join(groups.rename({"person_id": f"person_{s}", "group": f"group_{s}"}),
                                on=f"person_{s}", how="left")
                     .join(side_all.rename({"person_id": f"person_{s}", **{c: f"{c}_{s}" for c in shown_cols}}),
                           on=f"person_{s}", how="left"))
        return frame

    def sides_inside(frame: pl.DataFrame) -> pl.DataFrame:
        keyed = recs.with_columns(pl.concat_str(["source", "record_id"], separator=":").alias("_key"))
        single = _side_text(keyed, "_key")
        grp = keyed.with_columns(pl.concat_str(["source", "record_id", pl.col("fingerprint").fill_null("")],
                                               separator=":").alias("group")).select("_key", "group")
        for s, side in (("a", "l"), ("b", "r")):
            k = pl.concat_str([f"source_{side}", f"record_id_{side}"], separator=":").alias("_key")
            frame = (frame.with_columns(k).join(grp.rename({"group": f"group_{s}"}), on="_key", how="left")
                     .join(single.rename({c: f"{c}_{s}" for c in shown_cols}), on="_key", how="left").drop("_key"))
        return frame

    parts = [f for f in (sides_between(between) if between.height else None,
                         sides_inside(inside) if inside.height else None) if f is not None]
    out = pl.concat(parts, how="diagonal_relaxed")
    fpl = fp.rename({"source": "source_l", "record_id": "record_id_l", "fingerprint": "fingerprint_a"})
    fpr = fp.rename({"source": "source_r", "record_id": "record_id_r", "fingerprint": "fingerprint_b"})
    classes, labels = _agreement_classes(), _labels()

    def agree(name: str) -> pl.Expr:
        return (pl.col(name).replace_strict(classes[name], default=None) if name in out.columns
                else pl.lit(None, pl.Utf8))

    name_agree = (
        pl.when((agree("forename") == "agree") & (agree("surname") == "agree")).then(pl.lit("agree"))
        .when((agree("forename") == "differ") | (agree("surname") == "differ")).then(pl.lit("differ"))
        .when(agree("forename").is_null() & agree("surname").is_null()).then(None)
        .otherwise(pl.lit("partial"))
    )
    ids = [c for c in PERSON_IDS if c in out.columns]
    identifiers = pl.concat_str([pl.col(c).replace_strict(labels[c], default=None) for c in ids],
                                separator="; ", ignore_nulls=True) if ids else pl.lit(None, pl.Utf8)
    differences = pl.concat_str([
        pl.when(agree(n) != "agree").then(pl.col(n).replace_strict(labels[n], default=None))
        for n in ("forename", "surname", "dob", "address", *ids) if n in out.columns
    ], separator="; ", ignore_nulls=True)
    guard_text = pl.format("refused by the '{}' rule although names, date of birth and address point to one person "
                           "(evidence for: {}; against: {})", pl.col("guard").cast(pl.Utf8),
                           pl.col("_for"), pl.col("_against"))
    agreeing = pl.concat_str([
        pl.when(agree(n) == "agree").then(pl.col(n).replace_strict(labels[n], default=None))
        for n in ("forename", "surname", "dob", "address", *ids) if n in out.columns
    ], separator="; ", ignore_nulls=True)
    between_text = pl.format("{} record pair(s) between them; the most doubtful: ", pl.col("pairs_between"))
    return (
        out.join(fpl, on=["source_l", "record_id_l"], how="left").join(fpr, on=["source_r", "record_id_r"], how="left")
        .with_columns(_for=agreeing, _against=differences)
        .with_columns(
            pl.lit(PERSON).alias("kind"),
            pl.lit(PERSON_QUESTION).alias("question"),
            pl.col("source_l").alias("source_a"), pl.col("record_id_l").alias("record_id_a"),
            pl.col("source_r").alias("source_b"), pl.col("record_id_r").alias("record_id_b"),
            name_agree.alias("agree_name"), agree("dob").alias("agree_dob"),
            agree("address").alias("agree_address"), agree("address").alias("agree_postcode"),
            identifiers.alias("identifiers"),
            pl.col("_against").alias("differences"),
            pl.when(pl.col("guarded")).then(guard_text)
            .when(pl.col("state") == LINKED).then(pl.lit("linked only through other records, or weakly: ")
                                                   + pl.col("reason"))
            .otherwise(between_text + pl.col("reason")).alias("reason"),
            pl.when(pl.col("guarded")).then(None).otherwise(pl.col("chance")).alias("chance_shown"),
            pl.col("guard").cast(pl.Utf8).alias("category"),
        )
        .drop("_for", "_against")
    )


def household_questions(con: duckdb.DuckDBPyConnection, as_of: date, decisions: pl.DataFrame,
                        addresses: AddressReader | None = None) -> pl.DataFrame:
    """One row per member of a listed family joined to it on weak evidence, not decided."""
    listed = query(con, "select family_id from families where list_contains($listed, status)", {"listed": list(LISTED)})
    joins = uncertain_household_joins(con, as_of, addresses).join(listed, on="family_id", how="semi").unique(
        ["person_a", "family_id"], keep="first")
    settled = decisions.filter((pl.col("kind") == HOUSEHOLD) & pl.col("in_force")
                               & pl.col("decision").is_in(BINDING)).select(
        pl.col("source_l").alias("source_a"), pl.col("record_id_l").alias("record_id_a"))
    joins = joins.join(settled, on=["source_a", "record_id_a"], how="anti")
    if joins.height == 0:
        return pl.DataFrame()
    sides = pl.concat([
        joins.select(pl.col("source_a").alias("source"), pl.col("record_id_a").alias("record_id")),
        joins.select(pl.col("source_b").alias("source"), pl.col("record_id_b").alias("record_id")),
    ])
    fp = fingerprints(con, sides)
    recs = run_sql(con, "review/records_given.sql", frames={"_given": sides.unique()}).with_columns(
        pl.concat_str(["source", "record_id"], separator=":").alias("_key"))
    shown = _side_text(recs, "_key")
    cols = ["name", "dob", "address", "postcode", "records"]
    stored = stored_decisions(con)
    rates = doubt(stored.filter(pl.col("kind") == HOUSEHOLD), pl.col("category"), "household")
    out = joins
    for s in ("a", "b"):
        out = (out.with_columns(pl.concat_str([f"source_{s}", f"record_id_{s}"], separator=":").alias("_key"))
               .join(shown.rename({c: f"{c}_{s}" for c in cols}), on="_key", how="left").drop("_key")
               .join(fp.rename({"source": f"source_{s}", "record_id": f"record_id_{s}",
                                "fingerprint": f"fingerprint_{s}"}), on=[f"source_{s}", f"record_id_{s}"], how="left"))
    return out.with_columns(
        pl.lit(HOUSEHOLD).alias("kind"),
        pl.lit(HOUSEHOLD_QUESTION).alias("question"),
        pl.lit(IN_FAMILY).alias("state"),
        pl.lit(rates.get(HOUSEHOLD, default_doubt("household"))).alias("chance"),
        pl.lit(None, pl.Float64).alias("chance_shown"),
        pl.lit(HOUSEHOLD).alias("category"),
        pl.col("reason").alias("differences"),
        ("joined to family " + pl.col("family_id") + " on weak address evidence: " + pl.col("reason")).alias("reason"),
        pl.when(pl.col("name_a") == pl.col("name_b")).then(pl.lit("agree")).alias("agree_name"),
        pl.lit(None, pl.Utf8).alias("agree_dob"),
        pl.lit(None, pl.Utf8).alias("identifiers"),
        pl.concat_str([pl.col("source_a"), pl.col("record_id_a"), pl.col("fingerprint_a").fill_null("")],
                      separator=":").alias("group_a"),
        pl.concat_str([pl.col("source_b"), pl.col("record_id_b"), pl.col("fingerprint_b").fill_null("")],
                      separator=":").alias("group_b"),
    )


def earlier_decisions(con: duckdb.DuckDBPyConnection, decisions: pl.DataFrame) -> pl.DataFrame:
    """kind, person_a, person_b (sorted), earlier: the latest lapsed or `unsure` decision
    about two current persons, in words."""
    shown = decisions.filter(pl.col("present") & (~pl.col("in_force") | (pl.col("decision") == UNSURE)))
    schema = {"kind": pl.Utf8, "_k1": pl.Utf8, "_k2": pl.Utf8, "earlier": pl.Utf8}
    if shown.height == 0:
        return pl.DataFrame(schema=schema)
    links = read_table(con, "person_links").select("source", "record_id", "person_id")
    for s in ("l", "r"):
        shown = shown.join(links.rename({"source": f"source_{s}", "record_id": f"record_id_{s}",
                                         "person_id": f"p_{s}"}), on=[f"source_{s}", f"record_id_{s}"])
    text = pl.concat_str([
        pl.col("decision"), pl.lit(" by "), pl.col("reviewer").fill_null("?"), pl.lit(" on "),
        pl.col("decided_at").dt.strftime("%d/%m/%Y"),
        pl.when(pl.col("decision") != UNSURE).then(pl.lit("; a record has changed since")).otherwise(pl.lit("")),
        pl.when(pl.col("note").is_not_null()).then(pl.lit(": ") + pl.col("note")).otherwise(pl.lit("")),
    ])
    return (
        shown.with_columns(pl.min_horizontal("p_l", "p_r").alias("_k1"), pl.max_horizontal("p_l", "p_r").alias("_k2"),
                           text.alias("earlier"))
        .sort("seq", descending=True).unique(["kind", "_k1", "_k2"], keep="first").select(list(schema))
    )


QUESTION_COLUMNS = {
    "kind": pl.Utf8, "question": pl.Utf8, "state": pl.Utf8, "chance": pl.Float64, "chance_shown": pl.Float64,
    "category": pl.Utf8, "reason": pl.Utf8, "differences": pl.Utf8, "identifiers": pl.Utf8,
    "person_a": pl.Utf8, "person_b": pl.Utf8,
    "source_a": pl.Utf8, "record_id_a": pl.Utf8, "source_b": pl.Utf8, "record_id_b": pl.Utf8,
    "fingerprint_a": pl.Utf8, "fingerprint_b": pl.Utf8, "group_a": pl.Utf8, "group_b": pl.Utf8,
    "name_a": pl.Utf8, "dob_a": pl.Utf8, "address_a": pl.Utf8, "postcode_a": pl.Utf8, "records_a": pl.Utf8,
    "name_b": pl.Utf8, "dob_b": pl.Utf8, "address_b": pl.Utf8, "postcode_b": pl.Utf8, "records_b": pl.Utf8,
    "agree_name": pl.Utf8, "agree_dob": pl.Utf8, "agree_address": pl.Utf8, "agree_postcode": pl.Utf8,
}


def all_questions(con: duckdb.DuckDBPyConnection, as_of: date, matching: Matching,
                  evidence: Evidence | None = None) -> pl.DataFrame:
    """Every question of this run (QUESTION_COLUMNS + earlier), unranked."""
    decisions = latest_decisions(con)
    addresses = AddressReader(con, as_of)  # read once for both kinds of household question
    parts = [f for f in (person_questions(con, matching, decisions, evidence),
                         household_questions(con, as_of, decisions, addresses),
                         family_questions(con, as_of, decisions, addresses))
             if f.height]
    if not parts:
        return pl.DataFrame(schema={**QUESTION_COLUMNS, "earlier": pl.Utf8})
    questions = pl.concat([f.select([c for c in QUESTION_COLUMNS if c in f.columns]) for f in parts],
                          how="diagonal_relaxed")
    questions = questions.with_columns(
        *[pl.lit(None, t).alias(c) for c, t in QUESTION_COLUMNS.items() if c not in questions.columns]
    ).select(list(QUESTION_COLUMNS)).cast(QUESTION_COLUMNS)
    earlier = earlier_decisions(con, decisions)
    return (
        questions.with_columns(pl.min_horizontal("person_a", "person_b").alias("_k1"),
                               pl.max_horizontal("person_a", "person_b").alias("_k2"))
        .join(earlier, on=["kind", "_k1", "_k2"], how="left").drop("_k1", "_k2")
    )
