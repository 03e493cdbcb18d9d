"""Household questions about two current families the run kept apart although their
dwellings' addresses nearly agree, and what a reviewer's answer does (decision 74).

The households stage joins two addresses only when flat, number, street (allowing a
typo) and postcode (one character apart at most) all agree. Two near misses it leaves
apart are asked about, each between the current-address records of one member of each
family (`cohort.review.households.current_address_records`):
- `postcode`: the same flat, number and street, both postcodes given, in one postcode
  district but more than one character apart (an agency still writing a street's
  postcode from before Royal Mail recoded it, or a double slip);
- `street`: the same flat, number and postcode, the street names close but beyond the
  typo the households stage allows;
- `missing`: the same flat, number and street, one postcode blank (the households stage
  leaves such an address alone when it matches several dwellings), and no other town named.
Records on two different open tenancies are never asked about. Only questions that would
change a listed family are kept (the ranking in `cohort.reports.review` drops the rest).

`match` merges the two families while both records are unchanged and still their
persons' current-address records; `not a match` keeps them apart and the two families
are not asked about again while both records are unchanged.
"""

from __future__ import annotations

import logging
from datetime import date

import duckdb
import polars as pl
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.process import cpdist

from cohort.core.warehouse import query, read_table, table_exists, write_table
from cohort.matching.address import with_normalised_postcode
from cohort.review.decisions import BINDING, FAMILIES, MATCH, fingerprints, latest_decisions
from cohort.review.doubt import APART, PRIOR_DOUBT, default_doubt, doubt
from cohort.review.households import AddressReader, current_address_records
from cohort.review.workbook import FAMILIES_QUESTION

log = logging.getLogger(__name__)

STREET_CLOSE = 0.80     # street names this close (Jaro-Winkler) under one postcode are asked about
SHOWN_MEMBERS = 4       # members named per family; the rest counted
STRENGTH = {"postcode": 0, "street": 1, "missing": 2}   # a pair of families is asked on its strongest near miss
CATEGORY = {"postcode": "family postcode", "street": "family street", "missing": "family no postcode"}
PAIR_SCHEMA = {"family_a": pl.Utf8, "family_b": pl.Utf8, "person_a": pl.Utf8, "source_a": pl.Utf8,
               "record_id_a": pl.Utf8, "person_b": pl.Utf8, "source_b": pl.Utf8, "record_id_b": pl.Utf8,
               "category": pl.Utf8}


def _dwelling_records(con: duckdb.DuckDBPyConnection, reader: AddressReader) -> pl.DataFrame:
    """family_id, person_id, source, record_id, tenancy_ref, flat, premise, street,
    street_name, street_type, locality, pc, district: each member's dwelling record, read."""
    members = read_table(con, "household_members").select("person_id", "family_id")
    cur = with_normalised_postcode(reader.dwellings.join(members, on="person_id", how="inner"), "postcode", "pc")
    return (
        cur.with_columns(pl.col("flat").fill_null(""))
        .with_columns(pl.col("pc").str.extract(r"^(\S+) ", 1).alias("district"))
        .filter(pl.col("premise").is_not_null() & pl.col("street").is_not_null())
    )


def split_family_pairs(con: duckdb.DuckDBPyConnection, as_of: date,
                       reader: AddressReader | None = None) -> pl.DataFrame:
    """PAIR_SCHEMA: one row per pair of current families whose dwellings nearly agree
    (module docstring), on its strongest near miss's first record pair in key order; side A holds the smaller
    (source, record_id)."""
    recs = _dwelling_records(con, reader or AddressReader(con, as_of))
    cols = ["family_id", "person_id", "source", "record_id", "tenancy_ref", "flat", "premise", "street",
            "street_name", "street_type", "locality", "pc", "district"]
    recs = recs.select(cols)
    right = recs.rename({c: f"{c}_r" for c in cols})
    same_street = recs.join(right, left_on=["flat", "premise", "street"], right_on=["flat_r", "premise_r", "street_r"])
    within = (pl.col("locality").str.contains(pl.col("locality_r"), literal=True)
              | pl.col("locality_r").str.contains(pl.col("locality"), literal=True))
    one_town = (pl.col("locality").is_null() | pl.col("locality_r").is_null() | within).fill_null(False)
    one_missing = (pl.col("pc").is_null() != pl.col("pc_r").is_null()) & one_town
    by_postcode = same_street.filter(
        ((pl.col("district") == pl.col("district_r")) & (pl.col("pc") != pl.col("pc_r"))).fill_null(False)
        | one_missing).with_columns(
        pl.when(one_missing).then(pl.lit("missing")).otherwise(pl.lit("postcode")).alias("reason"))
    by_street = recs.drop_nulls("pc").join(
        right, left_on=["flat", "premise", "pc"], right_on=["flat_r", "premise_r", "pc_r"]).filter(
        pl.col("street") != pl.col("street_r"))
    jw = cpdist(by_street["street_name"].fill_null("").to_list(), by_street["street_name_r"].fill_null("").to_list(),
                scorer=JaroWinkler.normalized_similarity, workers=1) if by_street.height else []
    same_type = (pl.col("street_type") == pl.col("street_type_r")).fill_null(True)
    by_street = by_street.with_columns(pl.Series("_jw", jw, dtype=pl.Float64)).filter(
        (pl.col("_jw") >= STREET_CLOSE) & same_type).with_columns(pl.lit("street").alias("reason"))
    keep = ["family_id", "family_id_r", "person_id", "source", "record_id", "person_id_r", "source_r",
            "record_id_r", "tenancy_ref", "tenancy_ref_r", "reason"]
    pairs = pl.concat([f.select(keep) for f in (by_postcode, by_street)])
    other_tenancy = (pl.col("tenancy_ref") != pl.col("tenancy_ref_r")).fill_null(False)
    a_first = (pl.col("source") < pl.col("source_r")) | (
        (pl.col("source") == pl.col("source_r")) & (pl.col("record_id") < pl.col("record_id_r")))
    pairs = pairs.filter((pl.col("family_id") != pl.col("family_id_r")) & ~other_tenancy & a_first)
    if pairs.height == 0:
        return pl.DataFrame(schema=PAIR_SCHEMA)
    return (
        pairs.with_columns(pl.min_horizontal("family_id", "family_id_r").alias("_f1"),
                           pl.max_horizontal("family_id", "family_id_r").alias("_f2"))
        .with_columns(pl.col("reason").replace_strict(STRENGTH, return_dtype=pl.Int8).alias("_strength"))
        .sort("_f1", "_f2", "_strength", "source", "record_id", "source_r", "record_id_r")
        .unique(["_f1", "_f2"], keep="first")
        .select(pl.col("family_id").alias("family_a"), pl.col("family_id_r").alias("family_b"),
                pl.col("person_id").alias("person_a"), "source", "record_id",
                pl.col("person_id_r").alias("person_b"), pl.col("source_r").alias("source_b"),
                pl.col("record_id_r").alias("record_id_b"),
                pl.col("reason").replace_strict(CATEGORY).alias("category"))
        .rename({"source": "source_a", "record_id": "record_id_a"})
        .sort("family_a", "family_b")
    )


def _decided_family_pairs(decisions: pl.DataFrame, cur: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """_f1, _f2: pairs of current families a decision in force still speaks for (both
    records unchanged and still their persons' current-address records)."""
    fam = cur.join(members, on="person_id").select("source", "record_id", "family_id")
    d = decisions.filter((pl.col("kind") == FAMILIES) & pl.col("in_force") & pl.col("decision").is_in(BINDING))
    d = (d.join(fam.rename({"source": "source_l", "record_id": "record_id_l", "family_id": "f_l"}),
                on=["source_l", "record_id_l"])
         .join(fam.rename({"source": "source_r", "record_id": "record_id_r", "family_id": "f_r"}),
               on=["source_r", "record_id_r"]))
    return d.select(pl.min_horizontal("f_l", "f_r").alias("_f1"), pl.max_horizontal("f_l", "f_r").alias("_f2"))


def _family_text(con: duckdb.DuckDBPyConnection, families: pl.Series) -> pl.DataFrame:
    """family_id, names, dobs, size: the members as the workbook shows them (name and date
    of birth from each member's latest record, as a person question shows them)."""
    members = read_table(con, "household_members").filter(pl.col("family_id").is_in(families.implode()))
    con.register("_fm", members.select("person_id", "family_id"))
    try:
        recs = query(con, """
            select m.family_id, m.person_id, r.forename, r.surname, r.dob
            from _fm as m
            inner join person_links as l on l.person_id = m.person_id
            inner join records as r on r.source = l.source and r.record_id = l.record_id
            qualify row_number() over (partition by m.person_id
                                       order by r.record_date desc nulls last, r.source, r.record_id) = 1""")
    finally:
        con.unregister("_fm")
    shown = recs.sort("family_id", "person_id").with_columns(
        pl.concat_str([pl.col("forename").fill_null(""), pl.col("surname").fill_null("")], separator=" ")
        .str.strip_chars().alias("_name"),
        pl.col("dob").dt.strftime("%d/%m/%Y").fill_null("?").alias("_dob"))
    more = pl.when(pl.len() > SHOWN_MEMBERS).then(pl.format(" (+{} more)", pl.len() - SHOWN_MEMBERS)).otherwise(
        pl.lit(""))
    return shown.group_by("family_id", maintain_order=True).agg(
        (pl.col("_name").head(SHOWN_MEMBERS).str.join(" / ") + more).alias("names"),
        (pl.col("_dob").head(SHOWN_MEMBERS).str.join(" / ") + more).alias("dobs"),
        pl.len().alias("size"))


def family_questions(con: duckdb.DuckDBPyConnection, as_of: date, decisions: pl.DataFrame,
                     reader: AddressReader | None = None) -> pl.DataFrame:
    """One row per pair of families nearly at one address (module docstring), not decided."""
    reader = reader or AddressReader(con, as_of)
    pairs = split_family_pairs(con, as_of, reader)
    if pairs.height == 0:
        return pl.DataFrame()
    members = read_table(con, "household_members").select("person_id", "family_id")
    cur = reader.current
    decided = _decided_family_pairs(decisions, cur, members)
    pairs = pairs.with_columns(pl.min_horizontal("family_a", "family_b").alias("_f1"),
                               pl.max_horizontal("family_a", "family_b").alias("_f2")).join(
        decided, on=["_f1", "_f2"], how="anti").drop("_f1", "_f2")
    if pairs.height == 0:
        return pl.DataFrame()
    text = _family_text(con, pl.concat([pairs["family_a"], pairs["family_b"]]).unique())
    shown = cur.select("source", "record_id", "address", "postcode")
    fp = fingerprints(con, pl.concat([
        pairs.select(pl.col("source_a").alias("source"), pl.col("record_id_a").alias("record_id")),
        pairs.select(pl.col("source_b").alias("source"), pl.col("record_id_b").alias("record_id"))]))
    # each category's prior until reviewers have answered some of its questions
    priors = {c: default_doubt(c if c in PRIOR_DOUBT else "family") for c in CATEGORY.values()}
    rates = priors | doubt(decisions.filter(pl.col("kind") == FAMILIES), pl.col("category"), "family")
    out = pairs
    for s in ("a", "b"):
        out = (out.join(text.rename({"family_id": f"family_{s}", "names": f"name_{s}", "dobs": f"dob_{s}",
                                     "size": f"size_{s}"}), on=f"family_{s}", how="left")
               .join(shown.rename({"source": f"source_{s}", "record_id": f"record_id_{s}",
                                   "address": f"address_{s}", "postcode": f"postcode_{s}"}),
                     on=[f"source_{s}", f"record_id_{s}"], how="left")
               .join(fp.rename({"source": f"source_{s}", "record_id": f"record_id_{s}",
                                "fingerprint": f"fingerprint_{s}"}), on=[f"source_{s}", f"record_id_{s}"],
                     how="left"))
    why = (pl.when(pl.col("category") == CATEGORY["postcode"])
           .then(pl.lit("same flat, number and street; postcodes differ by more than one character"))
           .when(pl.col("category") == CATEGORY["missing"])
           .then(pl.lit("same flat, number and street; one postcode missing, and the street is in more than one place"))
           .otherwise(pl.lit("same flat, number and postcode; street names differ by more than a typo")))
    group = [pl.concat_str([pl.col(f"source_{s}"), pl.col(f"record_id_{s}"), pl.col(f"fingerprint_{s}").fill_null("")],
                           separator=":").alias(f"group_{s}") for s in ("a", "b")]
    return out.with_columns(
        pl.lit(FAMILIES).alias("kind"),
        pl.lit(FAMILIES_QUESTION).alias("question"),
        pl.lit(APART).alias("state"),
        pl.col("category").replace_strict(rates, default=default_doubt("family"), return_dtype=pl.Float64)
        .alias("chance"),
        pl.lit(None, pl.Float64).alias("chance_shown"),
        why.alias("differences"),
        pl.format("families {} and {} kept apart: {}", pl.col("family_a"), pl.col("family_b"), why).alias("reason"),
        pl.format("family of {}: the address on the {} record of one member", pl.col("size_a"), pl.col("source_a"))
        .alias("records_a"),
        pl.format("family of {}: the address on the {} record of one member", pl.col("size_b"), pl.col("source_b"))
        .alias("records_b"),
        pl.when(pl.col("category") == CATEGORY["street"]).then(pl.lit("differ")).otherwise(pl.lit("partial"))
        .alias("agree_address"),
        pl.when(pl.col("category") == CATEGORY["postcode"]).then(pl.lit("differ"))
        .when(pl.col("category") == CATEGORY["missing"]).then(None).otherwise(pl.lit("agree"))
        .alias("agree_postcode"),
        *group,
    )


def apply_family_decisions(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, int]:
    """Merge the families reviewers answered `match` about (in the ids stage, on its own
    `household_members` and `families_base`, before family ids are settled, so that the
    id that goes is redirected). A decision holds while both
    records are unchanged and still their persons' current-address records; chains of
    merges make one family, kept under the smallest family id."""
    if not table_exists(con, "review_decisions"):
        return {"family_merges_applied": 0}
    d = latest_decisions(con).filter((pl.col("kind") == FAMILIES) & pl.col("in_force")
                                     & (pl.col("decision") == MATCH))
    if d.height == 0:
        return {"family_merges_applied": 0}
    members = read_table(con, "household_members")
    pairs = _decided_family_pairs(d, current_address_records(con, as_of),
                                  members.select("person_id", "family_id")).filter(pl.col("_f1") != pl.col("_f2"))
    if pairs.height == 0:
        return {"family_merges_applied": 0}
    root: dict[str, str] = {}

    def find(f: str) -> str:
        while root.get(f, f) != f:
            f = root[f]
        return f

    for f1, f2 in sorted(pairs.unique().iter_rows()):
        r1, r2 = find(f1), find(f2)
        if r1 != r2:
            root[max(r1, r2)] = min(r1, r2)
    into = pl.DataFrame({"family_id": list(root), "_into": [find(f) for f in root]},
                        schema={"family_id": pl.Utf8, "_into": pl.Utf8})
    members = members.join(into, on="family_id", how="left").with_columns(
        pl.coalesce("_into", "family_id").alias("family_id")).drop("_into").sort("family_id", "person_id")
    counts = members.group_by("family_id").agg(pl.len().cast(pl.Int64).alias("members"))
    base = read_table(con, "families_base")
    base = base.drop("members").join(counts, on="family_id", how="inner").select(base.columns).sort("family_id")
    write_table(con, "household_members", members)
    write_table(con, "families_base", base)
    log.info("review decisions applied to households: %d families merged into others", into.height)
    return {"family_merges_applied": into.height}
