"""`report.html`: the page an analyst checks a month on before the district lists go out.

One self-contained file: inline CSS and static SVG charts (`cohort.reports.svg`), no
script, no font, image or link fetched at view time, so it opens the same offline, from
a shared drive or as an e-mail attachment. Sections: families by district against
target, the month-on-month change, match quality (match-weight distribution, candidate
pairs per blocking rule, records left unlinked per source, the m/u table per comparison,
the label-free error estimate when the warehouse has one), rejected rows by file and
reason, and stage timings.

Two runs of the same month give the same bytes except inside the timings section, which
is marked `<!-- timings -->` ... `<!-- /timings -->` and comes last (`without_timings`).
Counts only: no names, dates of birth or addresses.
"""

from __future__ import annotations

import re
from datetime import date
from html import escape
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from cohort.core.reference import DISTRICT_TARGETS, DISTRICTS, OUT_OF_AREA
from cohort.reports.labels import CHANGE_LABELS, SOURCE_LABELS, STATUS_LABELS
from cohort.reports.report_data import WEIGHT_BIN, ReportData, read_report_data, threshold_weight
from cohort.reports.svg import AMBER, BLUE, GREY, Bar, bar_chart, column_chart, diverging_chart, number

REPORT_NAME = "report.html"
TIMINGS_START, TIMINGS_END = "<!-- timings -->", "<!-- /timings -->"
LISTED = ("automatic", "discretionary", "candidate")

CSS = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:820px;padding:1em 1.5em;color:#222}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #1f4e78;padding-bottom:.2em;margin-top:2em}
h3{margin-bottom:.3em}p.lead{color:#555;margin-top:0}nav a{margin-right:1em}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#1f4e78;color:#fff}td.n{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#555;font-size:.9em}.warn{color:#c00000;font-weight:bold}svg{display:block;margin:.4em 0}
@media print{nav{display:none}section{break-inside:avoid-page}}
"""


def _cell(value: Any) -> str:
    if value is None:
        return "<td></td>"
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, (int, float)):
        return f'<td class="n">{escape(number(value) if isinstance(value, int) or value == int(value) else f"{value:.4g}")}</td>'
    if isinstance(value, date):
        return f"<td>{value:%d/%m/%Y}</td>"
    return f"<td>{escape(str(value))}</td>"


def table_html(frame: pl.DataFrame, headers: dict[str, str] | None = None) -> str:
    """A plain HTML table of the frame's rows (every column, headers renamed where given)."""
    headers = headers or {}
    head = "".join(f"<th>{escape(headers.get(c, c.replace('_', ' ').capitalize()))}</th>" for c in frame.columns)
    rows = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in frame.iter_rows())
    if not frame.height:
        rows = f'<tr><td colspan="{max(frame.width, 1)}">none</td></tr>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _districts(d: ReportData) -> str:
    counts = {(r["district"], r["status"]): r["families"] for r in d.districts.iter_rows(named=True)}
    phase1 = d.programme == "phase1"
    bars, rows = [], []
    for district in (*DISTRICTS, OUT_OF_AREA):
        identified = counts.get((district, "automatic"), 0) + counts.get((district, "discretionary"), 0)
        target = DISTRICT_TARGETS.get(district) if phase1 else None
        if district == OUT_OF_AREA and not any(counts.get((district, s)) for s in LISTED):
            continue
        share = f"({identified / target:.1%} of target)" if target else ""
        name = "Out of area" if district == OUT_OF_AREA else district
        bars.append(Bar(name, identified, target, share, GREY if district == OUT_OF_AREA else BLUE))
        rows.append({"district": name, **{STATUS_LABELS[s]: counts.get((district, s), 0) for s in LISTED},
                     "identified (automatic + discretionary)": identified, "3-year target": target})
    intro = ("Identified families (automatic + discretionary) against each district's 3-year Phase 1 target; "
             "each bar is scaled to its own target, so every district's progress reads at a glance."
             if phase1 else "Identified families (automatic) by district. Phase 2 has a Kent-wide target "
             "(8,960 families over 5 years) that is not split by district.")
    chart = bar_chart(bars, "Identified families by district against target", scale_to_target=phase1)
    return (f'<section id="districts"><h2>Families by district against target</h2><p class="note">{intro}</p>'
            f"{chart}{table_html(pl.DataFrame(rows))}</section>")


def _month_on_month(d: ReportData) -> str:
    months = d.history["as_of"].unique().sort().to_list()
    body = ['<section id="changes"><h2>Month on month</h2>']
    if len(months) < 2:
        body.append("<p>This is the first run of this programme in this warehouse: there is no earlier month "
                    "to compare with.</p>")
    else:
        shown = months[-12:]
        counts = {(r["as_of"], r["status"]): r["families"] for r in d.history.iter_rows(named=True)}
        series = {STATUS_LABELS[s]: [float(counts.get((m, s), 0)) for m in shown] for s in LISTED}
        body.append(f'<p class="note">Listed families at each run as of the month end (the last '
                    f"{len(shown)} runs); compared with the run as of {d.previous_as_of:%d/%m/%Y}.</p>")
        body.append(column_chart([f"{m:%b %Y}" for m in shown], series, "Listed families by status per run"))
        then = {s: counts.get((d.previous_as_of, s), 0) for s in LISTED}
        now = {s: counts.get((d.as_of, s), 0) for s in LISTED}
        body.append(table_html(pl.DataFrame([
            {"status": STATUS_LABELS[s], "then": then[s], "now": now[s], "change": f"{now[s] - then[s]:+d}"}
            for s in LISTED])))
    if d.changes.height:
        wide = (d.changes.with_columns(pl.col("change").replace(CHANGE_LABELS))
                .pivot(on="change", index="district", values="families").fill_null(0).sort("district"))
        body.append("<h3>Listed families that changed, by district</h3>" + table_html(wide))
    return "".join(body) + "</section>"


def _match_quality(d: ReportData) -> str:
    cut = threshold_weight(d.link_threshold)
    bins = d.weights
    labels = [str(b) for b in bins["bin"]]
    marker = (cut - bins["bin"][0]) / WEIGHT_BIN if bins.height else None
    body = ['<section id="matching"><h2>Match quality</h2>',
            "<h3>Match weight of every scored pair</h3>",
            f'<p class="note">log2 odds that the two records are one person; pairs right of the dashed line '
            f"(probability {d.link_threshold:g}, weight {cut:.2f}) are linked unless a guard keeps them apart "
            f"(guarded pairs in amber). A good month has few pairs near the line.</p>"]
    if bins.height:
        series = {"not guarded": (bins["pairs"] - bins["guarded"]).cast(pl.Float64).to_list(),
                  "kept apart by a guard": bins["guarded"].cast(pl.Float64).to_list()}
        body.append(column_chart(labels, series, "Scored pairs by match weight", marker=marker,
                                 marker_label="link threshold"))
    blocking = d.blocking
    body.append("<h3>Candidate pairs per blocking rule</h3><p class=\"note\">Pairs each rule proposed, and "
                "the pairs no earlier rule had found (these add up to the pairs compared).</p>")
    body.append(bar_chart([Bar(r["rule"], r["candidate_pairs"], note=f"({number(r['new_pairs'])} new)")
                           for r in blocking.iter_rows(named=True)], "Candidate pairs per blocking rule"))
    body.append(table_html(blocking, {"candidate_pairs": "candidate pairs", "new_pairs": "new pairs"}))
    body.append("<h3>Records left unlinked, per source</h3><p class=\"note\">Records whose person has no other "
                "record in any extract this month.</p>")
    unlinked = d.unlinked.with_columns(
        pl.col("source").replace(SOURCE_LABELS),
        (pl.col("unlinked") / pl.col("records")).round(4).alias("share"))
    body.append(bar_chart([Bar(r["source"], r["unlinked"], note=f"of {number(r['records'])} ({r['share']:.1%})",
                               colour=AMBER) for r in unlinked.iter_rows(named=True)], "Records left unlinked"))
    body.append(_error_estimate(d) + _mu_tables(d) + "</section>")
    return "".join(body)


def _error_estimate(d: ReportData) -> str:
    head = "<h3>Label-free error estimate</h3>"
    if d.error_estimate is None:
        return head + '<p class="note">No estimate in this warehouse (table match_error_estimate not found).</p>'
    return head + table_html(d.error_estimate)


def _mu_tables(d: ReportData) -> str:
    """The model the run estimated: per comparison, each level's m, u and weight."""
    if not d.mu.height:
        return ""
    out = ["<h3>The m/u table per comparison</h3><p class=\"note\">m: share of true matches at the level; "
           "u: share of non-matches; weight log2(m/u): evidence for (green) or against (red) a match.</p>"]
    shown = [c for c in ("level", "label", "m", "u", "weight", "m_estimated", "u_estimated") if c in d.mu.columns]
    for comparison in d.mu["comparison"].unique(maintain_order=True):
        rows = d.mu.filter(pl.col("comparison") == comparison)
        out.append(f"<h4>{escape(str(comparison))}</h4>")
        if "weight" in rows.columns:
            out.append(diverging_chart([Bar(str(r["label"] or r["level"]), float(r["weight"] or 0))
                                        for r in rows.iter_rows(named=True)], f"{comparison} weights"))
        out.append(table_html(rows.select(shown).with_columns(pl.col(pl.Float64).round(6))))
    return "".join(out)


def _rejected(d: ReportData) -> str:
    body = ['<section id="rejected"><h2>Rejected rows</h2>']
    if not d.rejected.height:
        return body[0] + "<p>No row was rejected.</p></section>"
    per_file = d.rejected.group_by("file").agg(pl.col("rows").sum()).sort("file")
    body.append('<p class="note">Rows left out of the run (rejected_rows.csv has each one): rows per file and '
                "reason (a row with two faults counts under both).</p>")
    body.append(bar_chart([Bar(r["file"], r["rows"], colour=AMBER) for r in per_file.iter_rows(named=True)],
                          "Rejected rows per file"))
    return "".join(body) + table_html(d.rejected) + "</section>"


def _timings(d: ReportData) -> str:
    if not d.seconds:
        return f"{TIMINGS_START}{TIMINGS_END}"
    total = sum(d.seconds.values())
    return (f'{TIMINGS_START}<section id="timings"><h2>Stage timings</h2><p class="note">Seconds per stage of '
            f"this run ({total:.1f} s in all). Timings differ from run to run; nothing else in this page "
            "does.</p>" + bar_chart([Bar(k, round(v, 2)) for k, v in d.seconds.items()], "Seconds per stage")
            + f"</section>{TIMINGS_END}")


def render(d: ReportData) -> str:
    """The whole page as text."""
    title = f"cohort run {d.run_id}"
    nav = "".join(f'<a href="#{k}">{v}</a>' for k, v in (
        ("districts", "Districts"), ("changes", "Month on month"), ("matching", "Match quality"),
        ("rejected", "Rejected rows"), ("timings", "Timings")))
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head><body>'
        f"<header><h1>Monthly run report</h1><p class=\"lead\">As of {d.as_of:%d/%m/%Y} · "
        f"{'Phase 1' if d.programme == 'phase1' else 'Phase 2'} · run {escape(d.run_id)}</p><nav>{nav}</nav></header>"
        + _districts(d) + _month_on_month(d) + _match_quality(d) + _rejected(d) + _timings(d)
        + "</body></html>\n"
    )


def write_run_report(con: duckdb.DuckDBPyConnection, path: Path, *, summary: dict[str, Any], as_of: date,
                     programme: str, run_id: str, link_threshold: float) -> Path:
    """Write `report.html` for the run whose warehouse is `con`; returns its path."""
    data = read_report_data(con, as_of=as_of, programme=programme, run_id=run_id,
                            link_threshold=link_threshold, summary=summary)
    path.write_text(render(data), encoding="utf-8")
    return path


def without_timings(html: str) -> str:
    """The page less its timings section: what two runs of one month must share byte for byte."""
    return re.sub(re.escape(TIMINGS_START) + ".*?" + re.escape(TIMINGS_END), "", html, flags=re.S)
