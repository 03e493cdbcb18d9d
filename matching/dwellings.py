"""Where each person lives at T (architecture.md "Dwelling and family at the as-of date"):
an open tenancy first, else the address on their latest record (NFA passed over), with
postcodes filled in from the person's other records. `households` groups the results."""

from __future__ import annotations

import logging
from datetime import date

import polars as pl

from cohort.core.agencies import address_priority
from cohort.matching.address import (
    add_address_parts, no_fixed_abode, normalise_address, normalise_postcode,
)

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
            "person_id", "address", "postcode", "uprn", "tenancy_ref",
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
        .select("person_id", "address", "postcode", "uprn", "record_date")
    )


def dwellings_at(records: pl.DataFrame, links: pl.DataFrame, housing: pl.DataFrame,
                 as_of: date) -> pl.DataFrame:
    """person_id, address, postcode, uprn, tenancy_ref (open tenancy only), tenancy_role, record_date."""
    tenancy = open_tenancies(housing, links, as_of)
    current = (
        current_addresses(records, links, as_of)
        .join(tenancy.select("person_id"), on="person_id", how="anti")
        .with_columns(pl.lit(None, pl.Utf8).alias("tenancy_ref"), pl.lit(None, pl.Utf8).alias("tenancy_role"))
    )
    cols = ["person_id", "address", "postcode", "uprn", "tenancy_ref", "tenancy_role", "record_date"]
    dwell = pl.concat([tenancy.select(cols), current.select(cols)], how="vertical_relaxed")
    return _impute_postcodes(dwell, records, links)


def _address_key(frame: pl.DataFrame) -> pl.DataFrame:
    """Add `_key` (flat|premise|street of the normalised address) via distinct addresses."""
    distinct = add_address_parts(
        frame.select("address").unique().drop_nulls()
        .with_columns(normalise_address(pl.col("address")).alias("_addr")),
        "_addr",
    ).select("address", pl.concat_str([pl.col("flat").fill_null(""), "premise", "street"],
                                      separator="|").alias("_key"))
    return frame.join(distinct, on="address", how="left")


def _impute_postcodes(dwell: pl.DataFrame, records: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """A current address written without its postcode takes the postcode the same person
    gave for the same address on other records (the most common one), so that it can be
    told apart from the same house number and street in another town."""
    need = dwell.filter(pl.col("postcode").is_null() & pl.col("address").is_not_null())
    if need.height == 0:
        return dwell
    known = (
        records.filter(pl.col("postcode").is_not_null() & pl.col("address").is_not_null())
        .join(links.select("source", "record_id", "person_id"), on=["source", "record_id"])
        .join(need.select("person_id").unique(), on="person_id")
        .select("person_id", "address", normalise_postcode(pl.col("postcode")).alias("_pc"))
        .filter(pl.col("_pc").str.contains(" "))
    )
    best = (
        _address_key(known)
        .group_by("person_id", "_key", "_pc").len()
        .sort(["person_id", "_key", "len", "_pc"], descending=[False, False, True, False])
        .unique(["person_id", "_key"], keep="first")
        .select("person_id", "_key", "_pc")
    )
    return (
        _address_key(dwell)
        .join(best, on=["person_id", "_key"], how="left")
        .with_columns(pl.coalesce("postcode", "_pc").alias("postcode"))
        .drop("_key", "_pc")
    )
