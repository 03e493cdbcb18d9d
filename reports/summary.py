"""The run summary: one structure, shown three ways (terminal, Prefect artifact, file).

Counts only: no names, dates of birth or addresses ever appear here.
"""

from __future__ import annotations

from typing import Any

from cohort.core.statuses import STATUSES


def summary_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Flat (section, item, value) rows, the shape a Prefect table artifact shows well."""
    rows: list[dict[str, Any]] = []
    for stage, counts in summary.items():
        for warning in counts.get("warnings", []) if isinstance(counts, dict) else []:
            rows.append({"section": "WARNING", "item": stage, "value": warning})
    ing = summary.get("validate", {})
    for extract, n in sorted(ing.get("rows_read", {}).items()):
        rows.append({"section": "rows read", "item": extract, "value": n})
    for extract in ing.get("missing_optional", []):
        rows.append({"section": "extract missing", "item": extract,
                     "value": "not supplied: its indicators are NOT KNOWN"})
    for extract in ing.get("allowed_empty", []):
        rows.append({"section": "extract allowed empty", "item": extract,
                     "value": "no rows this month, accepted with --allow-empty"})
    rows.append({"section": "validation", "item": "rows rejected",
                 "value": ing.get("rows_rejected", 0)})
    rows.append({"section": "matching", "item": "records", "value": summary.get("records", {}).get("records", 0)})
    rows.append({"section": "matching", "item": "persons", "value": summary.get("match", {}).get("persons", 0)})
    rows.append({"section": "matching", "item": "candidate pairs scored",
                 "value": summary.get("match", {}).get("candidate_pairs", 0)})
    rows.append({"section": "matching", "item": "records linked to another record",
                 "value": summary.get("match", {}).get("records_linked", 0)})
    rows.append({"section": "matching", "item": "persons found in several extracts",
                 "value": summary.get("match", {}).get("persons_in_several_extracts", 0)})
    rows.append({"section": "households", "item": "households",
                 "value": summary.get("households", {}).get("households", 0)})
    by_status = summary.get("rules", {}).get("families_by_status", {})
    for status in STATUSES:
        rows.append({"section": "families by status", "item": status, "value": by_status.get(status, 0)})
    res = summary.get("results", {})
    if res:
        rows.append({"section": "results (claim window to the as-of date)", "item": "programme families",
                     "value": res.get("programme_families", 0)})
        for result, r in sorted(res.get("by_result", {}).items()):
            rows.append({"section": "results (claim window to the as-of date)", "item": result,
                         "value": f"{r['results']} (payable £{r['payable_gbp']:,.0f})"})
        for state, n in res.get("engagements", {}).items():
            rows.append({"section": "engagements rows", "item": state.replace("_", " "), "value": n})
    export = summary.get("export", {})
    rows.append({"section": "review queue", "item": "person questions",
                 "value": export.get("review_person_questions", 0)})
    rows.append({"section": "review queue", "item": "household questions",
                 "value": export.get("review_household_questions", 0)})
    if "review_budget" in export:
        rows.append({"section": "review queue", "item": "monthly budget (Review sheet)",
                     "value": export["review_budget"]})
        rows.append({"section": "review queue", "item": "on 'If you have more time'",
                     "value": export.get("review_more_time", 0)})
    for item, value in export.get("match_error_estimate", {}).items():
        rows.append({"section": "still wrong (estimate, no labels)", "item": item.replace("_", " "),
                     "value": value})
    for r in export.get("families_by_district", []):
        rows.append({"section": "families by district", "item": f"{r['district']} / {r['status']}",
                     "value": r["len"]})
    for stage, seconds in summary.get("seconds", {}).items():
        rows.append({"section": "seconds per stage", "item": stage, "value": seconds})
    return rows


def summary_text(summary: dict[str, Any]) -> str:
    lines = [f"cohort run {summary.get('run_id')} (as of {summary.get('as_of')}, {summary.get('programme')})"]
    section = None
    for r in summary_rows(summary):
        if r["section"] != section:
            section = r["section"]
            lines.append(f"  {section}:")
        lines.append(f"    {r['item']:<40} {r['value']}")
    return "\n".join(lines)


def changes_markdown(summary: dict[str, Any]) -> list[str]:
    """What changed since the last run: families by status then and now, and the district
    lists' changes (new, left, status changed, moved, merged, split) counted by district."""
    changes = summary.get("export", {}).get("changes", {})
    previous = changes.get("previous_as_of")
    if not previous:
        return ["## Changes since the last run", "", "This is the first run of this programme: "
                "there is nothing to compare with."]
    before = changes.get("previous_families_by_status", {})
    now = summary.get("rules", {}).get("families_by_status", {})
    lines = ["## Changes since the last run", "", f"Compared with the run as of **{previous}**.", "",
             "| status | then | now | change |", "|---|---|---|---|"]
    for status in STATUSES:
        a, b = before.get(status, 0), now.get(status, 0)
        lines.append(f"| {status} | {a} | {b} | {b - a:+d} |")
    kinds = sorted({r["change"] for r in changes.get("by_district", [])})
    lines += ["", "Listed families that changed, by district (the district lists' "
              "\"Changes since last run\" sheet has each one):", ""]
    if not kinds:
        return lines + ["No listed family changed."]
    table: dict[str, dict[str, int]] = {}
    for r in changes["by_district"]:
        table.setdefault(r["district"], {})[r["change"]] = r["families"]
    lines += ["| district | " + " | ".join(k.replace("_", " ") for k in kinds) + " |",
              "|---|" + "---|" * len(kinds)]
    lines += [f"| {d} | " + " | ".join(str(row.get(k, 0)) for k in kinds) + " |" for d, row in sorted(table.items())]
    return lines


def summary_markdown(summary: dict[str, Any]) -> str:
    lines = [f"# cohort run {summary.get('run_id')}", "",
             f"As of **{summary.get('as_of')}**, programme **{summary.get('programme')}**.", "",
             *changes_markdown(summary), "", "## Counts", "",
             "| section | item | value |", "|---|---|---|"]
    lines += [f"| {r['section']} | {r['item']} | {r['value']} |" for r in summary_rows(summary)]
    return "\n".join(lines) + "\n"
