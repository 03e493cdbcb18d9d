"""Where each person lives at T (architecture.md "Dwelling and family at the as-of date"):
an open tenancy first, else the address on their latest record (NFA passed over), with
postcodes filled in from the person's other records. `households` groups the results."""

from __future__ import annotations

import logging
from datetime import date

import polars as pl

from cohort.core.agencies import address_priority
from cohort.matching.address import no_fixed_abode, read_addresses, with_normalised_postcode

log = logging.getLogger(__name__)

OPEN_TENANCY_ROLES = ("lead_tenant", "joint_tenant")
# The tie order for records on the same date (architecture.md): cohort.core.agencies.
SOURCE_PRIORITY = address_priority()


def open_tenancies(housing: pl.DataFrame, links: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Each person's open tenancy at T (the latest-starting if several)."""
    on_t = (pl.col("tenancy_start") <= as_of) & (
        pl.col("tenancy_end").is_null() | (pl.col("tenancy_end") >= as_of)
    )
    person = links.filter(pl.col("source") == "housing").select("record_id", "person_id")
    return (
        housing.filter(on_t)
        .join(person, on="record_id")
        .sort(["person_id", "tenancy_start", "record_id"], descending=[False, True, False])
        .unique("person_id", keep="first")
        .select(
            "person_id", pl.lit("housing").alias("source"), "record_id", "address", "postcode", "uprn", "tenancy_ref",
            pl.col("role").alias("tenancy_role"),
            pl.col("tenancy_start").alias("record_date"),
        )
    )


def current_addresses(records: pl.DataFrame, links: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Each person's address on their most recent record dated <= T with an address or UPRN.

    A record whose address says only "no fixed abode" (NFA, N.F.A.) is passed over like a
    blank one (rules.md "Current address"): it says nothing about where the person lives."""
    priority = pl.col("source").replace_strict(SOURCE_PRIORITY, default=3, return_dtype=pl.Int32)
    nfa = (
        records.select("address").unique().drop_nulls()
        .filter(no_fixed_abode(pl.col("address")))["address"]
    )
    records = records.with_columns(
        pl.when(pl.col("address").is_in(nfa.implode())).then(None).otherwise(pl.col("address")).alias("address"))
    return (
        records.filter(
            (pl.col("record_date") <= as_of)
            & (pl.col("address").is_not_null() | pl.col("uprn").is_not_null())
        )
        .join(links.select("source", "record_id", "person_id"), on=["source", "record_id"])
        .with_columns(priority.alias("_priority"))
        .sort(["person_id", "record_date", "_priority", "record_id"],
              descending=[False, True, False, False])
        .unique("person_id", keep="first")
        .select("person_id", "source", "record_id", "address", "postcode", "uprn", "record_date")
    )


def dwellings_at(records: pl.DataFrame, links: pl.DataFrame, housing: pl.DataFrame,
                 as_of: date) -> pl.DataFrame:
    """person_id, source and record_id (the record the dwelling is read from), address,
    postcode (settled: `_impute_postcodes`), written_postcode (as the record wrote it),
    uprn, tenancy_ref (open tenancy only), tenancy_role, record_date, and the address read:
    addr (normalised) and its parts (`matching.address.read_addresses`)."""
    tenancy = open_tenancies(housing, links, as_of)
    current = (
        current_addresses(records, links, as_of)
        .join(tenancy.select("person_id"), on="person_id", how="anti")
        .with_columns(pl.lit(None, pl.Utf8).alias("tenancy_ref"), pl.lit(None, pl.Utf8).alias("tenancy_role"))
    )
    cols = ["person_id", "source", "record_id", "address", "postcode", "uprn", "tenancy_ref", "tenancy_role",
            "record_date"]
    dwell = pl.concat([tenancy.select(cols), current.select(cols)], how="vertical_relaxed")
    return _impute_postcodes(dwell.with_columns(pl.col("postcode").alias("written_postcode")), records, links)


def _address_key(frame: pl.DataFrame, read: pl.DataFrame) -> pl.DataFrame:
    """Add `_key` (flat|premise|street of the normalised address), from `read`
    (`read_addresses` of at least the frame's addresses)."""
    key = pl.concat_str([pl.col("flat").fill_null(""), "premise", "street"], separator="|").alias("_key")
    return frame.join(read.select("address", key), on="address", how="left")


def _impute_postcodes(dwell: pl.DataFrame, records: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """Settle the postcode of each person's current address from their other records of
    the same address (same flat, number and street):

    - written without a postcode, it takes the postcode the person gave for it elsewhere
      (the most common one), so that it can be told apart from the same house number and
      street in another town;
    - written with a postcode that more of the person's agencies write otherwise, in the
      same postcode district, it takes theirs: one agency still writing the postcode from
      before a Royal Mail recoding must not split the person from their family
      (decision 76). An open tenancy's postcode is the landlord's and stays.
    """
    with_pc = with_normalised_postcode(
        records.filter(pl.col("postcode").is_not_null() & pl.col("address").is_not_null())
        .select("source", "record_id", "address", "postcode")
        .join(links.select("source", "record_id", "person_id"), on=["source", "record_id"]), "postcode", "_pc")
    # Only persons whose agencies write more than one postcode can disagree with themselves.
    varied = (with_pc.select("person_id", "_pc").unique()
              .group_by("person_id").len().filter(pl.col("len") > 1).select("person_id"))
    need = dwell.filter(pl.col("address").is_not_null() & (
        pl.col("postcode").is_null()
        | (pl.col("tenancy_ref").is_null() & pl.col("person_id").is_in(varied["person_id"].implode()))))
    known = (
        with_pc.join(need.select("person_id").unique(), on="person_id")
        .select("person_id", "source", "address", "_pc")
        .filter(pl.col("_pc").str.contains(" "))
    )
    # Every address text is read once, here: the dwellings keep theirs for `households`.
    read = read_addresses(pl.concat([dwell["address"], known["address"]]))
    if need.height == 0:
        return dwell.join(read, on="address", how="left", maintain_order="left")
    per_pc = (
        _address_key(known, read)
        .group_by("person_id", "_key", "_pc").agg(pl.len().alias("_rows"), pl.col("source").n_unique().alias("_n"))
    )
    best = (  # for a blank postcode: the most rows
        per_pc.sort(["person_id", "_key", "_rows", "_pc"], descending=[False, False, True, False])
        .unique(["person_id", "_key"], keep="first")
        .select("person_id", "_key", "_pc")
    )
    most = (  # against a written one: the most agencies
        per_pc.sort(["person_id", "_key", "_n", "_pc"], descending=[False, False, True, False])
        .unique(["person_id", "_key"], keep="first")
        .select("person_id", "_key", pl.col("_pc").alias("_most"), pl.col("_n").alias("_most_n"))
    )
    district = pl.col("_own").str.extract(r"^(\S+) ", 1) == pl.col("_most").str.extract(r"^(\S+) ", 1)
    outvoted = (
        pl.col("tenancy_ref").is_null() & (pl.col("_own") != pl.col("_most")) & district
        & (pl.col("_most_n") > pl.col("_n").fill_null(0))
    ).fill_null(False)
    return (
        with_normalised_postcode(_address_key(dwell, read), "postcode", "_own")
        .join(best, on=["person_id", "_key"], how="left")
        .join(most, on=["person_id", "_key"], how="left")
        .join(per_pc.select("person_id", "_key", pl.col("_pc").alias("_own"), "_n"),
              on=["person_id", "_key", "_own"], how="left")
        .with_columns(pl.when(outvoted).then(pl.col("_most")).otherwise(pl.coalesce("postcode", "_pc"))
                      .alias("postcode"))
        .drop("_key", "_pc", "_own", "_most", "_most_n", "_n")
        .join(read, on="address", how="left", maintain_order="left")
    )
