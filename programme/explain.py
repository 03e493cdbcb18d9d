"""The audit trail of a family: why it was identified and why each result pays what it pays.

Every identification flag and every result is traced to the source rows behind it
(extract, record_id, date, value), each with the match confidence of the link that put the
row with that person. Internal audit reads the same rows on the claim workbook's "Audit
trail" sheet (`audit_trail`); `cohort explain FAMILY_ID --db FILE` prints one family's
(`explain`). Only ids, roles, ages, dates and values are shown: no names, dates of birth
or addresses.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from cohort.programme.engagements import STATE_LABELS
from cohort.programme.results import REASON_LABELS, audit_trail
from cohort.core.integrity import snapshot
from cohort.core.warehouse import fetch_one, query, table_exists


class ExplainError(Exception):
    """The family or the tables needed are not in the warehouse."""


def explain_db(db: Path | str, family_id: str) -> str:
    """`explain` on a snapshot of the warehouse: never blocked by, and never blocking, a writer."""
    if not Path(db).exists():
        raise ExplainError(f"there is no warehouse at {db}")
    with snapshot(Path(db)) as con:
        return explain(con, family_id)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> list[dict]:
    return query(con, sql, params).to_dicts()


def _item_line(r: dict) -> str:
    when = r["event_date"].isoformat() if r["event_date"] else "undated"
    who = f"; person {r['person_id']}" if r["person_id"] else ""
    if r["match_confidence"] is not None:
        who += f", match confidence {r['match_confidence']:.2f}"
        if r["match_reason"]:
            who += f" ({r['match_reason']})"
    return f"      {r['source']} {r['record_id']} {when}: {r['value']}{who}"


def _attachment_lines(con: duckdb.DuckDBPyConnection, family_id: str) -> list[str]:
    """The family's engagements rows, each with its state and reason, and its criteria on the
    attachment date with their evidence (rules.md: an engaged family is judged that day)."""
    if not table_exists(con, "int_engagements__judged"):
        return []
    rows = _rows(con, "select * from int_engagements__judged where family_id = $f order by row_number",
                 {"f": family_id})
    if not rows:
        return []
    lines = ["  engagements:"] + [
        f"    row {r['row_number']} ({r['published_family_id']}, attached on {r['attached_on'].isoformat()}, "
        f"key worker {r['key_worker'] or 'not given'}): {STATE_LABELS[r['state']]}: {r['reason']}"
        for r in rows]
    judged_on = rows[0]["judged_on"]
    if judged_on is None:
        return lines
    lines.append(f"On the attachment date {judged_on.isoformat()} (judged on today's members): status "
                 f"{rows[0]['status_on_attachment']}")
    items = _rows(con, """
        select f.criterion, f.met, f.e.source as source, f.e.record_id as record_id,
               f.e.person_id as person_id, f.e.event_date as event_date, f.e.value as value,
               pl.match_confidence, pl.match_reason
        from (select criterion, met, unnest(case when len(evidence) = 0 then [null] else evidence end) as e
              from attachment_flags where family_id = $f and as_of = $d) as f
        left join person_links as pl on pl.source = f.e.source and pl.record_id = f.e.record_id
        order by f.criterion, event_date, source, record_id
    """, {"f": family_id, "d": judged_on})
    for criterion in dict.fromkeys(r["criterion"] for r in items):
        mine = [r for r in items if r["criterion"] == criterion]
        lines.append(f"  {criterion}: {'met' if mine[0]['met'] else 'not met'}")
        lines += [_item_line(r) for r in mine if r["source"] is not None]
    return lines


def explain(con: duckdb.DuckDBPyConnection, family_id: str) -> str:
    """The audit trail of one family in the warehouse's latest run, as plain text."""
    for table in ("families", "flags", "result_flags", "results", "results_run"):
        if not table_exists(con, table):
            raise ExplainError(f"the warehouse has no {table} table: make a run with this version first")
    run = fetch_one(con.execute("select run_id, as_of, programme from results_run"))
    family = _rows(con, "select * from families where family_id = $f", {"f": family_id})
    if not family:
        seen = fetch_one(con.execute(
            "select max(as_of) from family_history where family_id = $f", {"f": family_id}
        ))[0] if table_exists(con, "family_history") else None
        last = f"; it was last seen in the run as of {seen.isoformat()}" if seen else ""
        now = fetch_one(con.execute("select family_id from int_family_ids__current where old_id = $f",
                          {"f": family_id})) if table_exists(con, "int_family_ids__current") else None
        if now:
            last += f", and was merged into family {now[0]}: run cohort explain {now[0]}"
        raise ExplainError(f"family {family_id} is not in the latest run (as of {run[1].isoformat()}){last}")
    f = family[0]
    trail = audit_trail(con, [family_id]).to_dicts()
    lines = [
        f"Family {family_id}: latest run {run[0]} (as of {run[1].isoformat()}, {run[2]})",
        f"  district {f['district']}, {f['members']} members, status {f['status']} "
        f"(criteria met {f['criteria_met']})",
    ]
    members = _rows(con, "select person_id, role, age_at_as_of from int_household_members__aged"
                         " where family_id = $f order by age_at_as_of desc nulls last, person_id", {"f": family_id})
    lines.append("  members: " + ", ".join(
        f"{m['person_id']} ({m['role']}, age {m['age_at_as_of'] if m['age_at_as_of'] is not None else 'not known'})"
        for m in members))
    history = _rows(con, "select as_of, status from family_history where family_id = $f and programme = $p"
                         " order by as_of", {"f": family_id, "p": run[2]})
    lines.append("  history: " + ", ".join(f"{h['as_of'].isoformat()} {h['status']}" for h in history))

    attachment = [r for r in trail if r["item_kind"] == "attachment"]
    if attachment:
        a = _rows(con, "select * from int_family_attachment where family_id = $f", {"f": family_id})[0]
        lines.append(f"  programme: {attachment[0]['value']} [{attachment[0]['record_id']}]")
        lines.append(
            f"  baseline ({a['baseline_after'].isoformat()}, {a['attached_on'].isoformat()}], outcome period "
            f"({a['outcome_after'].isoformat()}, {run[1].isoformat()}]; financial year "
            f"{a['financial_year']}/{(a['financial_year'] + 1) % 100:02d}, results payment R "
            + (f"£{a['results_payment_gbp']:,.2f}" if a["results_payment_gbp"] is not None else "not configured")
        )
    else:
        lines.append("  programme: not in the Phase 1 programme (never automatic or discretionary when identified,"
                     " nor on an engagement's attachment date)")
    lines += _attachment_lines(con, family_id)

    lines.append("Identification")
    flags = _rows(con, "select criterion, met from flags where family_id = $f order by criterion", {"f": family_id})
    for flag in flags:
        lines.append(f"  {flag['criterion']}: {'met' if flag['met'] else 'not met'}")
        lines += [_item_line(r) for r in trail if r["item_kind"] == "criterion" and r["item"] == flag["criterion"]]

    lines.append(f"Results for the claim window ending {run[1].isoformat()}")
    results = _rows(con, "select result, achieved, achieved_on, detail from result_flags where family_id = $f"
                         " order by result", {"f": family_id})
    if not results:
        lines.append("  none: the family is not in the programme")
    paid = {r["result"]: r for r in _rows(con, "select * from results where family_id = $f", {"f": family_id})}
    for res in results:
        if res["achieved"]:
            p = paid.get(res["result"], {})
            money = (f"£{p['payment_gbp']:,.2f} ({REASON_LABELS.get(p['payment_reason'], p['payment_reason'])})"
                     if p else "no payment")
            lines.append(f"  {res['result']}: achieved on {res['achieved_on'].isoformat()}; {money}")
        else:
            lines.append(f"  {res['result']}: not achieved")
        lines.append(f"    {res['detail']}")
        lines += [_item_line(r) for r in trail if r["item_kind"] == "result" and r["item"] == res["result"]]
    return "\n".join(lines)
