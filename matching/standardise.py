"""Standardise person records into comparable fields.

Every function here is a polars expression (or a frame-level wrapper over them) so that
a million rows are standardised as column operations. The text-heavy work (addresses,
names, postcodes) runs on the distinct raw values only and is joined back, because the
same address or name repeats across many rows. Every normalisation is idempotent:
feeding its output back in returns the same output (a property test checks it).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import polars as pl

from cohort.core.agencies import id_authority, source_ages
from cohort.matching.address import (  # noqa: F401  (re-exported: the address half of standardise)
    ADDRESS_PARTS, add_address_parts, no_fixed_abode, normalise_address, normalise_postcode, postcode_parts,
)
from cohort.matching.fold import ascii_upper, distinct_map, null_if_empty

NICKNAMES_PATH = Path(str(resources.files("cohort.matching") / "nicknames.csv"))

TITLES = ("MR", "MRS", "MISS", "MS", "MSTR", "MASTER", "DR")

# Which sources issue an identifier (cohort.core.agencies): two different values from
# issuing sources mean two different people (barring a keying error); a value quoted by
# another agency is weaker.
ID_AUTHORITY: dict[str, tuple[str, ...]] = id_authority()
PERSON_IDS = tuple(ID_AUTHORITY)
# Identifiers only children have: two same-name children in one home are one child, so a
# conflict in these is a keying error even when the date of birth is missing.
CHILD_IDS = ("upn",)

_SOUNDEX = {
    **dict.fromkeys("AEIOUY", "0"), **dict.fromkeys("BFPV", "1"),
    **dict.fromkeys("CGJKQSXZ", "2"), **dict.fromkeys("DT", "3"), "L": "4",
    **dict.fromkeys("MN", "5"), "R": "6", **dict.fromkeys("HW", "0"),
}


def clean_name(e: pl.Expr) -> pl.Expr:
    """Upper-case letters and single spaces only: O'Brien -> OBRIEN, Smith-Jones -> SMITH JONES."""
    out = (
        ascii_upper(e)
        .str.replace_all(r"['’`.]", "")
        .str.replace_all(r"[^A-Z]+", " ")
        .str.strip_chars()
    )
    return null_if_empty(out)


def clean_forename(e: pl.Expr) -> pl.Expr:
    """clean_name without leading titles (Mr, Miss, ...), which some agencies key in."""
    titles = "|".join(TITLES)
    return null_if_empty(clean_name(e).str.replace(rf"^(?:(?:{titles}) )+", ""))


def soundex(e: pl.Expr) -> pl.Expr:
    """American Soundex of an upper-case name (SMITH -> S530), null for no letters.

    Vectorised: code every letter, collapse runs of one code, drop the first letter's code
    and the vowels. H and W are removed before collapsing so letters they separate are
    coded once, as the standard requires.
    """
    letters = e.str.replace_all(r"[^A-Z]", "")
    first = letters.str.slice(0, 1)
    first_code = first.str.replace_many(list(_SOUNDEX), list(_SOUNDEX.values()))
    rest = letters.str.slice(1).str.replace_all("[HW]", "")
    coded = first_code + rest.str.replace_many(list(_SOUNDEX), list(_SOUNDEX.values()))
    for d in "0123456":
        coded = coded.str.replace_all(f"{d}+", d)
    tail = coded.str.slice(1).str.replace_all("0", "")
    return pl.when(letters.str.len_chars() > 0).then((first + tail + "000").str.slice(0, 4))


def clean_id(e: pl.Expr) -> pl.Expr:
    return null_if_empty(ascii_upper(e).str.replace_all(r"[^A-Z0-9]", ""))


def parse_date(e: pl.Expr) -> pl.Expr:
    """A date from 'YYYY-MM-DD' or 'DD/MM/YYYY' text (the two forms the contract allows)."""
    return pl.coalesce(
        e.str.to_date("%Y-%m-%d", strict=False), e.str.to_date("%d/%m/%Y", strict=False)
    )


@lru_cache(maxsize=1)
def nickname_groups() -> pl.DataFrame:
    """name -> sorted list of the canonical names it can stand for (a name may be in several)."""
    table = pl.read_csv(NICKNAMES_PATH, schema={"canonical": pl.Utf8, "name": pl.Utf8})
    return (
        table.select(clean_name(pl.col("canonical")), clean_name(pl.col("name")))
        .unique()
        .group_by("name")
        .agg(pl.col("canonical").sort().alias("fn_groups"))
    )


KNOWN_NAME_DOBS = 3


# What a record's source says about its subject's age on the record's date, as (youngest,
# oldest) in whole years, None for no bound (each agency's `ages`, cohort.core.agencies);
# a lead or joint tenant is 16 or more (a household member may be any age).
SOURCE_AGES: dict[str, tuple[int | None, int | None]] = source_ages()
TENANT_AGE = 16
TENANT_ROLES = ("lead_tenant", "joint_tenant")


def birth_window(records: pl.DataFrame) -> list[pl.Expr]:
    """`born_by` and `born_after`: the latest and earliest date of birth the record's
    source allows (SOURCE_AGES, and the housing `role` when the records carry it)."""
    src, day = pl.col("source"), pl.col("record_date")
    youngest = src.replace_strict({k: v[0] for k, v in SOURCE_AGES.items()}, default=None, return_dtype=pl.Int32)
    oldest = src.replace_strict({k: v[1] for k, v in SOURCE_AGES.items()}, default=None, return_dtype=pl.Int32)
    if "role" in records.columns:
        tenant = (src == "housing") & pl.col("role").str.to_lowercase().str.strip_chars().is_in(list(TENANT_ROLES))
        youngest = pl.when(tenant).then(pl.lit(TENANT_AGE, pl.Int32)).otherwise(youngest)
    return [
        day.dt.offset_by(pl.format("-{}y", youngest)).alias("born_by"),
        day.dt.offset_by(pl.format("-{}y", oldest + 1)).alias("born_after"),
    ]


def standardise(records: pl.DataFrame) -> pl.DataFrame:
    """The comparison fields of every record (architecture.md `records` in, one row out each).

    Output columns: source, record_id, record_date, born_by and born_after (the dates
    of birth the source allows, `birth_window`) and
    fn_first, fn_middle, fn_middle_first, fn_canon, fn_canon2, fn_initial (forename: a
    name in two nickname groups, like SAM, has both canonicals), fn_groups (every
    canonical name it may stand for, itself when none), fn_known (a name in use rather
    than a keying slip); sn, sn_compact, sn_groups (the surname's nickname groups, had it
    been a forename),
    sn_first_part, sn_last_part, sn_soundex (surname); dob, dob_y, dob_m, dob_d, dob_s;
    sex; pc, pc_valid, pc_sector, pc_district; addr, flat, house, premise, street,
    street_name, street_type;
    upn, nino, pnc_id, uprn (cleaned) and nino_auth/upn_auth/pnc_id_auth (issued by
    that agency).
    """
    r = records
    if r.schema.get("dob") == pl.Utf8:
        r = r.with_columns(parse_date(pl.col("dob")).alias("dob"))
    base = r.select(
        "source", "record_id", "record_date", *birth_window(r),
        pl.col("forename").alias("_fn"), pl.col("surname").alias("_sn"),
        pl.col("dob").cast(pl.Date),
        pl.col("gender").alias("_sex"), pl.col("address").alias("_addr"),
        pl.col("postcode").alias("_pc"),
        *[clean_id(pl.col(c)).alias(c) for c in ("upn", "nino", "pnc_id", "uprn")],
    )
    base = distinct_map(base, "_fn", [clean_forename(pl.col("_fn")).alias("fn_clean")])
    base = distinct_map(base, "_sn", [clean_name(pl.col("_sn")).alias("sn")])
    base = distinct_map(base, "_pc", [normalise_postcode(pl.col("_pc")).alias("pc")])
    base = distinct_map(base, "_addr", [normalise_address(pl.col("_addr")).alias("addr")])
    base = base.join(add_address_parts(base.select("addr").unique()), on="addr", how="left", nulls_equal=True)

    base = base.with_columns(
        pl.col("fn_clean").str.extract(r"^(\S+)", 1).alias("fn_first"),
        pl.col("fn_clean").str.extract(r"^\S+ (.+)$", 1).alias("fn_middle"),
        pl.col("fn_clean").str.extract(r"^\S+ (\S+)", 1).alias("fn_middle_first"),
        pl.col("sn").str.extract(r"^(\S+)", 1).alias("sn_first_part"),
        pl.col("sn").str.extract(r"(\S+)$", 1).alias("sn_last_part"),
        pl.col("sn").str.replace_all(" ", "").alias("sn_compact"),
    )
    base = base.join(nickname_groups(), left_on="fn_first", right_on="name", how="left")
    # The surname read as a forename, for names keyed the wrong way round ("WELTON JESS").
    base = base.join(nickname_groups().rename({"fn_groups": "sn_groups"}), left_on="sn_compact", right_on="name",
                     how="left")
    src = pl.col("source")
    # A forename is known when the nickname table has it, or when it is seen with
    # KNOWN_NAME_DOBS dates of birth or more: a name in use, not a keying slip.
    known = pl.col("fn_groups").is_not_null() | (pl.col("dob").drop_nulls().n_unique().over("fn_first") >= KNOWN_NAME_DOBS)
    return base.with_columns(
        pl.coalesce(pl.col("fn_groups").list.first(), pl.col("fn_first")).alias("fn_canon"),
        pl.coalesce(pl.col("fn_groups").list.last(), pl.col("fn_first")).alias("fn_canon2"),
        pl.when(pl.col("fn_first").is_not_null())
        .then(pl.coalesce(pl.col("fn_groups"), pl.concat_list(pl.col("fn_first")))).alias("fn_groups"),
        (known & pl.col("fn_first").is_not_null()).alias("fn_known"),
        pl.when(pl.col("sn_compact").is_not_null())
        .then(pl.coalesce(pl.col("sn_groups"), pl.concat_list(pl.col("sn_compact")))).alias("sn_groups"),
        pl.col("fn_first").str.slice(0, 1).alias("fn_initial"),
        soundex(pl.col("sn_compact")).alias("sn_soundex"),
        pl.col("dob").dt.year().alias("dob_y"),
        pl.col("dob").dt.month().alias("dob_m"),
        pl.col("dob").dt.day().alias("dob_d"),
        pl.col("dob").dt.strftime("%Y%m%d").alias("dob_s"),
        pl.when(pl.col("_sex").str.to_uppercase().str.strip_chars().is_in(["M", "F"]))
        .then(pl.col("_sex").str.to_uppercase().str.strip_chars())
        .alias("sex"),
        *postcode_parts(pl.col("pc")),
        *[
            (src.is_in(list(auth)) & pl.col(c).is_not_null()).alias(f"{c}_auth")
            for c, auth in ID_AUTHORITY.items()
        ],
    ).select(
        "source", "record_id", "record_date", "born_by", "born_after",
        "fn_first", "fn_middle", "fn_middle_first", "fn_canon", "fn_canon2", "fn_groups", "fn_known", "fn_initial",
        "sn", "sn_compact", "sn_first_part", "sn_last_part", "sn_soundex", "sn_groups",
        "dob", "dob_y", "dob_m", "dob_d", "dob_s", "sex",
        "pc", "pc_valid", "pc_sector", "pc_district",
        "addr", "flat", "house", "premise", "street", "street_name", "street_type",
        "upn", "nino", "pnc_id", "uprn", "nino_auth", "upn_auth", "pnc_id_auth",
    )


def corroborate_ids(std: pl.DataFrame, min_records: int = 2) -> pl.DataFrame:
    """Add `<id>_firm`: an issued identifier seen on at least `min_records` records with
    the same date of birth.

    A few identifiers are keyed against the wrong row and so carry a stranger's value;
    such a value is almost never repeated with this person's date of birth. Only firm
    identifiers are strong enough to keep two records apart (twins each have their own
    UPN on every census return); a lone conflicting one only weighs against a match.
    """
    return std.with_columns(
        (pl.col(f"{c}_auth") & (pl.len().over(c, "dob") >= min_records)).alias(f"{c}_firm")
        for c in PERSON_IDS
    )

