"""Reviewers' decisions as the warehouse keeps them, and what they bind.

`review_decisions` holds one row per decision taken (the latest per record pair counts).
A person decision binds every record pair between its two groups of records (`group_l`,
`group_r`: "source:record_id:fingerprint" joined by ";", one record per distinct profile);
a household decision binds its one pair. A decision is in force while every record it
names is present and unchanged: a record's fingerprint is md5 of its matching fields as
supplied. `match`/`not a match` on a person pair become must-link/cannot-link constraints
for `link_persons`; `not a match` also keeps apart the records' siblings (records with
exactly the details the matcher compares, which it cannot tell apart). `unsure` decides
nothing.

A workbook belongs to one warehouse: `warehouse_meta` holds the warehouse's id and a
secret, and the hidden Keys sheet carries the id and a digest (sha256 of the secret and
every key), so an import can refuse a workbook from another warehouse or an edited one.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass

import duckdb
import polars as pl

from cohort.core.sqlrunner import run_sql
from cohort.core.warehouse import fetch_one, query, table_exists
from cohort.matching.pipeline import PAIR_KEYS, PROFILE_KEYS
from cohort.matching.standardise import standardise
from cohort.review.workbook import DECISIONS, KEY_SHEET_COLUMNS

log = logging.getLogger(__name__)

PERSON, HOUSEHOLD, FAMILIES = "person", "household", "families"  # families: two current families
MATCH, NOT_A_MATCH, UNSURE = DECISIONS
BINDING = (MATCH, NOT_A_MATCH)
FINGERPRINT_FIELDS = ("forename", "surname", "dob", "gender", "address", "postcode", "upn", "nino", "pnc_id",
                      "uprn")

META_DDL = "create table if not exists warehouse_meta (warehouse_id varchar, secret varchar, created_at timestamp)"
DECISIONS_DDL = """
create table if not exists review_decisions (
    kind varchar, source_l varchar, record_id_l varchar, source_r varchar, record_id_r varchar,
    decision varchar, reviewer varchar, note varchar, decided_at timestamp,
    fingerprint_l varchar, fingerprint_r varchar, review_id varchar, run_id varchar,
    group_l varchar, group_r varchar, state varchar, chance double, category varchar
)
"""
# Columns added since the table was first made (a warehouse from before is brought up to date).
ADDED_COLUMNS = {"group_l": "varchar", "group_r": "varchar", "state": "varchar", "chance": "double",
                 "category": "varchar"}
DECISION_KEYS = ["kind", "source_l", "record_id_l", "source_r", "record_id_r"]


@dataclass(frozen=True)
class Identity:
    warehouse_id: str
    secret: str


def ensure_decisions_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DECISIONS_DDL)
    for name, kind in ADDED_COLUMNS.items():
        con.execute(f"alter table review_decisions add column if not exists {name} {kind}")


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


def ordered(frame: pl.DataFrame) -> pl.DataFrame:
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


def group_text(frame: pl.DataFrame, by: str, source: str = "source", record_id: str = "record_id",
               fingerprint: str = "fingerprint") -> pl.DataFrame:
    """`by`, group: the records of each `by` as "source:record_id:fingerprint;..." in key order."""
    return (
        frame.sort(source, record_id)
        .group_by(by, maintain_order=True)
        .agg(pl.concat_str([pl.col(source), pl.col(record_id), pl.col(fingerprint).fill_null("")],
                           separator=":").str.join(";").alias("group"))
    )


def _members(column: str, source: str, record_id: str, fingerprint: str) -> pl.Expr:
    """A group column (or, without one, the pair's own side) as a list of its entries."""
    own = pl.concat_str([pl.col(source), pl.col(record_id), pl.col(fingerprint).fill_null("")], separator=":")
    return pl.coalesce(pl.col(column), own).str.split(";")


def _split_entry(expr: pl.Expr, prefix: str) -> list[pl.Expr]:
    parts = expr.str.split(":")
    return [
        parts.list.first().alias(f"source_{prefix}"),
        parts.list.slice(1, parts.list.len() - 2).list.join(":").alias(f"record_id_{prefix}"),
        parts.list.last().replace("", None).alias(f"fingerprint_{prefix}"),
    ]


def stored_decisions(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every decision as stored (one row per decision), oldest first, with `seq`."""
    if not table_exists(con, "review_decisions"):
        return _no_decisions().drop("present", "in_force")
    ensure_cols = [r[0] for r in con.execute("describe review_decisions").fetchall()]
    extra = ", ".join(f"cast(null as {t}) as {c}" for c, t in ADDED_COLUMNS.items() if c not in ensure_cols)
    return query(con, "select *" + (", " + extra if extra else "")
                 + ", row_number() over (order by decided_at, rowid) as seq from review_decisions")


def latest_decisions(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The latest decision per record pair it binds (a person decision binds every pair
    between its groups), with `in_force` (both records present and unchanged since the
    decision) and `present` (both records in this run)."""
    stored = stored_decisions(con)
    if stored.height == 0:
        return _no_decisions()
    expanded = (
        stored.with_columns(_members("group_l", "source_l", "record_id_l", "fingerprint_l").alias("_gl"),
                            _members("group_r", "source_r", "record_id_r", "fingerprint_r").alias("_gr"))
        .drop("source_l", "record_id_l", "source_r", "record_id_r", "fingerprint_l", "fingerprint_r")
        .explode("_gl").explode("_gr")
        .with_columns(*_split_entry(pl.col("_gl"), "l"), *_split_entry(pl.col("_gr"), "r"))
        .drop("_gl", "_gr")
    )
    person = ordered(expanded.filter(pl.col("kind") == PERSON))
    expanded = pl.concat([person, expanded.filter(pl.col("kind") != PERSON).select(person.columns)])
    latest = expanded.sort("seq", descending=True).unique(DECISION_KEYS, keep="first").sort("seq")
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
               "review_id": pl.Utf8, "run_id": pl.Utf8, "group_l": pl.Utf8, "group_r": pl.Utf8,
               "state": pl.Utf8, "chance": pl.Float64, "category": pl.Utf8, "seq": pl.Int64, "present": pl.Boolean,
               "in_force": pl.Boolean}
    return pl.DataFrame(schema=schema)




def profile_text(frame: pl.DataFrame) -> pl.DataFrame:
    """source, record_id, profile: the details of each record as the matcher compares them."""
    fields = [k for k in PROFILE_KEYS if not k.endswith("_firm")]
    return standardise(frame).select(
        "source", "record_id",
        pl.concat_str([pl.col(c).cast(pl.Utf8).fill_null("") for c in fields], separator="|").alias("profile"),
    )


def record_profiles(con: duckdb.DuckDBPyConnection, keys: pl.DataFrame) -> pl.DataFrame:
    """source, record_id, profile for the given records."""
    con.register("_given", keys.select("source", "record_id").unique())
    try:
        recs = query(con, "select r.* from records as r inner join _given as g "
                          "on g.source = r.source and g.record_id = r.record_id")
    finally:
        con.unregister("_given")
    return profile_text(recs)


def profiles(con: duckdb.DuckDBPyConnection, keys: pl.DataFrame) -> pl.DataFrame:
    """source, record_id, profile, sibling_source, sibling_record_id: for each given record,
    every record of this run with the same details as the matcher compares them (itself
    included). The matcher cannot tell such siblings apart, so a decision about a record
    is a decision about its siblings."""
    candidates = run_sql(con, "review/record_siblings.sql",
                         frames={"_given": keys.select("source", "record_id").unique()})
    std = profile_text(candidates)
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
            .sort(list(PAIR_KEYS))
        )
    log.info("review decisions applied: %d must-link, %d cannot-link (%d decided)",
             must.height, cannot.height, apart.height)
    return (must if must.height else None), (cannot if cannot.height else None)


def labelled_pairs(con: duckdb.DuckDBPyConnection) -> pl.DataFrame | None:
    """source_l, record_id_l, source_r, record_id_r, same: person pairs a reviewer decided
    (in force), for the model's estimate to learn from."""
    if not table_exists(con, "review_decisions") or not table_exists(con, "records"):
        return None
    d = latest_decisions(con).filter((pl.col("kind") == PERSON) & pl.col("in_force")
                                     & pl.col("decision").is_in(BINDING))
    if d.height == 0:
        return None
    return d.select(*PAIR_KEYS, (pl.col("decision") == MATCH).alias("same"))
