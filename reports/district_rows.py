"""What the district lists (and the county's out-of-area list) show, as polars frames.

Built for all districts at once with column operations; the workbook modules only lay
the frames out. Every code becomes words here (`cohort.reports.labels`), so nothing
downstream meets `lead_tenant` or `nosp_asb`.

- Families: one row per listed family: id, status, address and postcode, members and the
  lead adult, each criterion as Yes/— and one line per met criterion saying why, and a
  blank Key worker column for the local operational group.
- Members: one row per member: name, date of birth, age and school year in words, role.
- Evidence: one row per record behind a met criterion, in words, with its record id.

Need to know: names, dates of birth and addresses appear because a key worker must find
and recognise the family; person ids, identifiers and match details do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from cohort.core.reference import DISTRICTS, OUT_OF_AREA
from cohort.reports.labels import CRITERION_LABELS, ROLE_LABELS, SOURCE_LABELS, STATUS_LABELS, label, plain_text
from cohort.reports.xlsx_book import Column

LISTED_STATUSES: tuple[str, ...] = ("automatic", "discretionary", "candidate")
STATUSES: tuple[str, ...] = (*LISTED_STATUSES, "not_eligible")
ROLE_ORDER: tuple[str, ...] = ("lead_tenant", "joint_tenant", "household_member", "adult", "child")
SCHOOL_SOURCES: tuple[str, ...] = ("school_census", "school_exclusions")
YES, NO = "Yes", "—"

FAMILY_INPUT = ("family_id", "district", "members", "criteria_met", "status")
MEMBER_INPUT = {
    "family_id": pl.String, "person_id": pl.String, "forename": pl.String, "surname": pl.String,
    "dob": pl.Date, "age": pl.Int64, "role": pl.String,
}
EVIDENCE_INPUT = {
    "family_id": pl.String, "criterion": pl.String, "source": pl.String, "record_id": pl.String,
    "person_id": pl.String, "event_date": pl.Date, "value": pl.String,
}
ADDRESS_INPUT = {"family_id": pl.String, "address": pl.String, "postcode": pl.String}



def family_columns(criteria: tuple[str, ...]) -> list[Column]:
    """The Families sheet, left to right. A new column is one line here (its value
    computed in `family_rows` if the input frames do not already hold it)."""
    return [
        Column("family_id", "Family ID", 13),
        Column("status", "Status", 13),
        Column("address", "Address", 30, "wrap"),
        Column("postcode", "Postcode", 10),
        Column("members", "Members", 9, "int"),
        Column("lead_adult", "Lead adult", 22, "wrap"),
        *[Column(c, CRITERION_LABELS.get(c, c), 10, "wrap") for c in criteria],
        Column("why", "Why (one line per criterion met)", 52, "wrap"),
        Column("key_worker", "Key worker", 16),
    ]


MEMBER_COLUMNS: list[Column] = [
    Column("family_id", "Family ID", 13),
    Column("forename", "Forename", 16),
    Column("surname", "Surname", 18),
    Column("dob", "Date of birth", 13, "date"),
    Column("age", "Age", 11),
    Column("school_year", "School year", 11),
    Column("role", "Role", 16),
]

EVIDENCE_COLUMNS: list[Column] = [
    Column("family_id", "Family ID", 13),
    Column("criterion", "Criterion", 16),
    Column("member", "Member", 22),
    Column("event_date", "Date", 12, "date"),
    Column("source", "Agency", 20),
    Column("what", "What the record says", 60, "wrap"),
    Column("record_id", "Agency's record ID", 18),
]


def conform(frame: pl.DataFrame, columns: dict[str, pl.DataType], name: str,
            optional: tuple[str, ...] = ()) -> pl.DataFrame:
    """The columns this module reads, cast to their types (empty frames often arrive untyped)."""
    missing = [c for c in columns if c not in frame.columns and c not in optional]
    if missing:
        raise ValueError(f"{name} frame lacks columns {missing}")
    return frame.select(
        (pl.col(c) if c in frame.columns else pl.lit(None)).cast(t).alias(c) for c, t in columns.items()
    )


def check_families(families: pl.DataFrame, criteria: tuple[str, ...]) -> None:
    """Unknown districts or statuses would silently drop families from every list: refuse them."""
    missing = [c for c in (*FAMILY_INPUT, *criteria) if c not in families.columns]
    if missing:
        raise ValueError(f"families frame lacks columns {missing}")
    unknown = sorted(str(d) for d in set(families["district"].unique()) - set(DISTRICTS) - {OUT_OF_AREA})
    if unknown:
        raise ValueError(f"families with unknown district values: {unknown}")
    bad = sorted(str(s) for s in set(families["status"].unique()) - set(STATUSES))
    if bad:
        raise ValueError(f"families with unknown status values: {bad}")


def listed_families(families: pl.DataFrame, criteria: tuple[str, ...]) -> pl.DataFrame:
    """Listed families (every district and out of area), in list order, with `_rank` keeping it."""
    rank = pl.col("status").replace_strict({s: i for i, s in enumerate(LISTED_STATUSES)}, return_dtype=pl.Int32)
    return (
        families.filter(pl.col("status").is_in(LISTED_STATUSES))
        .select(
            pl.col("family_id").cast(pl.String), pl.col("district").cast(pl.String),
            pl.col("status").cast(pl.String), pl.col("members").cast(pl.Int64),
            pl.col("criteria_met").cast(pl.Int64), *[pl.col(c).cast(pl.Int8) for c in criteria],
        )
        .sort(rank, "family_id")
        .with_columns(pl.int_range(pl.len()).alias("_rank"))
    )


def _name() -> pl.Expr:
    return pl.concat_str([pl.col("forename").str.to_titlecase(), pl.col("surname").str.to_uppercase()],
                         separator=" ", ignore_nulls=True)


def _school_year(as_of: date) -> pl.Expr:
    """England's school year group at `as_of` from the age on the 31 August before it."""
    last_31_aug = date(as_of.year if as_of.month >= 9 else as_of.year - 1, 8, 31)
    before_birthday = (pl.col("dob").dt.month() * 100 + pl.col("dob").dt.day()) > 831
    age = pl.lit(last_31_aug.year) - pl.col("dob").dt.year() - before_birthday.cast(pl.Int32)
    return (pl.when(age == 4).then(pl.lit("Reception"))
            .when(age.is_between(5, 17)).then(pl.format("Year {}", age - 4)))


def _age_words(as_of: date) -> pl.Expr:
    months = ((as_of.year - pl.col("dob").dt.year()) * 12 + as_of.month - pl.col("dob").dt.month()
              - (pl.col("dob").dt.day() > as_of.day).cast(pl.Int32))
    return (pl.when(pl.col("age").is_null()).then(pl.lit("not known"))
            .when(pl.col("age") >= 2).then(pl.format("{} years", pl.col("age")))
            .when(months == 1).then(pl.lit("1 month"))
            .otherwise(pl.format("{} months", months)))


def member_rows(members: pl.DataFrame, listed: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """One row per member of a listed family: tenants, then adults, then children, oldest first."""
    role_rank = pl.col("role").replace_strict({r: i for i, r in enumerate(ROLE_ORDER)}, default=len(ROLE_ORDER),
                                              return_dtype=pl.Int32)
    return (
        members.join(listed.select("family_id", "district", "_rank"), on="family_id", how="inner")
        .sort("_rank", role_rank, "dob", "person_id", nulls_last=True)
        .with_columns(
            pl.col("forename").str.to_titlecase(), pl.col("surname").str.to_uppercase(),
            _age_words(as_of).alias("age_words"), _school_year(as_of).alias("school_year"),
            (pl.col("role") == "child").alias("is_child"), label(pl.col("role"), ROLE_LABELS).alias("role_words"),
            _name().alias("name"),
        )
    )


def _who(as_of: date) -> pl.Expr:
    """The member an item is about, as a reason names them: "Tom, Year 9 pupil" or "Jane (34)"."""
    first = pl.col("forename")
    school = pl.col("source").is_in(SCHOOL_SOURCES) & pl.col("school_year").is_not_null()
    return (pl.when(school).then(pl.format("{}, {} pupil", first, pl.col("school_year")))
            .when(pl.col("age").is_not_null()).then(pl.format("{} ({})", first, pl.col("age")))
            .otherwise(first))


def evidence_rows(evidence: pl.DataFrame, listed: pl.DataFrame, members: pl.DataFrame, criteria: tuple[str, ...],
                  as_of: date) -> pl.DataFrame:
    """Evidence of listed families in words; programme criteria in order, newest first."""
    people = members.select("family_id", "person_id", "forename", "age", "school_year", "name")
    rank = pl.col("criterion").replace_strict({c: i for i, c in enumerate(criteria)}, default=len(criteria),
                                              return_dtype=pl.Int32)
    return (
        evidence.join(listed.select("family_id", "district", "_rank"), on="family_id", how="inner")
        .join(people, on=["family_id", "person_id"], how="left")
        .with_columns(rank.alias("_criterion_rank"))
        .sort("_rank", "_criterion_rank", "criterion", "event_date", "source", "record_id", "person_id", "value",
              descending=[False, False, False, True, False, False, False, False], nulls_last=True)
        .with_columns(
            label(pl.col("criterion"), CRITERION_LABELS).alias("criterion_words"),
            pl.col("name").alias("member"),
            label(pl.col("source"), SOURCE_LABELS).alias("source_words"),
            plain_text(pl.col("value")).alias("what"),
            plain_text(pl.col("value"), short=True).alias("short"),
            _who(as_of).alias("who"),
        )
    )


def _reasons(evidence: pl.DataFrame, criteria: tuple[str, ...]) -> pl.DataFrame:
    """family_id, and per criterion its short reason: the newest item, "(+N more)" after it."""
    item = pl.concat_str(
        [pl.col("who") + pl.lit(": "), pl.col("short"), pl.lit(", ") + pl.col("event_date").dt.strftime("%d/%m/%Y")],
        ignore_nulls=True,
    )
    firsts = (
        evidence.filter(pl.col("criterion").is_in(criteria))
        .group_by("family_id", "criterion", maintain_order=True)
        .agg(item.first().alias("reason"), pl.len().alias("n"))
        .with_columns(pl.when(pl.col("n") > 1).then(pl.format("{} (+{} more)", pl.col("reason"), pl.col("n") - 1))
                      .otherwise(pl.col("reason")).alias("reason"))
    )
    if firsts.height == 0:
        return pl.DataFrame(schema={"family_id": pl.String, **{f"_why_{c}": pl.String for c in criteria}})
    wide = firsts.pivot(on="criterion", index="family_id", values="reason", on_columns=list(criteria))
    return wide.select("family_id", *[
        (pl.col(c) if c in wide.columns else pl.lit(None, pl.String)).alias(f"_why_{c}") for c in criteria
    ])


def _lead_adults(members: pl.DataFrame) -> pl.DataFrame:
    """The first adult of each family in member order (tenants first): "Jane SMITH (34)"."""
    return (
        members.filter(~pl.col("is_child"))
        .group_by("family_id", maintain_order=True)
        .agg(pl.format("{} ({})", pl.col("name"), pl.col("age").cast(pl.String).fill_null("age not known"))
             .first().alias("lead_adult"))
    )


def family_rows(listed: pl.DataFrame, members: pl.DataFrame, evidence: pl.DataFrame, addresses: pl.DataFrame,
                criteria: tuple[str, ...]) -> pl.DataFrame:
    """The Families sheet rows (every district at once), keyed as `family_columns` names them."""
    reasons = _reasons(evidence, criteria)
    why_lines = [
        pl.when(pl.col(c) == 1).then(pl.format("{}: {}", pl.lit(CRITERION_LABELS.get(c, c)),
                                               pl.col(f"_why_{c}").fill_null("met")))
        for c in criteria
    ]
    return (
        listed.join(addresses, on="family_id", how="left")
        .join(_lead_adults(members), on="family_id", how="left")
        .join(reasons, on="family_id", how="left")
        .sort("_rank")
        .with_columns(
            label(pl.col("status"), STATUS_LABELS).alias("status"),
            pl.col("address").str.to_titlecase(),
            pl.col("postcode").str.to_uppercase(),
            pl.col("lead_adult").fill_null("no adult found"),
            pl.concat_str(why_lines, separator="\n", ignore_nulls=True).alias("why"),
            *[pl.when(pl.col(c) == 1).then(pl.lit(YES)).otherwise(pl.lit(NO)).alias(c) for c in criteria],
            pl.lit(None, pl.String).alias("key_worker"),
        )
    )


@dataclass(frozen=True)
class DistrictRows:
    """The three sheets' rows for every district and out of area, each with `district`."""

    families: pl.DataFrame
    members: pl.DataFrame
    evidence: pl.DataFrame


def build_rows(families: pl.DataFrame, members: pl.DataFrame, evidence: pl.DataFrame,
               addresses: pl.DataFrame | None, criteria: tuple[str, ...], as_of: date) -> DistrictRows:
    """Check and conform the inputs, then build every sheet's rows."""
    check_families(families, criteria)
    members = conform(members, MEMBER_INPUT, "members")
    evidence = conform(evidence, EVIDENCE_INPUT, "evidence")
    if addresses is None:  # no address data (a hand-built frame): the columns show blank
        addresses = pl.DataFrame(schema=ADDRESS_INPUT)
    addresses = conform(addresses, ADDRESS_INPUT, "addresses")
    listed = listed_families(families, criteria)
    people = member_rows(members, listed, as_of)
    items = evidence_rows(evidence, listed, people, criteria, as_of)
    fams = family_rows(listed, people, items, addresses, criteria)
    return DistrictRows(
        families=fams,
        members=people.with_columns(pl.col("age_words").alias("age"), pl.col("role_words").alias("role")),
        evidence=items.with_columns(pl.col("criterion_words").alias("criterion"),
                                    pl.col("source_words").alias("source")),
    )
