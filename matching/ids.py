"""Stable person and family ids from one monthly run to the next.

Matching and household formation give each cluster a provisional id by hashing (the
smallest record key of a person, the smallest person id of a family). Those hashes move
when a new record sorts first or a new member joins, but a key worker's family, and the
`engagements` file that names it, must keep its id. So after each run every cluster takes
over the id its items held before:

- Items: a person's records (`source:record_id`); a family's persons (`person_id`).
- An item's previous id is the id it held in the latest earlier run (`id_history`),
  followed through `id_redirects` to the id it became.
- Survivor rule: a cluster keeps the old id held by most of its previously seen items.
  When clusters compete for one old id (a split), the cluster holding more of that id's
  items keeps it. Ties go to the older id (issued earlier), then the smaller id, then
  the cluster with the smaller provisional id. Pairs are decided greedily in that order,
  so each old id goes to at most one cluster and each cluster takes at most one id.
- A cluster with no old id left keeps its provisional hashed id. If that id was ever
  issued before, it takes "P"/"F" + sha1(provisional id + "|" + as-of date) instead.
- An old id whose items now all sit in clusters holding other ids is retired. It gets a
  row in `id_redirects` (old_id -> new_id, the cluster holding most of its items).
  Retired ids are never issued again, so a redirect chain always ends at a current id.
- A cluster that took some of an old id's items while another cluster kept that id (or
  while the id was redirected elsewhere) gets a row in `id_splits` (from_id -> to_id).

The history is stored compactly: `id_history` gets a row only when an item is new or
its id changes. A re-run of a month starts from what the earlier attempt of the month
gave (its ids, its redirects), then rewrites the month's history rows: running the same
month twice gives the same ids, and a re-run after reviewers' decisions keeps every id
that is still right and redirects the rest (the earlier attempt's redirects stay).

The ids stage reads the provisional tables the match and households stages wrote
(`match_links`, `match_persons`, `formed_members`, `formed_families`) and writes the final
ones every later reader uses (`person_links`, `persons`, `household_members`,
`families_base`, and `engagements` from `stg_engagements`), leaving each earlier stage's
tables as it wrote them, so that any stage can be re-run or audited from its inputs
(decision 81).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

from cohort.core.warehouse import fetch_one, query, table_exists

log = logging.getLogger(__name__)

PERSON, FAMILY = "person", "family"
PREFIX = {PERSON: "P", FAMILY: "F"}
MAX_REDIRECT_HOPS = 100

HISTORY_DDL = """
create table if not exists id_history (kind varchar, item varchar, id varchar, as_of date)
"""
REDIRECTS_DDL = """
create table if not exists id_redirects (old_id varchar, new_id varchar, kind varchar, as_of date)
"""
SPLITS_DDL = """
create table if not exists id_splits (from_id varchar, to_id varchar, kind varchar, as_of date)
"""

PAIR_SCHEMA = {"old_id": pl.Utf8, "new_id": pl.Utf8}
SPLIT_SCHEMA = {"from_id": pl.Utf8, "to_id": pl.Utf8}


@dataclass(frozen=True)
class StableIds:
    mapping: pl.DataFrame    # provisional, id, kept (one row per cluster; kept: an earlier id)
    redirects: pl.DataFrame  # old_id, new_id (retired ids)
    splits: pl.DataFrame     # from_id, to_id


def _sha10(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


def assign_ids(members: pl.DataFrame, previous: pl.DataFrame, issued: pl.DataFrame,
               *, prefix: str, as_of: date) -> StableIds:
    """Give each cluster its stable id (the module's rules).

    members: provisional, item (every item of this run, one cluster each);
    previous: item, old_id (each item's previous id, already followed through redirects);
    issued: id, first_as_of (every id ever issued, for the age tie-break and to avoid
    issuing an id twice).
    """
    clusters = members.select(pl.col("provisional").cast(pl.Utf8)).unique()
    votes = (
        members.join(previous, on="item", how="inner")
        .group_by("provisional", "old_id")
        .agg(pl.len().alias("n"))
        .join(issued.rename({"id": "old_id"}), on="old_id", how="left")
        .sort(["n", "first_as_of", "old_id", "provisional"], descending=[True, False, False, False],
              nulls_last=True)
    )
    # Uncontested pairs (the cluster's only candidate, claimed by no other cluster) need
    # no ordering; the rest are decided greedily in sort order.
    alone = (pl.len().over("provisional") == 1) & (pl.len().over("old_id") == 1)
    direct = votes.filter(alone).select("provisional", pl.col("old_id").alias("id"))
    taken_clusters = set(direct["provisional"].to_list())
    taken_ids = set(direct["id"].to_list())
    greedy: list[tuple[str, str]] = []
    for provisional, old_id in votes.filter(~alone).select("provisional", "old_id").iter_rows():
        if provisional not in taken_clusters and old_id not in taken_ids:
            taken_clusters.add(provisional)
            taken_ids.add(old_id)
            greedy.append((provisional, old_id))
    kept = pl.concat([
        direct,
        pl.DataFrame(greedy, schema={"provisional": pl.Utf8, "id": pl.Utf8}, orient="row"),
    ])

    fresh = clusters.join(kept, on="provisional", how="anti").sort("provisional")
    ever = set(issued["id"].to_list()) | taken_ids
    new_ids = []
    for provisional in fresh["provisional"].to_list():
        candidate, salt = provisional, 0
        while candidate in ever:
            salt += 1
            suffix = f"|{as_of.isoformat()}" + (f"|{salt}" if salt > 1 else "")
            candidate = prefix + _sha10(provisional + suffix)
        ever.add(candidate)
        new_ids.append(candidate)
    mapping = pl.concat([
        kept.with_columns(pl.lit(True).alias("kept")),
        fresh.with_columns(pl.Series("id", new_ids, dtype=pl.Utf8), pl.lit(False).alias("kept")),
    ]).sort("provisional")

    # Where each old id's items went, and which of those clusters hold it now.
    went = votes.join(mapping, on="provisional").select("old_id", "id", "n")
    current = set(mapping["id"].to_list())
    retired = went.filter(~pl.col("old_id").is_in(list(current)))
    redirects = (
        retired.sort(["old_id", "n", "id"], descending=[False, True, False])
        .unique("old_id", keep="first")
        .select("old_id", pl.col("id").alias("new_id"))
        .sort("old_id")
    )
    heirs = pl.concat([
        mapping.select(pl.col("id").alias("old_id"), pl.col("id").alias("heir")),
        redirects.select("old_id", pl.col("new_id").alias("heir")),
    ])
    splits = (
        went.join(heirs, on="old_id", how="inner")
        .filter(pl.col("id") != pl.col("heir"))
        .select(pl.col("old_id").alias("from_id"), pl.col("id").alias("to_id"))
        .unique()
        .sort("from_id", "to_id")
    )
    return StableIds(mapping=mapping, redirects=redirects.cast(PAIR_SCHEMA), splits=splits.cast(SPLIT_SCHEMA))


def follow_redirects(frame: pl.DataFrame, column: str, redirects: pl.DataFrame) -> pl.DataFrame:
    """Replace ids in `column` by the id they were redirected to, following chains."""
    if redirects.height == 0 or frame.height == 0:
        return frame
    step = redirects.select(pl.col("old_id").alias(column), pl.col("new_id").alias("_to"))
    for _ in range(MAX_REDIRECT_HOPS):
        moved = frame.join(step, on=column, how="left")
        if moved["_to"].null_count() == moved.height:
            return frame
        frame = moved.with_columns(pl.coalesce("_to", column).alias(column)).drop("_to")
    raise RuntimeError("id_redirects has a cycle; the warehouse needs repair")


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    for ddl in (HISTORY_DDL, REDIRECTS_DDL, SPLITS_DDL):
        con.execute(ddl)


def redirects_before(con: duckdb.DuckDBPyConnection, kind: str, as_of: date, inclusive: bool = False) -> pl.DataFrame:
    op = "<=" if inclusive else "<"
    return query(con, f"select old_id, new_id from id_redirects where kind = $kind and as_of {op} $as_of order by as_of, old_id", {"kind": kind, "as_of": as_of}).cast(PAIR_SCHEMA)


def _latest_state(con: duckdb.DuckDBPyConnection, kind: str, as_of: date, inclusive: bool = False) -> pl.DataFrame:
    """item, id: each item's id as of the latest earlier run that saw it (`inclusive`: an
    earlier attempt of this month counts)."""
    op = "<=" if inclusive else "<"
    return query(con, f"select item, arg_max(id, as_of) as id from id_history where kind = $kind and as_of {op} $as_of group by item", {"kind": kind, "as_of": as_of}).cast({"item": pl.Utf8, "id": pl.Utf8})


def _issued(con: duckdb.DuckDBPyConnection, kind: str) -> pl.DataFrame:
    return query(con, "select id, min(as_of) as first_as_of from id_history where kind = $kind group by id", {"kind": kind}).cast({"id": pl.Utf8, "first_as_of": pl.Date})


def _forget_month(con: duckdb.DuckDBPyConnection, kind: str, as_of: date) -> None:
    """A re-run of a month rewrites the month's history rows (its redirects and splits stay:
    an id the earlier attempt retired is never issued again)."""
    con.execute("delete from id_history where kind = $kind and as_of = $as_of", {"kind": kind, "as_of": as_of})


def _record(con: duckdb.DuckDBPyConnection, kind: str, as_of: date, state: pl.DataFrame,
            before: pl.DataFrame, result: StableIds) -> None:
    """Append items that are new or changed id, and this month's redirects and splits."""
    changed = state.join(before.rename({"id": "_before"}), on="item", how="left").filter(
        pl.col("_before").is_null() | (pl.col("_before") != pl.col("id"))
    )
    tables = {
        "id_history": changed.select(pl.lit(kind).alias("kind"), "item", "id", pl.lit(as_of).alias("as_of")),
        "id_redirects": result.redirects.with_columns(pl.lit(kind).alias("kind"), pl.lit(as_of).alias("as_of")),
        "id_splits": result.splits.with_columns(pl.lit(kind).alias("kind"), pl.lit(as_of).alias("as_of")),
    }
    for table, frame in tables.items():
        if frame.height:
            con.register("_ids_frame", frame)
            try:
                # a re-run's redirects and splits may repeat the earlier attempt's: kept once
                cols = ", ".join(frame.columns)
                con.execute(f"insert into {table} ({cols}) select {cols} from _ids_frame "
                            f"except select {cols} from {table}")
            finally:
                con.unregister("_ids_frame")


def _stabilise(con: duckdb.DuckDBPyConnection, kind: str, as_of: date, members: pl.DataFrame,
               item_redirects: pl.DataFrame | None = None) -> StableIds:
    """members: provisional, item. Returns the mapping and records this month's history."""
    ensure_tables(con)
    latest = _latest_state(con, kind, as_of, inclusive=True)  # an earlier attempt of this month included
    issued = _issued(con, kind)
    before = _latest_state(con, kind, as_of)
    _forget_month(con, kind, as_of)
    previous = latest.rename({"id": "old_id"})
    if item_redirects is not None and item_redirects.height:
        # An item that is itself an id (a family's person) may have been merged since.
        previous = follow_redirects(previous, "item", item_redirects).unique(["item", "old_id"])
    previous = follow_redirects(previous, "old_id", redirects_before(con, kind, as_of, inclusive=True))
    result = assign_ids(members, previous, issued, prefix=PREFIX[kind], as_of=as_of)
    state = members.join(result.mapping, on="provisional").select("item", "id")
    _record(con, kind, as_of, state, before, result)
    log.info("%s ids: %d clusters, %d kept an earlier id, %d retired, %d splits", kind,
             result.mapping.height, result.mapping["kept"].sum(), result.redirects.height, result.splits.height)
    return result


def _remap(con: duckdb.DuckDBPyConnection, source: str, target: str, column: str, mapping: pl.DataFrame,
           order: list[str]) -> None:
    """Write `target` as `source` with `column` turned from provisional to stable ids,
    keeping the columns. `source` is an earlier stage's table (left as it wrote it) or,
    once the ids stage has begun its own copy, `target` itself."""
    con.register("_ids_map", mapping)
    try:
        cols = [r[0] for r in con.execute(f'describe "{source}"').fetchall()]
        select = ", ".join(f"m.id as {column}" if c == column else f't."{c}"' for c in cols)
        con.execute(
            f'create or replace table "{target}" as select {select} from "{source}" as t '
            f"left join _ids_map as m on m.provisional = t.{column} order by {', '.join(order)}"
        )
    finally:
        con.unregister("_ids_map")


def stabilise_persons(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, int]:
    """Give this run's persons their earlier ids: write `person_links`, `persons` and
    `household_members` from the match and households stages' `match_links`,
    `match_persons` and `formed_members` (households are formed before ids are settled),
    and start `families_base` as a copy of `formed_families`. The earlier stages' tables
    stay as they wrote them; the family tables are the ids stage's own from here on, for
    the reviewers' household decisions and `stabilise_families` to work on."""
    members = query(con, "select person_id as provisional, source || ':' || record_id as item from match_links")
    result = _stabilise(con, PERSON, as_of, members)
    _remap(con, "match_links", "person_links", "person_id", result.mapping, ["source", "record_id"])
    _remap(con, "match_persons", "persons", "person_id", result.mapping, ["person_id"])
    _remap(con, "formed_members", "household_members", "person_id", result.mapping, ["family_id", "person_id"])
    con.execute("create or replace table families_base as select * from formed_families")
    return _counts(con, PERSON, as_of, result)


def stabilise_families(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, int]:
    """Give this run's families their earlier ids, in `household_members` and
    `families_base` (the ids stage's own tables, after the reviewers' decisions);
    resolve the engagements extract's family ids through redirects into `engagements`."""
    members = query(con, "select family_id as provisional, person_id as item from household_members")
    result = _stabilise(con, FAMILY, as_of, members,
                        item_redirects=redirects_before(con, PERSON, as_of, inclusive=True))
    _remap(con, "household_members", "household_members", "family_id", result.mapping, ["family_id", "person_id"])
    _remap(con, "families_base", "families_base", "family_id", result.mapping, ["family_id"])
    counts = _counts(con, FAMILY, as_of, result)
    counts["engagements_redirected"] = resolve_engagements(con, as_of)
    return counts


ENGAGEMENT_REDIRECTS_DDL = (
    "create or replace table engagement_redirects (row_number bigint, published_id varchar, family_id varchar)"
)


def resolve_engagements(con: duckdb.DuckDBPyConnection, as_of: date) -> int:
    """Write `engagements`: the engagements extract (`stg_engagements`, left as the validate
    stage wrote it) with each row naming a retired family id pointed at the family's
    current id. `engagement_redirects` (row_number, published_id, family_id) keeps the id
    each such row named, so the results can say the row was followed to a successor.
    Returns how many retired ids were followed."""
    con.execute(ENGAGEMENT_REDIRECTS_DDL)
    if not table_exists(con, "stg_engagements"):
        return 0
    engaged = query(con, "select distinct family_id from stg_engagements where family_id is not null")
    resolved = follow_redirects(engaged.with_columns(pl.col("family_id").alias("_published")), "family_id",
                                redirects_before(con, FAMILY, as_of, inclusive=True))
    moved = resolved.filter(pl.col("family_id") != pl.col("_published")).select("_published", "family_id")
    cols = [r[0] for r in con.execute("describe stg_engagements").fetchall()]
    select = ", ".join("coalesce(m.family_id, e.family_id) as family_id" if c == "family_id" else f'e."{c}"'
                       for c in cols)
    con.register("_moved", moved)
    try:
        con.execute(f"create or replace table engagements as select {select} from stg_engagements as e "
                    "left join _moved as m on m._published = e.family_id order by e.rowid")
        con.execute(
            "insert into engagement_redirects select e.row_number, e.family_id, m.family_id "
            "from stg_engagements as e inner join _moved as m on e.family_id = m._published"
        )
    finally:
        con.unregister("_moved")
    return moved.height


def current_ids(con: duckdb.DuckDBPyConnection, kind: str, ids: list[str]) -> dict[str, str]:
    """Each given id (as published at any time) -> the id it is now."""
    frame = pl.DataFrame({"id": ids, "_given": ids}, schema={"id": pl.Utf8, "_given": pl.Utf8})
    has_table = fetch_one(con.execute(
        "select count(*) from information_schema.tables where table_name = 'id_redirects'"))[0]
    if not has_table:
        return dict(zip(ids, ids))
    redirects = query(con, "select old_id, new_id from id_redirects where kind = $kind order by as_of", {"kind": kind}).cast(PAIR_SCHEMA)
    return dict(follow_redirects(frame, "id", redirects).select("_given", "id").iter_rows())


def _counts(con: duckdb.DuckDBPyConnection, kind: str, as_of: date, result: StableIds) -> dict[str, int]:
    """Counts against the previous month (not an earlier attempt of this one), so that the
    same month run twice reports the same."""
    before = set(_latest_state(con, kind, as_of)["id"].to_list())
    kept = int(result.mapping["id"].is_in(list(before)).sum())
    month = {"kind": kind, "as_of": as_of}
    return {
        f"{kind}_ids_kept": kept,
        f"{kind}_ids_new": result.mapping.height - kept,
        f"{kind}_ids_retired": fetch_one(con.execute(
            "select count(*) from id_redirects where kind = $kind and as_of = $as_of", month))[0],
        f"{kind}_splits": fetch_one(con.execute(
            "select count(*) from id_splits where kind = $kind and as_of = $as_of", month))[0],
    }
