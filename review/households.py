"""Household questions and decisions: a member of a listed family joined to it on weak
address evidence, and what a reviewer's answer does to the families.

Weak evidence: the address on the member's current-address record has no postcode, or
its postcode is in another postcode district than the family's, or both postcode and
address differ from the family's. It is shown against the record of the family's member
at the family's address. Only listed families are asked about: there a wrong join can
change who is on a list. (One-character postcode typos and street names written
differently under the same postcode are not asked.)

On a household question, `not a match` takes person A out of B's family and `match` puts
A into B's family, for as long as record A is still A's current-address record.
"""

from __future__ import annotations

import logging
from datetime import date

import duckdb
import polars as pl

from cohort.core.reference import district_for_postcode, outward_code
from cohort.core.warehouse import query, read_table, table_exists, write_table
from cohort.matching.dwellings import dwellings_at
from cohort.matching.households import DWELLING_COLUMNS
from cohort.matching.pipeline import hashed_id
from cohort.matching.standardise import normalise_postcode
from cohort.matching.address import ADDRESS_PARTS, read_addresses, with_normalised_postcode
from cohort.review.decisions import BINDING, HOUSEHOLD, MATCH, NOT_A_MATCH, latest_decisions

log = logging.getLogger(__name__)

def dwelling_records(con: duckdb.DuckDBPyConnection, as_of: date) -> pl.DataFrame:
    """person_id (as settled), source, record_id, address, postcode, uprn, tenancy_ref and
    the address's parts (`matching.households.DWELLING_COLUMNS`): the record each person's
    dwelling at T is read from. The households stage chose it and read its address
    (`person_dwellings`); a warehouse written before it kept them is read again here by
    the same rule (`matching.dwellings.dwellings_at`)."""
    if table_exists(con, "person_dwellings"):
        # Joined in DuckDB: fetching every record's person to join them here costs more.
        dwell = query(con, "select d.* exclude (person_id), l.person_id from person_dwellings as d "
                           "inner join person_links as l using (source, record_id)")
    else:
        recs, links, housing = (read_table(con, t) for t in ("records", "person_links", "stg_housing"))
        dwell = (dwellings_at(recs, links, housing, as_of)  # with the address read into its parts
                 .with_columns(pl.col("written_postcode").alias("postcode")).select(DWELLING_COLUMNS[1:])
                 .join(links.select("source", "record_id", "person_id"), on=["source", "record_id"], how="inner"))
    return dwell.select(DWELLING_COLUMNS).cast({c: pl.Utf8 for c in ADDRESS_PARTS}).sort("person_id")


def current_address_records(con: duckdb.DuckDBPyConnection, as_of: date) -> pl.DataFrame:
    """person_id, source, record_id, address, postcode, uprn, tenancy_ref: the record a
    person's dwelling at T comes from (architecture.md; `dwelling_records`)."""
    return dwelling_records(con, as_of).select("person_id", "source", "record_id", "address", "postcode", "uprn",
                                               "tenancy_ref")


class AddressReader:
    """Each person's dwelling record with its address read (`dwelling_records`), for the
    household and the two-families questions; an address text not among them (none
    should be) is read on demand."""

    def __init__(self, con: duckdb.DuckDBPyConnection, as_of: date) -> None:
        self.dwellings = dwelling_records(con, as_of)
        self.current = self.dwellings.select("person_id", "source", "record_id", "address", "postcode", "uprn",
                                             "tenancy_ref")
        self._parts = self.dwellings.select("address", *ADDRESS_PARTS).drop_nulls("address").unique(
            "address", keep="first")

    def parts(self, addresses: pl.Series) -> pl.DataFrame:
        """address, flat, house, premise, street, street_name, street_type, locality for (at
        least) the given texts."""
        new = addresses.drop_nulls().unique().to_frame("address").join(self._parts, on="address", how="anti")
        if new.height:
            parsed = read_addresses(new["address"])
            self._parts = pl.concat([self._parts, parsed.select("address", *ADDRESS_PARTS).cast(pl.Utf8)])
        return self._parts


def _address_keys(frame: pl.DataFrame, address: str, postcode: str, prefix: str,
                  reader: AddressReader) -> pl.DataFrame:
    """Add `{prefix}pc` (normalised postcode) and `{prefix}key` (flat|house|street)."""
    distinct = reader.parts(frame[address]).select(
        pl.col("address").alias(address),
        pl.concat_str([pl.col("flat").fill_null(""), pl.col("premise").fill_null(""), pl.col("street").fill_null("")],
                      separator="|").alias(f"{prefix}key"),
    )
    return with_normalised_postcode(frame.join(distinct, on=address, how="left"), postcode, f"{prefix}pc")


def uncertain_household_joins(con: duckdb.DuckDBPyConnection, as_of: date,
                              reader: AddressReader | None = None) -> pl.DataFrame:
    """family_id, person_a, source_a, record_id_a, person_b, source_b, record_id_b, reason,
    agree_address, agree_postcode: members joined to their family on weak address evidence
    (module docstring), each against the family's member at the family's address (the
    smallest person id). A member on the same tenancy as such a member is never asked."""
    members = read_table(con, "household_members").select("person_id", "family_id")
    families = read_table(con, "families_base").filter(pl.col("members") > 1).select(
        "family_id", pl.col("address").alias("f_address"), pl.col("postcode").alias("f_postcode"))
    reader = reader or AddressReader(con, as_of)
    m = members.join(families, on="family_id").join(reader.current, on="person_id", how="inner")
    if m.height == 0:
        return pl.DataFrame(schema={"family_id": pl.Utf8, "person_a": pl.Utf8, "source_a": pl.Utf8,
                                    "record_id_a": pl.Utf8, "person_b": pl.Utf8, "source_b": pl.Utf8,
                                    "record_id_b": pl.Utf8, "reason": pl.Utf8, "agree_address": pl.Utf8,
                                    "agree_postcode": pl.Utf8})
    m = _address_keys(_address_keys(m, "address", "postcode", "m_", reader), "f_address", "f_postcode", "f_", reader)
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
    """Move persons between families as reviewers decided (in the ids stage, on its own
    `household_members` and `families_base`, before family ids are settled).

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


