"""Issue 12's measurements: a review queue a data officer can finish in a morning, that
fixes what matters, an honest estimate of what is still wrong, and the same ids when the
month is run again after the answers.

    nice -n 10 .venv/bin/python benchmarks/review_and_ids.py --households 20000 [--seed 11] [--work DIR]

1. Generates a drop and runs it (`cohort run`).
2. The queue: questions on every sheet of match_review.xlsx per 10,000 person rows; pairs
   of persons asked more than once; of the first 150 (the Review sheet), how many a
   perfect reviewer would answer against the run's state (they change something).
3. The label-free estimate (`match_error_estimate`) against the truth: false links and
   missed links among the scored pairs, and listed families with a wrong member.
4. A perfect reviewer answers the Review sheet from the truth through openpyxl; the
   answers are imported with `cohort review import` and the same month is run again:
   person / household / in-programme family F1 before and after, ids kept, ids redirected,
   what "Changes since last run" compared with, and decided pairs asked again (0).
5. Questions about two current families kept apart (decision 74): how many, and how many
   a perfect reviewer answers `match` (the household F1 before/after shows what they fix).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
import openpyxl
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import machine  # noqa: E402
from cohort.cli import main as cohort  # noqa: E402
from cohort.core.ruleset import load_ruleset  # noqa: E402
from cohort.core.warehouse import query  # noqa: E402
from cohort.data_samples.evaluate import (  # noqa: E402
    household_accuracy, identified_accuracy, person_accuracy, with_true_persons,
)
from cohort.data_samples.generator import generate  # noqa: E402
from cohort.review.estimate import pair_errors  # noqa: E402
from cohort.review.workbook import (  # noqa: E402
    FAMILIES_QUESTION, PERSON_QUESTION, REVIEW_COLUMNS, SHEET_MORE, SHEET_REVIEW,
)

COL = {name: i for i, name in enumerate(REVIEW_COLUMNS)}


def run(drop: Path, as_of: str, db: Path, out: Path) -> float:
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # the run's own summary
        rc = cohort(["run", "--input", str(drop / "extracts"), "--as-of", as_of, "--db", str(db),
                     "--out", str(out)])
    if rc != 0:
        raise SystemExit(f"cohort run failed for {drop}")
    return time.perf_counter() - started


def truth_maps(truth: Path) -> tuple[dict, dict]:
    t = pl.read_csv(truth / "records.csv", infer_schema=False)
    person = {(s, r): p for s, r, p in t.select("source", "record_id", "true_person_id").iter_rows()}
    family = {(s, r): f for s, r, f in t.select("source", "record_id", "true_family_id").iter_rows()}
    return person, family


def sheet_rows(book: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(book, read_only=True)
    rows = {s: [r for r in wb[s].iter_rows(min_row=2, values_only=True) if r and r[0]] for s in (SHEET_REVIEW, SHEET_MORE)}
    wb.close()
    return rows


def true_answer(row: tuple, person: dict, family: dict) -> bool:
    a = (row[COL["source_a"]], row[COL["record_id_a"]])
    b = (row[COL["source_b"]], row[COL["record_id_b"]])
    if row[COL["question"]] == PERSON_QUESTION:
        return person[a] == person[b]
    return family[a] is not None and family[a] == family[b]


def changes_something(row: tuple, person: dict, family: dict) -> bool:
    """A perfect answer that differs from the run's state."""
    together_now = row[COL["now"]] != "kept apart"
    return true_answer(row, person, family) != together_now


def queue(out: Path, db: Path, truth: Path, rows_in: int, label: str) -> dict:
    person, family = truth_maps(truth)
    rows = sheet_rows(out / "match_review.xlsx")
    every = rows[SHEET_REVIEW] + rows[SHEET_MORE]
    links = pl.read_csv(out / "person_links.csv", infer_schema=False)
    pid = {(s, r): p for s, r, p in links.select("source", "record_id", "person_id").iter_rows()}
    keys = [(r[COL["question"]], frozenset((pid[(r[COL["source_a"]], r[COL["record_id_a"]])],
                                            pid[(r[COL["source_b"]], r[COL["record_id_b"]])]))) for r in every]
    repeats = len(keys) - len(set(keys))
    first = rows[SHEET_REVIEW][:150]
    changing = sum(changes_something(r, person, family) for r in first)
    kinds: dict[str, int] = {}
    for r in every:
        kinds[r[COL["question"]]] = kinds.get(r[COL["question"]], 0) + 1
    print(f"\nqueue, {label}: {len(every)} questions on all sheets = {10_000 * len(every) / rows_in:.1f} per "
          f"10,000 person rows ({len(rows[SHEET_REVIEW])} on Review, {len(rows[SHEET_MORE])} on '{SHEET_MORE}'); "
          f"by kind {kinds}")
    print(f"  pairs of persons asked more than once: {repeats}; of the first {len(first)}, a perfect answer "
          f"changes something in {changing}")
    fam = {s: [r for r in rows[s] if r[COL["question"]] == FAMILIES_QUESTION] for s in rows}
    fam_match = {s: sum(true_answer(r, person, family) for r in fam[s]) for s in fam}
    print(f"  two-families questions (decision 74): {len(fam[SHEET_REVIEW])} on Review ({fam_match[SHEET_REVIEW]} "
          f"a perfect reviewer answers 'match'), {len(fam[SHEET_MORE])} on '{SHEET_MORE}' ({fam_match[SHEET_MORE]} "
          f"'match')")
    return {"questions": len(every), "repeats": repeats, "first": len(first), "changing": changing,
            "families_questions": sum(len(v) for v in fam.values()), "families_match": sum(fam_match.values())}


def estimate_vs_truth(db: Path, out: Path, truth: Path) -> None:
    with duckdb.connect(str(db), read_only=True) as con:
        stored = query(con, "select scope, measure, value from match_error_estimate where scope <> 'source pair'")
        pairs = pair_errors(con, load_ruleset().matching)
    est = {m: v for _, m, v in stored.iter_rows()}
    pairs = with_true_persons(pairs, truth)
    same = pl.col("t_l") == pl.col("t_r")
    false_links = pairs.filter(pl.col("linked") & ~same).height
    missed = pairs.filter(~pl.col("linked") & same).height
    # Listed families with a wrong member: a member holding records of two true persons, or
    # whose true person has records in another person.
    links = pl.read_csv(out / "person_links.csv", infer_schema=False).join(
        pl.read_csv(truth / "records.csv", infer_schema=False).select("source", "record_id", "true_person_id"),
        on=["source", "record_id"])
    impure = links.group_by("person_id").agg(pl.col("true_person_id").n_unique().alias("n")).filter(pl.col("n") > 1)
    split_true = links.group_by("true_person_id").agg(pl.col("person_id").n_unique().alias("n")).filter(pl.col("n") > 1)
    split = links.join(split_true, on="true_person_id", how="semi").select("person_id").unique()
    wrong_persons = pl.concat([impure.select("person_id"), split]).unique()
    fams = pl.read_csv(out / "families.csv", infer_schema=False).filter(
        pl.col("status").is_in(["automatic", "discretionary", "candidate"]))
    members = links.drop_nulls("family_id").select("person_id", "family_id").unique()
    wrong_fams = members.join(wrong_persons, on="person_id", how="semi").join(fams, on="family_id", how="semi")[
        "family_id"].n_unique()

    def within(e: float, real: int) -> str:
        return "within" if abs(e - real) <= max(0.25 * real, 20) else "OUTSIDE"

    print("\nlabel-free estimate against the truth (scored record pairs):")
    print(f"  false links: expected {est['expected_false_links']:.1f}, real {false_links} "
          f"({within(est['expected_false_links'], false_links)} ±25 % or ±20)")
    print(f"  missed links: expected {est['expected_missed_links']:.1f}, real {missed} "
          f"({within(est['expected_missed_links'], missed)} ±25 % or ±20); plus blocking never compared: "
          f"expected {est['expected_unseen_links']:.1f}")
    print(f"  listed families with a wrong member: expected {est['expected_families_with_wrong_member']:.1f} of "
          f"{est['listed_families']:.0f}, real {wrong_fams}")
    if "decided" in est:
        print(f"  reviewers' sample: {est['decided']:.0f} decided, observed error rate "
              f"{est['observed_error_rate']:.3f}, the model expected {est.get('expected_error_rate', float('nan')):.3f}")
        for kind in ("person", "household", "families"):
            if f"{kind} decided" in est:
                print(f"    {kind} questions: {est[kind + ' decided']:.0f} decided, observed error rate "
                      f"{est[kind + ' observed_error_rate']:.3f}, the model expected "
                      f"{est.get(kind + ' expected_error_rate', float('nan')):.3f}")


def answer_review_sheet(book: Path, truth: Path, filled: Path) -> int:
    """The Review sheet answered from the truth, through openpyxl, as a reviewer in Excel."""
    person, family = truth_maps(truth)
    wb = openpyxl.load_workbook(book)
    ws = wb[SHEET_REVIEW]
    n = 0
    for r in range(2, ws.max_row + 1):
        row = [c.value for c in ws[r]]
        if not row[0]:
            continue
        ws.cell(r, COL["decision"] + 1).value = "match" if true_answer(row, person, family) else "not a match"
        ws.cell(r, COL["reviewer"] + 1).value = "benchmark"
        n += 1
    wb.save(filled)
    return n


def accuracy(out: Path, truth: Path) -> dict[str, float]:
    return {"person": person_accuracy(out, truth).f1, "household": household_accuracy(out, truth).f1,
            "in programme": identified_accuracy(out, truth).f1}


def ids_kept(out1: Path, out2: Path, db: Path, as_of: str) -> None:
    a = pl.read_csv(out1 / "person_links.csv", infer_schema=False)
    b = pl.read_csv(out2 / "person_links.csv", infer_schema=False)
    j = a.join(b, on=["source", "record_id"], suffix="_2")
    same_p = j.filter(pl.col("person_id") == pl.col("person_id_2")).height
    f1 = set(pl.read_csv(out1 / "families.csv", infer_schema=False)["family_id"])
    f2 = set(pl.read_csv(out2 / "families.csv", infer_schema=False)["family_id"])
    with duckdb.connect(str(db), read_only=True) as con:
        red = dict(con.execute("select kind, count(*) from id_redirects where as_of = ? group by 1",
                               [date.fromisoformat(as_of)]).fetchall())
    summary = json.loads((out2 / "run_summary.json").read_text())
    print(f"  same month again: records keeping their person_id {same_p}/{j.height}; families keeping their id "
          f"{len(f1 & f2)}/{len(f1)}; id_redirects this month {red}; 'Changes since last run' compared with "
          f"{summary['export']['changes']['previous_as_of']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--households", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--work", type=Path, default=None)
    args = ap.parse_args()
    print(machine())
    work = args.work or Path(tempfile.mkdtemp(prefix="cohort-review-"))
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    drop, db = work / "month1", work / "warehouse.duckdb"
    as_of = "2014-03-31"
    counts = generate(drop, households=args.households, seed=args.seed, as_of=date.fromisoformat(as_of))
    rows_in = counts["person_level_rows"]
    print(f"{args.households} households, {rows_in:,} person rows")
    t1 = run(drop, as_of, db, work / "out1")
    before = queue(work / "out1", db, drop / "truth", rows_in, "first run")
    estimate_vs_truth(db, work / "out1", drop / "truth")
    acc1 = accuracy(work / "out1", drop / "truth")
    n = answer_review_sheet(work / "out1" / "match_review.xlsx", drop / "truth", work / "filled.xlsx")
    with contextlib.redirect_stdout(io.StringIO()):
        if cohort(["review", "import", str(work / "filled.xlsx"), "--db", str(db)]) != 0:
            raise SystemExit("import failed")
    t2 = run(drop, as_of, db, work / "out2")
    acc2 = accuracy(work / "out2", drop / "truth")
    print(f"\nthe Review sheet's {n} questions answered from the truth, imported, the month run again "
          f"(runs {t1:.0f} s and {t2:.0f} s):")
    for k in acc1:
        gap = 1 - acc1[k]
        half = "n/a" if gap == 0 else f"{(acc2[k] - acc1[k]) / gap:.0%} of the distance to 1.0"
        print(f"  {k:13s} F1 {acc1[k]:.4f} -> {acc2[k]:.4f} ({half})")
    ids_kept(work / "out1", work / "out2", db, as_of)
    after = queue(work / "out2", db, drop / "truth", rows_in, "after the answers, same month")
    decided = {(r[COL["source_a"]], r[COL["record_id_a"]], r[COL["source_b"]], r[COL["record_id_b"]])
               for r in sheet_rows(work / "filled.xlsx")[SHEET_REVIEW]}
    again = sum((r[COL["source_a"]], r[COL["record_id_a"]], r[COL["source_b"]], r[COL["record_id_b"]]) in decided
                for s in sheet_rows(work / "out2" / "match_review.xlsx").values() for r in s)
    print(f"  decided questions asked again: {again}")
    estimate_vs_truth(db, work / "out2", drop / "truth")
    print(f"\nwork folder {work}; before {before}, after {after}")


if __name__ == "__main__":
    main()
