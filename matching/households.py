"""Households: who lives together at the as-of date T (architecture.md, "Dwelling and family").

A person's dwelling at T is their open tenancy if they have one, else the address on
their most recent dated record that has an address or UPRN, else none (no fixed abode).
Dwellings are the same when they share an open tenancy, a UPRN, or a normalised address
(flat and house number strictly; street and postcode allowing a typo). Persons whose
dwellings are the same form one family (union-find over distinct addresses).

Because a few UPRNs and postcodes are keyed wrongly or left blank, three cautions keep
one bad value from joining two households: a UPRN does not join addresses that clearly
disagree (or two different open tenancies); a blank postcode is first filled from the
same person's other records of that address; and an address still without a postcode
joins a dwelling only when it matches one (by town if it names one).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl
from rapidfuzz.distance import OSA, JaroWinkler
from rapidfuzz.process import cpdist

from cohort.core.agencies import child_sources
from cohort.core.reference import district_for_postcode
from cohort.core.ruleset import shipped_value
from cohort.matching import partition
from cohort.matching.cluster import find_root
from cohort.matching.compare import STREET_JW, street_agrees
from cohort.matching.pipeline import hashed_id, representative_values
from cohort.matching.address import (
    ADDRESS_PARTS, known_places, postcode_sector, postcodes_agree, read_addresses, with_normalised_postcode,
)
from cohort.matching.standardise import clean_id
from cohort.matching.dwellings import OPEN_TENANCY_ROLES, dwellings_at

log = logging.getLogger(__name__)

# Sources whose subjects are children, for a person with no date of birth anywhere, and
# the tie order for records on the same date (architecture.md): cohort.core.agencies.
CHILD_SOURCES = child_sources()


@dataclass(frozen=True)
class HouseholdResult:
    members: pl.DataFrame   # person_id, family_id, role
    families: pl.DataFrame  # family_id, district, members, address, postcode, uprn
    # Each person's dwelling record, read once here for every later reader (the review's
    # household and two-families questions, and its decisions): DWELLING_COLUMNS.
    dwellings: pl.DataFrame


# person_id, the record the dwelling is read from, its address and postcode as written,
# uprn, open tenancy, and the address's parts (matching.address.ADDRESS_PARTS).
DWELLING_COLUMNS = ("person_id", "source", "record_id", "address", "postcode", "uprn", "tenancy_ref",
                    *ADDRESS_PARTS)


class _UnionFind:
    def __init__(self, n: int):
        self.parent = np.arange(n, dtype=np.int64)

    def find(self, x: int) -> int:
        return find_root(self.parent, x)

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _star_edges(addr: pl.DataFrame, key: str) -> pl.DataFrame:
    """Link every address to the first one sharing its key (enough for union-find)."""
    return (
        addr.drop_nulls(key)
        .with_columns(pl.col("aid").min().over(key).alias("aid_r"))
        .filter(pl.col("aid") != pl.col("aid_r"))
        .select("aid", "aid_r")
    )


def _candidate_pairs(addr: pl.DataFrame) -> pl.DataFrame:
    """Address pairs worth comparing: same flat and premise with the same postcode sector
    or street, the same text and postcode, two named houses in one postcode (a typo in
    the name), or the same UPRN."""
    cand = []
    for keys in (["_flat", "premise", "pc_sector"], ["_flat", "premise", "street"], ["addr", "pc"],
                 ["_flat", "_named", "pc"], ["_uprn"]):
        side = addr.drop_nulls([k for k in keys if k != "_flat"]).select("aid", *keys)
        cand.append(
            side.join(side, on=keys, suffix="_r")
            .filter(pl.col("aid") < pl.col("aid_r"))
            .select("aid", "aid_r")
        )
    return pl.concat(cand).unique()


EDGE_SCHEMA = {"aid": pl.UInt32, "aid_r": pl.UInt32, "pc_missing": pl.Boolean,
               "via_uprn": pl.Boolean, "town_match": pl.Boolean}


def _same_dwelling_edges(addr: pl.DataFrame, mapper: partition.Mapper = partition.serial_map,
                         partitions: int | None = None) -> pl.DataFrame:
    """Candidate pairs that are one dwelling: (aid, aid_r, pc_missing, via_uprn, town_match).

    The candidate pairs are compared per partition (whole components of the candidate
    graph, `matching.partition`) through `mapper`; the edges do not depend on either.
    """
    fields = addr.select("aid", "_flat", "premise", "_named", "street", "street_name", "street_type", "locality",
                         "pc", "pc_sector", "_uprn", "tenancy_ref")
    cand = _candidate_pairs(addr)
    k = partition.partition_count(cand.height, partitions)
    part = partition.assign(addr.height, cand["aid"].to_numpy(), cand["aid_r"].to_numpy(), k)
    work = [
        p.join(fields, on="aid").join(fields.rename({c: f"{c}_r" for c in fields.columns}), on="aid_r")
        for p in partition.split(cand, part, "aid", k)
    ]
    edges = pl.concat([pl.DataFrame(schema=EDGE_SCHEMA), *mapper(dwelling_edges, work)], how="vertical_relaxed")
    return edges.cast(EDGE_SCHEMA).sort("aid", "aid_r")


def dwelling_edges(wide: pl.DataFrame) -> pl.DataFrame:
    """Which candidate address pairs (both sides' fields side by side) are one dwelling.

    Same address: flat and premise equal, the same street allowing a typo, and postcode
    equal or one typo apart (a changed character or two swapped, or the last one lost),
    or blank on a side and then no conflicting town. A street name up to two edits off
    counts only when flat, number and postcode all agree, and so does a house
    name ("LITTLE ORCHARD, HYTEH AV") when flat and postcode agree. Two addresses with different
    UPRNs, or on different open tenancies, are one dwelling only on overwhelming evidence:
    the same flat, number, street and postcode exactly. The same flat, number and street
    written exactly alike in one postcode sector is one dwelling whatever the rest of the
    postcode: a sector holds one street of a name, and an agency that still writes the
    postcode from before a Royal Mail recoding differs in both inward letters (decision
    75). Same UPRN: accepted unless the
    addresses disagree (postcodes not close, or streets differ) or the two are on
    different open tenancies, since a few UPRNs are keyed against the wrong row.
    """
    if wide.height == 0:
        return pl.DataFrame(schema=EDGE_SCHEMA)

    def sim(a: str, b: str, scorer) -> pl.Series:
        # Each distinct pair of texts is scored once: candidate pairs repeat a few streets,
        # towns and postcodes (at county, 1-20 % of the pairs are distinct).
        sides = wide.select(pl.col(a).fill_null("").alias("a"), pl.col(b).fill_null("").alias("b"))
        distinct = sides.unique()
        scores = cpdist(distinct["a"].to_list(), distinct["b"].to_list(), scorer=scorer, workers=-1)
        distinct = distinct.with_columns(s=pl.Series(np.asarray(scores, dtype=np.float64)))
        return sides.join(distinct, on=["a", "b"], how="left", maintain_order="left")["s"]

    wide = wide.with_columns(
        sim("street", "street_r", JaroWinkler.normalized_similarity).alias("_street_jw"),
        sim("street_name", "street_name_r", JaroWinkler.normalized_similarity).alias("_name_jw"),
        sim("locality", "locality_r", JaroWinkler.normalized_similarity).alias("_town_jw"),
        sim("pc", "pc_r", OSA.distance).alias("_pc_osa"),
        sim("street_name", "street_name_r", OSA.distance).alias("_name_osa"),
        sim("premise", "premise_r", OSA.distance).alias("_premise_osa"),
    )
    pc_missing = pl.col("pc").is_null() | pl.col("pc_r").is_null()
    pc_close = (pl.col("_pc_osa") <= 1).fill_null(False)
    both_streets = pl.col("street").is_not_null() & pl.col("street_r").is_not_null()
    street_ok = both_streets & street_agrees(
        pl.col("street_type"), pl.col("street_type_r"), pl.col("_street_jw"), pl.col("_name_jw"))
    # One locality inside the other is one place: "MARGATE" and "GARLINGE MARGATE".
    within = (pl.col("locality").str.contains(pl.col("locality_r"), literal=True)
              | pl.col("locality_r").str.contains(pl.col("locality"), literal=True))
    both_known = known_places(pl.col("locality")) & known_places(pl.col("locality_r"))
    same_town = (((pl.col("_town_jw") >= STREET_JW) & ~both_known) | within).fill_null(False)
    town_ok = pl.col("locality").is_null() | pl.col("locality_r").is_null() | same_town
    pc_agree = postcodes_agree(pl.col("pc"), pl.col("pc_r"))
    same_types = (pl.col("street_type") == pl.col("street_type_r")) | (
        pl.col("street_type").is_null() & pl.col("street_type_r").is_null())
    street_typo = both_streets & same_types & (pl.col("_name_osa") <= 2) & pc_agree
    same_flat = pl.col("_flat") == pl.col("_flat_r")
    same_building = same_flat & (pl.col("premise") == pl.col("premise_r"))
    named = pl.col("_named").is_not_null() & pl.col("_named_r").is_not_null()
    named_typo = named & same_flat & (pl.col("_premise_osa") <= 2) & pc_agree
    same_address = ((same_building & (street_ok | street_typo)) | named_typo).fill_null(False)
    other_uprn = (pl.col("_uprn") != pl.col("_uprn_r")).fill_null(False)
    exact = (same_building & (pl.col("street") == pl.col("street_r"))
             & (pl.col("pc") == pl.col("pc_r"))).fill_null(False)
    town_match = same_town
    same_uprn = (pl.col("_uprn") == pl.col("_uprn_r")).fill_null(False)
    other_tenancy = (pl.col("tenancy_ref") != pl.col("tenancy_ref_r")).fill_null(False)
    same_street = (same_building & (pl.col("street") == pl.col("street_r"))).fill_null(False)
    one_sector = (pl.col("pc_sector") == pl.col("pc_sector_r")).fill_null(False)
    recoded = same_street & one_sector
    uprn_ok = same_uprn & (pc_missing | pc_close | recoded) & (~both_streets | street_ok) & ~other_tenancy
    kept_apart = (other_uprn | other_tenancy) & ~exact
    return wide.filter((same_address & (pc_close | recoded | (pc_missing & town_ok)) & ~kept_apart)
                       | uprn_ok).select(
        "aid", "aid_r", pc_missing.alias("pc_missing"), uprn_ok.alias("via_uprn"),
        town_match.alias("town_match"))


def group_dwellings(dwell: pl.DataFrame, mapper: partition.Mapper = partition.serial_map,
                    partitions: int | None = None) -> pl.DataFrame:
    """Add `dwelling` (a component number) to each person's dwelling row.

    Addresses with a postcode (or on one tenancy) are grouped first. An address without
    a postcode then joins the one group it matches; when it matches several ("11 Poplar
    Road" is in two towns) it stays on its own rather than merging two households
    through itself.
    """
    keys = ["address", "postcode", "uprn", "tenancy_ref"]
    if "addr" not in dwell.columns:  # addresses not yet read (`dwellings_at` reads them)
        dwell = dwell.join(read_addresses(dwell["address"]), on="address", how="left", maintain_order="left")
    addr = with_normalised_postcode(
        dwell.select(*keys, "addr", *ADDRESS_PARTS).unique(keys, keep="first", maintain_order=True)
        .with_row_index("aid")
        .with_columns(clean_id(pl.col("uprn")).alias("_uprn")),
        "postcode", "pc",
    ).with_columns(
        pl.col("flat").fill_null("").alias("_flat"),
        postcode_sector(pl.col("pc")).alias("pc_sector"),
        pl.when(pl.col("house").is_null() & pl.col("premise").is_not_null()).then(pl.lit("named")).alias("_named"),
    )
    edges = _same_dwelling_edges(addr, mapper, partitions)
    uf = _UnionFind(addr.height)
    firm = pl.concat([
        _star_edges(addr, "tenancy_ref"),
        edges.filter(~pl.col("pc_missing")).select("aid", "aid_r"),
    ], how="vertical_relaxed")
    for a, b in firm.iter_rows():
        uf.union(a, b)
    # An address without a postcode and not already on a tenancy joins the one group its
    # UPRN points to, else the one group its address matches, else the one group in the
    # town it names; otherwise it stays on its own.
    grouped = set(firm["aid"].to_list()) | set(firm["aid_r"].to_list())
    loose = edges.filter(pl.col("pc_missing")).select("aid", "aid_r", "via_uprn", "town_match")
    found: dict[int, dict[str, set[int]]] = {}
    no_pc = set(addr.filter(pl.col("pc").is_null())["aid"].to_list()) - grouped
    for a, b, via_uprn, town in loose.iter_rows():
        for x, y in ((a, b), (b, a)):
            if x in no_pc:
                f = found.setdefault(x, {"uprn": set(), "any": set(), "town": set()})
                f["any"].add(uf.find(y))
                if via_uprn:
                    f["uprn"].add(uf.find(y))
                if town:
                    f["town"].add(uf.find(y))
    for a, f in found.items():
        if f["uprn"]:
            targets = f["uprn"]
        elif len(f["any"]) == 1:
            targets = f["any"]
        else:
            targets = f["town"]
        if len(targets) == 1:
            uf.union(a, next(iter(targets)))
    comp = pl.Series("dwelling", [uf.find(i) for i in range(addr.height)], dtype=pl.Int64)
    addr = addr.with_columns(comp)
    return dwell.join(addr.select(*keys, "dwelling", "pc"), on=keys, how="left", nulls_equal=True)


def _most_common(frame: pl.DataFrame, col: str, prefer: pl.Expr | None = None) -> pl.DataFrame:
    """Per family, the most common non-null value (ties: preferred, latest record, smallest)."""
    f = frame.drop_nulls(col).with_columns((prefer if prefer is not None else pl.lit(True)).alias("_prefer"))
    return (
        f.group_by("family_id", col)
        .agg(pl.len().alias("_n"), pl.col("_prefer").first(), pl.col("record_date").max().alias("_latest"))
        .sort(["family_id", "_prefer", "_n", "_latest", col], descending=[False, True, True, True, False],
              nulls_last=True)
        .unique("family_id", keep="first")
        .select("family_id", col)
    )


def _roles(members: pl.DataFrame, records: pl.DataFrame, links: pl.DataFrame, as_of: date,
           adult_age: int, persons: pl.DataFrame | None = None) -> pl.DataFrame:
    """Role per member: the open tenancy's lead/joint role, else adult/child by age at T."""
    rep = (representative_values(records, links) if persons is None else persons).select("person_id", "dob")
    child_source = (
        records.join(links.select("source", "record_id", "person_id"), on=["source", "record_id"])
        .group_by("person_id")
        .agg(pl.col("source").is_in(list(CHILD_SOURCES)).any().alias("_child_source"))
    )
    m = members.join(rep, on="person_id", how="left").join(child_source, on="person_id", how="left")
    had_birthday = (pl.col("dob").dt.month() < as_of.month) | (
        (pl.col("dob").dt.month() == as_of.month) & (pl.col("dob").dt.day() <= as_of.day)
    )
    age = as_of.year - pl.col("dob").dt.year() - pl.when(had_birthday).then(0).otherwise(1)
    by_age = (
        pl.when(age.is_not_null())
        .then(pl.when(age >= adult_age).then(pl.lit("adult")).otherwise(pl.lit("child")))
        .when(pl.col("_child_source").fill_null(False)).then(pl.lit("child"))
        .otherwise(pl.lit("adult"))
    )
    return m.with_columns(
        pl.when(pl.col("tenancy_role").is_in(list(OPEN_TENANCY_ROLES)))
        .then(pl.col("tenancy_role"))
        .otherwise(by_age)
        .alias("role")
    )


def form_households(records: pl.DataFrame, links: pl.DataFrame, housing: pl.DataFrame,
                    as_of: date, *, mapper: partition.Mapper = partition.serial_map,
                    partitions: int | None = None, adult_age: int | None = None,
                    persons: pl.DataFrame | None = None) -> HouseholdResult:
    """Families at T: `members` (person_id, family_id, role), `families` (family_id, district,
    members, address, postcode, uprn). Address comparisons run per partition through
    `mapper` (see `matching.partition`); the result does not depend on either. A member
    without a tenancy role is an adult from `adult_age` (the rule set's, shipped by default).
    `persons`: the match's representative values of these links (their date of birth), when
    the caller has them; else they are worked out again."""
    if adult_age is None:
        adult_age = shipped_value("identification", "adult_age")
    dwell = group_dwellings(dwellings_at(records, links, housing, as_of), mapper, partitions)
    fam = (
        dwell.group_by("dwelling")
        .agg(pl.col("person_id").min().alias("_first"))
        .with_columns(hashed_id("F", pl.col("_first")).alias("family_id"))
    )
    dwell = dwell.join(fam.select("dwelling", "family_id"), on="dwelling")
    members = (
        _roles(dwell, records, links, as_of, adult_age, persons)
        .select("person_id", "family_id", "role")
        .sort("family_id", "person_id")
    )
    valid_pc = pl.col("pc").str.contains(r"^[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][A-Z]{2}$").fill_null(False)
    postcode = _most_common(dwell, "pc", prefer=valid_pc).rename({"pc": "postcode"})
    districts = postcode.select("postcode").unique().with_columns(
        pl.col("postcode").map_elements(district_for_postcode, return_dtype=pl.Utf8).alias("district")
    )
    families = (
        fam.select("family_id")
        .join(dwell.group_by("family_id").agg(pl.col("person_id").n_unique().cast(pl.Int64).alias("members")),
              on="family_id")
        .join(_most_common(dwell, "address"), on="family_id", how="left")
        .join(postcode, on="family_id", how="left")
        .join(_most_common(dwell, "uprn"), on="family_id", how="left")
        .join(districts, on="postcode", how="left")
        .with_columns(pl.col("district").fill_null(district_for_postcode(None)))
        .select("family_id", "district", "members", "address", "postcode", "uprn")
        .sort("family_id")
    )
    log.info("households: %d families of %d persons; %d linked persons have no dwelling at T",
             families.height, members.height, links["person_id"].n_unique() - members.height)
    dwellings = (dwell.with_columns(pl.col("written_postcode").alias("postcode"))  # as written, not settled
                 .select(DWELLING_COLUMNS).sort("person_id"))
    return HouseholdResult(members=members, families=families, dwellings=dwellings)
