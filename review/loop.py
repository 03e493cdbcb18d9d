"""The data officer's review loop: what goes into match_review.xlsx, and taking decisions back.

Questions (thresholds from the rule set's `[matching]` section):
- person, uncertain: a scored pair of records whose match probability lies in
  `[review_reject, review_accept)`;
- person, kept apart: a pair whose own evidence reaches `review_accept` but that is in
  two persons: refused by a guard (twins, conflicting identifiers or dates of birth), or
  kept apart by clustering because of a conflict with other records;
- person, chained: two records linked into one person only through other records,
  their own pair scoring below `review_reject` (no guard);
- household: a member of a listed family joined to it on weak address evidence: the
  address on their current-address record has no postcode, or its postcode is in another
  postcode district than the family's, or both postcode and address differ from the
  family's. It is shown against the record of the family's member at the family's
  address. Only listed families are asked about: there a wrong join can change who is
  on a list; elsewhere the benchmark found such joins right all but once in a hundred.
  (One-character postcode typos and street names written differently under the same
  postcode are not asked.)

Order: first the questions that may change a listed family's status (a listed family is
involved and a person on either side carries evidence for a criterion), then those that
involve a listed family, then the rest. Within a tier the family with the strongest
status comes first, then person questions closest to the link threshold.

Decisions (`review_decisions`, one row per decision taken, the latest per pair counts)
are applied to every later run while both records are unchanged: the fingerprint of a
record is md5 of its matching fields as supplied. `match`/`not a match` on a person pair
become must-link/cannot-link constraints for `link_persons`; `not a match` also keeps
apart the records' siblings (records with exactly the details the matcher compares, which
it cannot tell apart). On a household question, `not a match` takes person A out of B's
family and `match` puts A into B's family, for as long as record A is still A's
current-address record. A decided pair is not asked again, nor is a pair of the two
records' siblings. When a record changes, the decision lapses and the question comes back
showing the earlier decision. `unsure` decides nothing.

A workbook belongs to one warehouse: `warehouse_meta` holds the warehouse's id and a
secret, and the hidden Keys sheet carries the id and a digest (sha256 of the secret and
every key), so an import can refuse a workbook from another warehouse or an edited one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl

from cohort.core.reference import district_for_postcode, outward_code
from cohort.core.ruleset import Matching
from cohort.core.commit import update_warehouse
from cohort.core.integrity import snapshot
from cohort.core.warehouse import fetch_one, query, read_table, table_exists, write_table
from cohort.matching.compare import COMPARISONS
from cohort.matching.households import SOURCE_PRIORITY
from cohort.matching.pipeline import PAIR_KEYS, PROFILE_KEYS, hashed_id
from cohort.matching.standardise import PERSON_IDS, add_address_parts, normalise_address, normalise_postcode, standardise
from cohort.reports.review import (
    DECISIONS,
    HOUSEHOLD_QUESTION,
    KEY_COLUMNS,
    KEY_SHEET_COLUMNS,
    PERSON_QUESTION,
    REVIEW_COLUMNS,
    NotAReviewWorkbook,
    read_match_review,
    write_match_review,
)
from cohort.core.statuses import LISTED_STATUSES as LISTED, STATUS_RANK

log = logging.getLogger(__name__)

PERSON, HOUSEHOLD = "person", "household"
MATCH, NOT_A_MATCH, UNSURE = DECISIONS
BINDING = (MATCH, NOT_A_MATCH)
FINGERPRINT_FIELDS = ("forename", "surname", "dob", "gender", "address", "postcode", "upn", "nino", "pnc_id",
                      "uprn")
SHOWN_FIELDS = ("source", "record_id", "forename", "surname", "dob", "address", "postcode")
MAX_ERRORS_SHOWN = 20

META_DDL = "create table if not exists warehouse_meta (warehouse_id varchar, secret varchar, created_at timestamp)"
DECISIONS_DDL = """
create table if not exists review_decisions (
    kind varchar, source_l varchar, record_id_l varchar, source_r varchar, record_id_r varchar,
    decision varchar, reviewer varchar, note varchar, decided_at timestamp,
    fingerprint_l varchar, fingerprint_r varchar, review_id varchar, run_id varchar
)
"""
DECISION_KEYS = ["kind", "source_l", "record_id_l", "source_r", "record_id_r"]


class ReviewError(Exception):
    """A workbook that cannot be imported; the message says why, and nothing was applied."""


@dataclass(frozen=True)
class Identity:
    warehouse_id: str
    secret: str


def warehouse_identity(con: duckdb.DuckDBPyConnection, create: bool = True) -> Identity | None:
    """The warehouse's id and secret, made on first use (a run creates them)."""
    if not table_exists(con, "warehouse_meta"):
        if not create:
            return None
        con.execute(META_DDL)
    row = fetch_one(con.execute("select warehouse_id, secret from warehouse_meta limit 1"))
    if row is None:
        if not create:
            return None
        row = (str(uuid.uuid4()), uuid.uuid4().hex)
        con.execute("insert into warehouse_meta values ($id, $secret, current_timestamp)",
                    {"id": row[0], "secret": row[1]})
    return Identity(*row)


def keys_digest(secret: str, meta: dict[str, str], keys: pl.DataFrame) -> str:
    h = hashlib.sha256(secret.encode())
    h.update(f"{meta['warehouse_id']}|{meta['run_id']}|{meta['as_of']}".encode())
    for row in keys.select(KEY_SHEET_COLUMNS).iter_rows():
        h.update(("\x1f".join("" if v is None else str(v) for v in row) + "\x1e").encode())
    return h.hexdigest()


def fingerprints(con: duckdb.DuckDBPyConnection, keys: pl.DataFrame) -> pl.DataFrame:
    """source, record_id, fingerprint for the given records that exist in `records`."""
    fields = ", ".join(f"coalesce(cast(r.{f} as varchar), '')" for f in FINGERPRINT_FIELDS)
    con.register("_fp_keys", keys.select("source", "record_id").unique())
    try:
        return query(con, f"select r.source, r.record_id, md5(concat_ws('|', {fields})) as fingerprint "
            "from records as r inner join _fp_keys as k on k.source = r.source and k.record_id = r.record_id")
    finally:
        con.unregister("_fp_keys")


def _ordered(frame: pl.DataFrame) -> pl.DataFrame:
    """Put each pair's smaller (source, record_id) on the left, so a pair has one spelling."""
    swap = (pl.col("source_l") > pl.col("source_r")) | (
        (pl.col("source_l") == pl.col("source_r")) & (pl.col("record_id_l") > pl.col("record_id_r"))
    )
    pairs = {"source": ("source_l", "source_r"), "record_id": ("record_id_l", "record_id_r")}
    extra = {c[:-2]: (c, c[:-2] + "_r") for c in frame.columns if c.endswith("_l") and c[:-2] + "_r" in frame.columns}
    pairs.update(extra)
    return frame.with_columns(
        *[pl.when(swap).then(pl.col(r)).otherwise(pl.col(l)).alias(l) for l, r in pairs.values()],
        *[pl.when(swap).then(pl.col(l)).otherwise(pl.col(r)).alias(r) for l, r in pairs.values()],
    )


def latest_decisions(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The latest decision per question, with `in_force` (both records present and
    unchanged since the decision) and `present` (both records in this run)."""
    if not table_exists(con, "review_decisions"):
        return _no_decisions()
    latest = query(con, "select * from review_decisions qualify row_number() over ("
        " partition by kind, source_l, record_id_l, source_r, record_id_r"
        " order by decided_at desc, rowid desc) = 1")
    if latest.height == 0:
        return latest.with_columns(pl.lit(False).alias("in_force"), pl.lit(False).alias("present"))
    sides = pl.concat([
        latest.select(pl.col("source_l").alias("source"), pl.col("record_id_l").alias("record_id")),
        latest.select(pl.col("source_r").alias("source"), pl.col("record_id_r").alias("record_id")),
    ])
    fp = fingerprints(con, sides)
    now = (
        latest.join(fp.rename({"source": "source_l", "record_id": "record_id_l", "fingerprint": "_fp_l"}),
                    on=["source_l", "record_id_l"], how="left")
        .join(fp.rename({"source": "source_r", "record_id": "record_id_r", "fingerprint": "_fp_r"}),
              on=["source_r", "record_id_r"], how="left")
    )
    present = pl.col("_fp_l").is_not_null() & pl.col("_fp_r").is_not_null()
    unchanged = (pl.col("_fp_l") == pl.col("fingerprint_l")) & (pl.col("_fp_r") == pl.col("fingerprint_r"))
    return now.with_columns(present.alias("present"), (present & unchanged.fill_null(False)).alias("in_force")).drop(
        "_fp_l", "_fp_r")


def _no_decisions() -> pl.DataFrame:
    schema = {c: pl.Utf8 for c in (*DECISION_KEYS, "decision", "reviewer", "note")}
    schema |= {"decided_at": pl.Datetime("us"), "fingerprint_l": pl.Utf8, "fingerprint_r": pl.Utf8,
               "review_id": pl.Utf8, "run_id": pl.Utf8, "present": pl.Boolean, "in_force": pl.Boolean}
    return pl.DataFrame(schema=schema)


SIBLINGS_SQL = """
with given as (
    select r.dob, upper(trim(r.surname)) as surname
    from records as r
    inner join _given as g on g.source = r.source and g.record_id = r.record_id
)
select r.*
from records as r
where r.dob in (select g.dob from given as g where g.dob is not null)
   or (r.dob is null and upper(trim(r.surname)) in (select g.surname from given as g where g.dob is null))
"""


def profiles(con: duckdb.DuckDBPyConnection, keys: pl.DataFrame) -> pl.DataFrame:
    """source, record_id, profile, sibling_source, sibling_record_id: for each given record,
    every record of this run with the same details as the matcher compares them (itself
    included). The matcher cannot tell such siblings apart, so a decision about a record
    is a decision about its siblings."""
    con.register("_given", keys.select("source", "record_id").unique())
    try:
        candidates = query(con, SIBLINGS_SQL)
    finally:
        con.unregister("_given")
    fields = [k for k in PROFILE_KEYS if not k.endswith("_firm")]
    std = standardise(candidates).select(
        "source", "record_id",
        pl.concat_str([pl.col(c).cast(pl.Utf8).fill_null("") for c in fields], separator="|").alias("profile"),
    )
    given = std.join(keys.select("source", "record_id").unique(), on=["source", "record_id"], how="semi")
    return given.join(std.rename({"source": "sibling_source", "record_id": "sibling_record_id"}), on="profile")


def person_constraints(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame | None, pl.DataFrame | None]:
    """(must_link, cannot_link) pairs for `link_persons` from the person decisions in force.

    `not a match` keeps apart the two records and their siblings (records the matcher
    cannot tell from them), so that an identical copy of one record cannot carry the
    pair back together; `match` joins the two records, whose siblings follow them.
    """
    if not table_exists(con, "review_decisions") or not table_exists(con, "records"):
        return None, None
    d = latest_decisions(con).filter((pl.col("kind") == PERSON) & pl.col("in_force"))
    must = d.filter(pl.col("decision") == MATCH).select(list(PAIR_KEYS))
    apart = d.filter(pl.col("decision") == NOT_A_MATCH).select(list(PAIR_KEYS))
    cannot = apart
    if apart.height:
        sides = pl.concat([
            apart.select(pl.col("source_l").alias("source"), pl.col("record_id_l").alias("record_id")),
            apart.select(pl.col("source_r").alias("source"), pl.col("record_id_r").alias("record_id")),
        ])
        sib = profiles(con, sides).select("source", "record_id", "sibling_source", "sibling_record_id")
        cannot = (
            apart.join(sib.rename({"source": "source_l", "record_id": "record_id_l"}), on=["source_l", "record_id_l"])
            .select("source_r", "record_id_r", pl.col("sibling_source").alias("source_l"),
                    pl.col("sibling_record_id").alias("record_id_l"))
            .join(sib.rename({"source": "source_r", "record_id": "record_id_r"}), on=["source_r", "record_id_r"])
            .select("source_l", "record_id_l", pl.col("sibling_source").alias("source_r"),
                    pl.col("sibling_record_id").alias("record_id_r"))
            .unique()
        )
    log.info("review decisions applied: %d must-link, %d cannot-link (%d decided)",
             must.height, cannot.height, apart.height)
    return (must if must.height else None), (cannot if cannot.height else None)


CURRENT_ADDRESS_SQL = """
with open_tenancy as (
    select 'housing' as source, h.record_id, h.tenancy_start
    from stg_housing as h
    where h.tenancy_start <= $as_of and (h.tenancy_end is null or h.tenancy_end >= $as_of)
)
select l.person_id, r.source, r.record_id, r.address, r.postcode, r.uprn, r.tenancy_ref, r.record_date,
       (o.record_id is not null) as open_tenancy, o.tenancy_start
from records as r
inner join person_links as l on l.source = r.source and l.record_id = r.record_id
left join open_tenancy as o on o.source = r.source and o.record_id = r.record_id
where r.record_date <= $as_of and (r.address is not null or r.uprn is not null or o.record_id is not null)
"""


def current_address_records(con: duckdb.DuckDBPyConnection, as_of: date) -> pl.DataFrame:
    """person_id, source, record_id, address, postcode, uprn, tenancy_ref: the record a
    person's dwelling at T comes from (architecture.md): their open tenancy's housing row
    if they have one, else their latest dated record with an address or UPRN."""
    priority = pl.col("source").replace_strict(SOURCE_PRIORITY, default=3, return_dtype=pl.Int32)
    recs = query(con, CURRENT_ADDRESS_SQL, {"as_of": as_of})
    return (
        recs.with_columns(priority.alias("_priority"),
                          pl.when(pl.col("open_tenancy")).then(pl.col("tenancy_start")).alias("_tenancy"))
        .sort(["person_id", "open_tenancy", "_tenancy", "record_date", "_priority", "record_id"],
              descending=[False, True, True, True, False, False], nulls_last=True)
        .unique("person_id", keep="first")
        .select("person_id", "source", "record_id", "address", "postcode", "uprn", "tenancy_ref")
    )


def _address_keys(frame: pl.DataFrame, address: str, postcode: str, prefix: str) -> pl.DataFrame:
    """Add `{prefix}pc` (normalised postcode) and `{prefix}key` (flat|house|street)."""
    distinct = add_address_parts(
        frame.select(pl.col(address).alias("_a")).unique().drop_nulls()
        .with_columns(normalise_address(pl.col("_a")).alias("_addr")),
        "_addr",
    ).select(
        pl.col("_a").alias(address),
        pl.concat_str([pl.col("flat").fill_null(""), pl.col("premise").fill_null(""), pl.col("street").fill_null("")],
                      separator="|").alias(f"{prefix}key"),
    )
    return frame.join(distinct, on=address, how="left").with_columns(
        normalise_postcode(pl.col(postcode)).alias(f"{prefix}pc"))


def uncertain_household_joins(con: duckdb.DuckDBPyConnection, as_of: date) -> pl.DataFrame:
    """family_id, person_a, source_a, record_id_a, person_b, source_b, record_id_b, reason,
    agree_address, agree_postcode: members joined to their family on weak address evidence
    (module docstring), each against the family's member at the family's address (the
    smallest person id). A member on the same tenancy as such a member is never asked."""
    members = read_table(con, "household_members").select("person_id", "family_id")
    families = read_table(con, "families_base").filter(pl.col("members") > 1).select(
        "family_id", pl.col("address").alias("f_address"), pl.col("postcode").alias("f_postcode"))
    cur = current_address_records(con, as_of)
    m = members.join(families, on="family_id").join(cur, on="person_id", how="inner")
    if m.height == 0:
        return pl.DataFrame(schema={"family_id": pl.Utf8, "person_a": pl.Utf8, "source_a": pl.Utf8,
                                    "record_id_a": pl.Utf8, "person_b": pl.Utf8, "source_b": pl.Utf8,
                                    "record_id_b": pl.Utf8, "reason": pl.Utf8, "agree_address": pl.Utf8,
                                    "agree_postcode": pl.Utf8})
    m = _address_keys(_address_keys(m, "address", "postcode", "m_"), "f_address", "f_postcode", "f_")
    outward = {pc: outward_code(pc) for pc in set(m["m_pc"].drop_nulls()) | set(m["f_pc"].drop_nulls())}
    m = m.with_columns(pl.col("m_pc").replace_strict(outward, default=None).alias("m_out"),
                       pl.col("f_pc").replace_strict(outward, default=None).alias("f_out"))
    same_pc = (pl.col("m_pc") == pl.col("f_pc")).fill_null(False)
    same_key = (pl.col("m_key") == pl.col("f_key")).fill_null(False)
    weak = (
        pl.col("m_pc").is_null()
        | (pl.col("m_out") != pl.col("f_out")).fill_null(False)
        | (~same_pc & ~same_key)
    )
    m = m.with_columns((~weak).alias("_sure"), (same_pc & same_key).alias("_exact"))
    sure_tenancies = m.filter(pl.col("_exact") & pl.col("tenancy_ref").is_not_null()).select(
        "family_id", "tenancy_ref").unique()
    on_sure_tenancy = m.join(sure_tenancies, on=["family_id", "tenancy_ref"], how="semi").select(
        "person_id").with_columns(pl.lit(True).alias("_tenancy"))
    m = m.join(on_sure_tenancy, on="person_id", how="left").with_columns(
        (pl.col("_sure") | pl.col("_tenancy").fill_null(False)).alias("_sure"))
    anchors = (
        m.filter(pl.col("_exact")).sort("family_id", "person_id").unique("family_id", keep="first")
        .select("family_id", pl.col("person_id").alias("person_b"), pl.col("source").alias("source_b"),
                pl.col("record_id").alias("record_id_b"))
    )
    reason = pl.concat_str([
        pl.when(pl.col("m_pc").is_null()).then(pl.lit("postcode missing on record A"))
        .when(pl.col("m_out") != pl.col("f_out")).then(pl.lit("postcode in another postcode district"))
        .when(~same_pc).then(pl.lit("postcode differs from the family's")),
        pl.when(pl.col("m_key").is_null()).then(pl.lit("no address on record A"))
        .when(~same_key).then(pl.lit("address written differently from the family's")),
    ], separator="; ", ignore_nulls=True)
    return (
        m.filter(~pl.col("_sure"))
        .join(anchors, on="family_id", how="inner")
        .select(
            "family_id", pl.col("person_id").alias("person_a"), pl.col("source").alias("source_a"),
            pl.col("record_id").alias("record_id_a"), "person_b", "source_b", "record_id_b",
            reason.alias("reason"),
            pl.when(pl.col("m_key").is_null()).then(None).when(same_key).then(pl.lit("agree"))
            .otherwise(pl.lit("differ")).alias("agree_address"),
            pl.when(pl.col("m_pc").is_null()).then(None).when(same_pc).then(pl.lit("agree"))
            .otherwise(pl.lit("differ")).alias("agree_postcode"),
        )
        .sort("family_id", "person_a")
    )


def apply_household_decisions(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, int]:
    """Move persons between families as reviewers decided (before family ids are settled).

    `not a match`: A leaves B's family for a family of their own at A's address;
    `match`: A joins B's family. Only while both records are unchanged and record A is
    still A's current-address record.
    """
    if not table_exists(con, "review_decisions"):
        return {"household_decisions_applied": 0}
    d = latest_decisions(con).filter(
        (pl.col("kind") == HOUSEHOLD) & pl.col("in_force") & pl.col("decision").is_in(BINDING))
    if d.height == 0:
        return {"household_decisions_applied": 0}
    cur = current_address_records(con, as_of).select(
        pl.col("person_id").alias("person_a"), pl.col("source").alias("source_l"),
        pl.col("record_id").alias("record_id_l"), "address", "postcode", "uprn")
    links = read_table(con, "person_links").select(
        pl.col("source").alias("source_r"), pl.col("record_id").alias("record_id_r"),
        pl.col("person_id").alias("person_b"))
    members = read_table(con, "household_members")
    fam = members.select("person_id", "family_id")
    d = (
        d.join(cur, on=["source_l", "record_id_l"], how="inner")
        .join(links, on=["source_r", "record_id_r"], how="inner")
        .join(fam.rename({"person_id": "person_a", "family_id": "family_a"}), on="person_a", how="left")
        .join(fam.rename({"person_id": "person_b", "family_id": "family_b"}), on="person_b", how="left")
        .filter(pl.col("person_a") != pl.col("person_b"))
    )
    split = d.filter((pl.col("decision") == NOT_A_MATCH) & (pl.col("family_a") == pl.col("family_b")))
    join = d.filter((pl.col("decision") == MATCH) & pl.col("family_b").is_not_null()
                    & (pl.col("family_a").is_null() | (pl.col("family_a") != pl.col("family_b"))))
    split = split.unique("person_a", keep="first").with_columns(
        hashed_id("F", pl.col("person_a") + pl.lit("|own household")).alias("new_family"))
    join = join.join(split.select("person_a"), on="person_a", how="anti").unique("person_a", keep="first")
    moves = pl.concat([
        split.select("person_a", "new_family"),
        join.select("person_a", pl.col("family_b").alias("new_family")),
    ])
    if moves.height == 0:
        return {"household_decisions_applied": 0}
    moved = members.join(moves.rename({"person_a": "person_id"}), on="person_id", how="left")
    joining = join.join(fam.rename({"person_id": "person_a"}), on="person_a", how="anti").select(
        pl.col("person_a").alias("person_id"), pl.col("family_b").alias("family_id"),
        pl.lit("adult").alias("role"))
    members = pl.concat([
        moved.with_columns(pl.coalesce("new_family", "family_id").alias("family_id")).drop("new_family"),
        joining.select(members.columns).cast(members.schema),
    ]).sort("family_id", "person_id")
    base = read_table(con, "families_base")
    own = split.with_columns(normalise_postcode(pl.col("postcode")).alias("postcode")).select(
        pl.col("new_family").alias("family_id"),
        pl.col("postcode").map_elements(district_for_postcode, return_dtype=pl.Utf8)
        .fill_null(district_for_postcode(None)).alias("district"),
        pl.lit(1, pl.Int64).alias("members"), "address", "postcode", "uprn",
    )
    counts = members.group_by("family_id").agg(pl.len().cast(pl.Int64).alias("members"))
    base = (
        pl.concat([base.drop("members"), own.drop("members").cast(base.drop("members").schema)])
        .join(counts, on="family_id", how="inner")
        .select(base.columns)
        .sort("family_id")
    )
    write_table(con, "household_members", members)
    write_table(con, "families_base", base)
    log.info("review decisions applied to households: %d left a family, %d joined one", split.height, join.height)
    return {"household_decisions_applied": moves.height}


def _agreement_classes() -> dict[str, dict[str, str]]:
    """Level -> agree / partial / differ, from the comparisons' ordered levels."""
    out = {}
    for c in COMPARISONS:
        keys = c.keys
        out[c.name] = {k: "agree" if i == 0 else "differ" if k.startswith("different") else "partial"
                       for i, k in enumerate(keys)}
    return out


def _identifier_text() -> pl.Expr:
    labels = {c.name: c.labels for c in COMPARISONS if c.name in PERSON_IDS}
    return pl.concat_str(
        [pl.col(c).cast(pl.Utf8).replace_strict(labels[c], default=None) for c in PERSON_IDS if c in labels],
        separator="; ", ignore_nulls=True,
    )


def _earlier_text() -> pl.Expr:
    return pl.concat_str([
        pl.col("e_decision"), pl.lit(" by "), pl.col("e_reviewer").fill_null("?"), pl.lit(" on "),
        pl.col("e_decided_at").dt.strftime("%d/%m/%Y"),
        pl.when(pl.col("e_decision") != UNSURE).then(pl.lit("; a record has changed since")).otherwise(pl.lit("")),
        pl.when(pl.col("e_note").is_not_null()).then(pl.lit(": ") + pl.col("e_note")).otherwise(pl.lit("")),
    ])


PERSON_QUESTIONS_SQL = """
select
    mp.*,
    case
        when mp.probability >= $reject and mp.probability < $accept then ''
        when mp.guard is not null then format('refused by a guard although the rest scores {:.3f}: ',
                                              1 / (1 + pow(2, -mp.match_weight)))
        when a.person_id = b.person_id then 'linked only through other records: '
        else 'kept apart by a conflict with other records: '
    end as _why
from match_pairs as mp
inner join person_links as a on a.source = mp.source_l and a.record_id = mp.record_id_l
inner join person_links as b on b.source = mp.source_r and b.record_id = mp.record_id_r
where (mp.probability >= $reject and mp.probability < $accept)
   or (a.person_id <> b.person_id
       and (mp.probability >= $accept or (mp.guard is not null and mp.match_weight >= $accept_weight)))
   or (mp.guard is null and a.person_id = b.person_id and mp.probability < $reject)
"""


def _person_questions(con: duckdb.DuckDBPyConnection, decisions: pl.DataFrame, matching: Matching) -> pl.DataFrame:
    """The person questions (module docstring), less those decided, plus decided pairs whose
    records changed."""
    levels = [c.name for c in COMPARISONS]
    accept = matching.review_accept
    pairs = query(con, PERSON_QUESTIONS_SQL, {
        "reject": matching.review_reject, "accept": accept, "accept_weight": math.log2(accept / (1 - accept)),
    })
    pairs = _ordered(pairs.with_columns((pl.col("_why") + pl.col("reason").cast(pl.Utf8)).alias("reason")).select(
        *PAIR_KEYS, "probability", "reason", *[c for c in levels if c in pairs.columns]))
    person_d = decisions.filter(pl.col("kind") == PERSON)
    lapsed = person_d.filter(pl.col("present") & ~pl.col("in_force") & pl.col("decision").is_in(BINDING))
    if lapsed.height:
        con.register("_lapsed", lapsed.select(*PAIR_KEYS))
        try:
            scored = query(con, "select mp.* from match_pairs as mp inner join _lapsed as d on "
                "(mp.source_l = d.source_l and mp.record_id_l = d.record_id_l"
                " and mp.source_r = d.source_r and mp.record_id_r = d.record_id_r) or "
                "(mp.source_l = d.source_r and mp.record_id_l = d.record_id_r"
                " and mp.source_r = d.source_l and mp.record_id_r = d.record_id_l)")
        finally:
            con.unregister("_lapsed")
        scored = _ordered(scored.select(*PAIR_KEYS, "probability", pl.col("reason").cast(pl.Utf8),
                                        *[c for c in levels if c in scored.columns]))
        back = lapsed.select(*PAIR_KEYS).join(scored, on=list(PAIR_KEYS), how="left")
        pairs = pl.concat([pairs, back.select(pairs.columns).cast(pairs.schema)]).unique(list(PAIR_KEYS))
    sides = pl.concat([
        pairs.select(pl.col("source_l").alias("source"), pl.col("record_id_l").alias("record_id")),
        pairs.select(pl.col("source_r").alias("source"), pl.col("record_id_r").alias("record_id")),
    ])
    fp = fingerprints(con, sides)
    pairs = (
        pairs.join(fp.rename({"source": "source_l", "record_id": "record_id_l", "fingerprint": "fingerprint_l"}),
                   on=["source_l", "record_id_l"], how="left")
        .join(fp.rename({"source": "source_r", "record_id": "record_id_r", "fingerprint": "fingerprint_r"}),
              on=["source_r", "record_id_r"], how="left")
    )
    # Decided in force, for these records or for their siblings (the same two profiles).
    settled = person_d.filter(pl.col("in_force") & pl.col("decision").is_in(BINDING))
    if settled.height and pairs.height:
        both = pl.concat([sides, *[settled.select(pl.col(f"source_{s}").alias("source"),
                                                  pl.col(f"record_id_{s}").alias("record_id")) for s in ("l", "r")]])
        prof = profiles(con, both).select("source", "record_id", "profile").unique()

        def profile_pair(frame: pl.DataFrame) -> pl.DataFrame:
            for s in ("l", "r"):
                frame = frame.join(prof.rename({"source": f"source_{s}", "record_id": f"record_id_{s}",
                                                "profile": f"profile_{s}"}),
                                   on=[f"source_{s}", f"record_id_{s}"], how="left")
            return frame.with_columns(pl.min_horizontal("profile_l", "profile_r").alias("_p1"),
                                      pl.max_horizontal("profile_l", "profile_r").alias("_p2"))

        decided = profile_pair(settled.select(*PAIR_KEYS)).select("_p1", "_p2").drop_nulls().unique()
        pairs = profile_pair(pairs).join(decided, on=["_p1", "_p2"], how="anti").drop(
            "profile_l", "profile_r", "_p1", "_p2")
    earlier = person_d.filter(~pl.col("in_force") | (pl.col("decision") == UNSURE)).select(
        *PAIR_KEYS, *[pl.col(c).alias(f"e_{c}") for c in ("decision", "reviewer", "note", "decided_at")])
    classes = _agreement_classes()
    agree = [
        (pl.col(name).cast(pl.Utf8).replace_strict(classes[name], default=None)
         if name in pairs.columns else pl.lit(None, pl.Utf8)).alias(f"agree_{name}")
        for name in ("forename", "surname", "dob", "address")
    ]
    return (
        pairs.join(earlier, on=list(PAIR_KEYS), how="left")
        .with_columns(
            pl.lit(PERSON).alias("kind"),
            pl.lit(PERSON_QUESTION).alias("question"),
            *agree,
            _identifier_text().alias("identifiers") if all(c in pairs.columns for c in PERSON_IDS)
            else pl.lit(None, pl.Utf8).alias("identifiers"),
            pl.when(pl.col("e_decision").is_not_null()).then(_earlier_text()).alias("earlier"),
        )
        .with_columns(pl.col("agree_address").alias("agree_postcode"))
        .rename({"source_l": "source_a", "record_id_l": "record_id_a", "source_r": "source_b",
                 "record_id_r": "record_id_b", "fingerprint_l": "fingerprint_a", "fingerprint_r": "fingerprint_b"})
        .with_columns(pl.col("reason").cast(pl.Utf8))
    )


def _household_questions(con: duckdb.DuckDBPyConnection, decisions: pl.DataFrame, as_of: date) -> pl.DataFrame:
    listed = query(con, "select family_id from families where list_contains($listed, status)", {"listed": list(LISTED)})
    joins = uncertain_household_joins(con, as_of).join(listed, on="family_id", how="semi")
    hh = decisions.filter(pl.col("kind") == HOUSEHOLD)
    settled = hh.filter(pl.col("in_force") & pl.col("decision").is_in(BINDING)).select(
        pl.col("source_l").alias("source_a"), pl.col("record_id_l").alias("record_id_a"))
    sides = pl.concat([
        joins.select(pl.col("source_a").alias("source"), pl.col("record_id_a").alias("record_id")),
        joins.select(pl.col("source_b").alias("source"), pl.col("record_id_b").alias("record_id")),
    ])
    fp = fingerprints(con, sides)
    earlier = hh.filter(~pl.col("in_force") | (pl.col("decision") == UNSURE)).select(
        pl.col("source_l").alias("source_a"), pl.col("record_id_l").alias("record_id_a"),
        *[pl.col(c).alias(f"e_{c}") for c in ("decision", "reviewer", "note", "decided_at")],
    ).unique(["source_a", "record_id_a"], keep="last")
    return (
        joins.join(settled, on=["source_a", "record_id_a"], how="anti")
        .join(fp.rename({"source": "source_a", "record_id": "record_id_a", "fingerprint": "fingerprint_a"}),
              on=["source_a", "record_id_a"], how="left")
        .join(fp.rename({"source": "source_b", "record_id": "record_id_b", "fingerprint": "fingerprint_b"}),
              on=["source_b", "record_id_b"], how="left")
        .join(earlier, on=["source_a", "record_id_a"], how="left")
        .with_columns(
            pl.lit(HOUSEHOLD).alias("kind"),
            pl.lit(HOUSEHOLD_QUESTION).alias("question"),
            pl.lit(None, pl.Float64).alias("probability"),
            pl.lit(None, pl.Utf8).alias("identifiers"),
            pl.lit(None, pl.Utf8).alias("agree_forename"),
            pl.lit(None, pl.Utf8).alias("agree_surname"),
            pl.lit(None, pl.Utf8).alias("agree_dob"),
            pl.when(pl.col("e_decision").is_not_null()).then(_earlier_text()).alias("earlier"),
        )
    )


QUESTION_COLUMNS = {
    "kind": pl.Utf8, "question": pl.Utf8, "probability": pl.Float64, "reason": pl.Utf8,
    "source_a": pl.Utf8, "record_id_a": pl.Utf8, "source_b": pl.Utf8, "record_id_b": pl.Utf8,
    "fingerprint_a": pl.Utf8, "fingerprint_b": pl.Utf8, "identifiers": pl.Utf8, "earlier": pl.Utf8,
    "agree_forename": pl.Utf8, "agree_surname": pl.Utf8, "agree_dob": pl.Utf8, "agree_address": pl.Utf8,
    "agree_postcode": pl.Utf8,
}


def review_questions(con: duckdb.DuckDBPyConnection, as_of: date, matching: Matching) -> pl.DataFrame:
    """Every question of this run, in the order they should be answered, with what the
    workbook shows (REVIEW_COLUMNS less the inputs) and the keys and fingerprints."""
    decisions = latest_decisions(con)
    questions = pl.concat([
        _person_questions(con, decisions, matching).select(list(QUESTION_COLUMNS)).cast(QUESTION_COLUMNS),
        _household_questions(con, decisions, as_of).select(list(QUESTION_COLUMNS)).cast(QUESTION_COLUMNS),
    ])
    links = read_table(con, "person_links").select("source", "record_id", "person_id")
    fam = read_table(con, "household_members").select("person_id", "family_id")
    families = read_table(con, "families").select("family_id", "district", "status")
    evidence = query(con, "select distinct person_id from family_evidence where person_id is not null")
    records = query(con, f"select {', '.join(SHOWN_FIELDS)} from records")

    def side(s: str) -> list[pl.DataFrame]:
        return [
            links.rename({"source": f"source_{s}", "record_id": f"record_id_{s}", "person_id": f"person_{s}"}),
            fam.rename({"person_id": f"person_{s}", "family_id": f"family_{s}"}),
            families.rename({"family_id": f"family_{s}", "district": f"district_{s}", "status": f"status_{s}"}),
            evidence.rename({"person_id": f"person_{s}"}).with_columns(pl.lit(True).alias(f"evidence_{s}")),
            records.rename({c: f"{c}_{s}" for c in SHOWN_FIELDS}),
        ]

    for s in ("a", "b"):
        links_s, fam_s, families_s, evidence_s, records_s = side(s)
        questions = (
            questions.join(links_s, on=[f"source_{s}", f"record_id_{s}"], how="left")
            .join(fam_s, on=f"person_{s}", how="left")
            .join(families_s, on=f"family_{s}", how="left")
            .join(evidence_s, on=f"person_{s}", how="left")
            .join(records_s, on=[f"source_{s}", f"record_id_{s}"], how="left")
        )
    listed_a = pl.col("status_a").is_in(LISTED).fill_null(False)
    listed_b = pl.col("status_b").is_in(LISTED).fill_null(False)
    evidence = pl.col("evidence_a").fill_null(False) | pl.col("evidence_b").fill_null(False)
    tier = (
        pl.when((listed_a | listed_b) & evidence).then(2)
        .when(listed_a | listed_b).then(1)
        .otherwise(0)
    )
    rank_a = pl.col("status_a").replace_strict(STATUS_RANK, default=4, return_dtype=pl.Int32)
    rank_b = pl.col("status_b").replace_strict(STATUS_RANK, default=4, return_dtype=pl.Int32)
    top = pl.when(rank_a <= rank_b).then(pl.col("family_a")).otherwise(pl.col("family_b"))
    top_status = pl.when(rank_a <= rank_b).then(pl.col("status_a")).otherwise(pl.col("status_b"))
    matters = (
        pl.when(pl.col("_tier") == 2).then(pl.format("may change the status of listed family {} ({})", top, top_status))
        .when(pl.col("_tier") == 1).then(pl.format("involves listed family {} ({})", top, top_status))
        .when(pl.col("family_a") != pl.col("family_b")).then(pl.lit("records in two unlisted families"))
        .otherwise(pl.lit("no listed family involved"))
    )
    same_person = pl.col("person_a") == pl.col("person_b")
    now = (
        pl.when(pl.col("kind") == HOUSEHOLD).then(pl.lit("in one family"))
        .when(same_person).then(pl.lit("linked: one person"))
        .otherwise(pl.lit("not linked"))
    )
    district = pl.when(
        pl.col("district_a").is_not_null() & pl.col("district_b").is_not_null()
        & (pl.col("district_a") != pl.col("district_b"))
    ).then(pl.concat_str(["district_a", "district_b"], separator=" / ")).otherwise(
        pl.coalesce("district_a", "district_b"))
    out = (
        questions.with_columns(tier.alias("_tier"), pl.min_horizontal(rank_a, rank_b).alias("_rank"),
                               (pl.col("probability") - matching.link_threshold).abs().alias("_closeness"))
        .with_columns(matters.alias("matters"), now.alias("now"), district.alias("district"))
        .sort(["_tier", "_rank", "kind", "_closeness", "source_a", "record_id_a", "source_b", "record_id_b"],
              descending=[True, False, True, False, False, False, False, False], nulls_last=True)
        .with_columns(pl.format("R{}", (pl.int_range(pl.len()) + 1).cast(pl.Utf8).str.zfill(5)).alias("review_id"))
    )
    shown = [c for c in REVIEW_COLUMNS if c not in ("decision", "reviewer", "note")]
    return out.select(*shown, "kind", "fingerprint_a", "fingerprint_b",
                      *[c for c in out.columns if c.startswith("agree_")])


def write_review(con: duckdb.DuckDBPyConnection, path: Path, *, as_of: date, run_id: str,
                 matching: Matching) -> dict[str, int]:
    """Build this run's questions and write match_review.xlsx (always, even with none)."""
    ident = warehouse_identity(con)
    questions = review_questions(con, as_of, matching)
    keys = questions.select(
        "review_id", "kind",
        *[pl.col(c) for c in ("source_a", "record_id_a", "source_b", "record_id_b", "fingerprint_a", "fingerprint_b")],
    )
    meta = {"warehouse_id": ident.warehouse_id, "run_id": run_id, "as_of": as_of.isoformat()}
    meta["digest"] = keys_digest(ident.secret, meta, keys)
    write_match_review(path, questions, keys, meta=meta, as_of=as_of, matching=matching)
    by_kind = dict(questions.group_by("kind").len().iter_rows())
    return {"review_person_questions": by_kind.get(PERSON, 0), "review_household_questions": by_kind.get(HOUSEHOLD, 0)}


def import_decisions(path: Path, db: Path, *, reviewer: str | None = None,
                     now: datetime | None = None) -> dict[str, int]:
    """Validate a filled-in workbook against the warehouse and store its decisions in one
    transaction. Any problem raises ReviewError listing every problem found; then nothing
    is stored."""
    path, db = Path(path), Path(db)
    if not path.is_file():
        raise ReviewError(f"the workbook {path} does not exist")
    if not db.exists():
        raise ReviewError(f"the warehouse {db} does not exist")
    try:
        book = read_match_review(path)
    except NotAReviewWorkbook as exc:
        raise ReviewError(str(exc)) from exc
    # As the warehouse's one writer: refused while a run holds it, applied whole or not at all.
    with update_warehouse(db, "cohort review import") as con:
        ident = warehouse_identity(con, create=False)
        if ident is None:
            raise ReviewError(f"the warehouse {db.name} has no id yet: it has never completed a run")
        if book.meta.get("warehouse_id") != ident.warehouse_id:
            raise ReviewError(
                f"{path.name} was made from a different warehouse (id {book.meta.get('warehouse_id')}), "
                f"not from {db.name} (id {ident.warehouse_id})")
        if keys_digest(ident.secret, book.meta, book.keys) != book.meta.get("digest"):
            raise ReviewError(f"{path.name}: the hidden Keys sheet has been changed; export the workbook again")
        decided = _validated(book, path.name, reviewer)
        stamp = now or datetime.now().replace(microsecond=0)
        rows = decided.with_columns(pl.lit(stamp).alias("decided_at"), pl.lit(book.meta["run_id"]).alias("run_id"))
        con.execute(DECISIONS_DDL)
        latest = latest_decisions(con).select(*DECISION_KEYS, "decision", "reviewer", "note", "fingerprint_l",
                                              "fingerprint_r")
        same = ["decision", "reviewer", "note", "fingerprint_l", "fingerprint_r"]
        fresh = rows.join(latest, on=[*DECISION_KEYS, *same], how="anti", nulls_equal=True)
        con.execute("begin transaction")
        try:
            con.register("_decisions", fresh)
            con.execute("insert into review_decisions by name select * from _decisions")
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        finally:
            con.unregister("_decisions")
    counts = {d: int(fresh.filter(pl.col("decision") == d).height) for d in DECISIONS}
    counts["unchanged"] = rows.height - fresh.height
    counts["rows_without_decision"] = book.keys.height - rows.height
    log.info("review import: %s", counts)
    return counts


def _validated(book, name: str, reviewer: str | None) -> pl.DataFrame:
    """The rows with a decision, as review_decisions rows; every problem raises together."""
    problems: list[str] = []
    if book.missing_columns:
        raise ReviewError(f"{name}: the Review sheet has lost its column(s) {', '.join(book.missing_columns)}")
    rows = book.rows
    keys = book.keys.rename({c: f"k_{c}" for c in KEY_SHEET_COLUMNS if c != "review_id"})
    dupes = rows.filter(pl.col("review_id").is_not_null() & pl.col("review_id").is_duplicated())
    for rid in sorted(set(dupes["review_id"].to_list())):
        problems.append(f"Review ID {rid} appears more than once")
    joined = rows.join(keys, on="review_id", how="left")
    for r in joined.iter_rows(named=True):
        where = f"row {r['row']}"
        if r["review_id"] is None:
            problems.append(f"{where}: has no Review ID")
            continue
        if r["k_kind"] is None:
            problems.append(f"{where}: Review ID {r['review_id']} is not one this workbook issued")
            continue
        for col in KEY_COLUMNS[1:]:
            if r[col] != r[f"k_{col}"]:
                problems.append(f"{where}: column '{REVIEW_COLUMNS[col]}' was changed "
                                f"(it was '{r[f'k_{col}']}', now '{r[col]}')")
        decision = (r["decision"] or "").strip().lower()
        if decision and decision not in DECISIONS:
            problems.append(f"{where}: decision '{r['decision']}' is not one of {', '.join(DECISIONS)}")
        if decision and not (r["reviewer"] or reviewer):
            problems.append(f"{where}: a decision needs the reviewer's name (column Reviewer, or --reviewer)")
    if problems:
        shown = problems[:MAX_ERRORS_SHOWN]
        more = f"\n  ... and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        raise ReviewError(f"{name} was not imported; nothing was applied:\n  " + "\n  ".join(shown) + more)
    decided = joined.with_columns(pl.col("decision").str.strip_chars().str.to_lowercase()).filter(
        pl.col("decision").is_not_null() & (pl.col("decision") != ""))
    return decided.select(
        pl.col("k_kind").alias("kind"),
        pl.col("k_source_a").alias("source_l"), pl.col("k_record_id_a").alias("record_id_l"),
        pl.col("k_source_b").alias("source_r"), pl.col("k_record_id_b").alias("record_id_r"),
        "decision",
        pl.coalesce(pl.col("reviewer"), pl.lit(reviewer, pl.Utf8)).alias("reviewer"),
        "note",
        pl.col("k_fingerprint_a").alias("fingerprint_l"), pl.col("k_fingerprint_b").alias("fingerprint_r"),
        "review_id",
    )


def export_from_warehouse(db: Path, out: Path) -> dict[str, int]:
    """Write match_review.xlsx from the warehouse's latest run (e.g. after an import, to
    see what is still open). It reads a snapshot, so it never waits for, nor blocks, a writer."""
    db = Path(db)
    if not db.exists():
        raise ReviewError(f"the warehouse {db} does not exist")
    with snapshot(db) as con:
        if not table_exists(con, "runs") or warehouse_identity(con, create=False) is None:
            raise ReviewError(f"the warehouse {db.name} has no completed run to review")
        run_id, as_of, settings = fetch_one(con.execute(
            "select run_id, as_of, settings from runs order by finished_at desc, run_id limit 1"))
        matching = Matching(**json.loads(settings).get("ruleset", {}).get("matching", {}))
        return write_review(con, Path(out), as_of=as_of, run_id=run_id, matching=matching)
