"""Issue 4's measurements: ids that stay put month to month, the review queue, the round trip.

    .venv/bin/python benchmarks/review_and_ids.py --households 5000 [--seed 11] [--work DIR]

1. Generates a drop (month 1) and the next month (`data_samples.next_month`: about 1 %
   new households, some moves, a month more events) and runs both through `cohort run`
   on one warehouse.
2. Id stability over what is present in both months: true persons (and true families
   that did not move) whose person_id (family_id) is the same in both months, each
   taking the id most of its records carry. Also shown: the same share had ids been the
   architecture's plain hashes (the smallest record key, the smallest person id), i.e.
   without `matching/ids.py`, and whether month 1's engagements still find their family.
3. Review queue at the default band: person questions per 10,000 input rows (household
   questions apart), and the share of true matching errors (scored record pairs the run
   decided against the truth) that fall in the queue; plus a sweep of other bands.
4. Round trip: month 2's match_review.xlsx filled with the truth's answers through
   openpyxl, imported with `cohort review import`, month 2 run again: every decided
   pair must follow its decision, and no decided pair may be asked again.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
import openpyxl
import polars as pl

from cohort.core.warehouse import query

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import machine  # noqa: E402
from cohort.cli import main as cohort  # noqa: E402
from cohort.core.ruleset import Matching, load_ruleset  # noqa: E402
from cohort.data_samples.evaluate import person_accuracy  # noqa: E402
from cohort.data_samples.generator import generate  # noqa: E402
from cohort.data_samples.next_month import generate_next_month  # noqa: E402
from cohort.reports.review import REVIEW_COLUMNS  # noqa: E402

BANDS = [(0.5, 0.99), (0.3, 0.99), (0.5, 0.95), (0.7, 0.98), (0.2, 0.999), (0.8, 0.95)]


def run(drop: Path, as_of: str, db: Path, out: Path) -> float:
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # the run's own summary
        rc = cohort(["run", "--input", str(drop / "extracts"), "--as-of", as_of, "--db", str(db),
                     "--out", str(out)])
    if rc != 0:
        raise SystemExit(f"cohort run failed for {drop}")
    return time.perf_counter() - started


def _sha(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def _mode(frame: pl.DataFrame, by: str, value: str) -> pl.DataFrame:
    return (
        frame.drop_nulls(value).group_by(by, value).len()
        .sort([by, "len", value], descending=[False, True, False])
        .unique(by, keep="first").select(by, value)
    )


def joined(out: Path, truth: Path) -> pl.DataFrame:
    links = pl.read_csv(out / "person_links.csv", infer_schema=False)
    return pl.read_csv(truth / "records.csv", infer_schema=False).join(links, on=["source", "record_id"])


def hashed_baseline(out: Path) -> pl.DataFrame:
    """The ids the architecture's plain hashing gives for this month's clusters."""
    links = pl.read_csv(out / "person_links.csv", infer_schema=False)
    key = pl.concat_str(["source", pl.lit(":"), "record_id"])
    person = links.group_by("person_id").agg(key.min().alias("_key")).with_columns(
        (pl.lit("P") + pl.col("_key").map_elements(_sha, return_dtype=pl.Utf8)).alias("hash_person"))
    links = links.join(person.select("person_id", "hash_person"), on="person_id")
    family = links.drop_nulls("family_id").group_by("family_id").agg(pl.col("hash_person").min().alias("_p"))
    family = family.with_columns((pl.lit("F") + pl.col("_p").map_elements(_sha, return_dtype=pl.Utf8))
                                 .alias("hash_family"))
    return links.join(family.select("family_id", "hash_family"), on="family_id", how="left")


def stability(m1: pl.DataFrame, m2: pl.DataFrame, who: str, col: str) -> tuple[int, int]:
    a = _mode(m1, who, col)
    b = _mode(m2, who, col)
    both = a.join(b, on=who, suffix="_2")
    return both.filter(pl.col(col) == pl.col(f"{col}_2")).height, both.height


def id_stability(out1: Path, out2: Path, truth1: Path, truth2: Path) -> None:
    m1, m2 = joined(out1, truth1), joined(out2, truth2)
    b1 = hashed_baseline(out1).join(pl.read_csv(truth1 / "records.csv", infer_schema=False), on=["source", "record_id"])
    b2 = hashed_baseline(out2).join(pl.read_csv(truth2 / "records.csv", infer_schema=False), on=["source", "record_id"])
    # Families present in both months: same true family id (a moved family's changes).
    stay = set(m1["true_family_id"].drop_nulls()) & set(m2["true_family_id"].drop_nulls())
    f1 = m1.filter(pl.col("true_family_id").is_in(list(stay)))
    f2 = m2.filter(pl.col("true_family_id").is_in(list(stay)))
    rows = [
        ("persons", *stability(m1, m2, "true_person_id", "person_id"),
         *stability(b1, b2, "true_person_id", "hash_person")),
        ("families", *stability(f1, f2, "true_family_id", "family_id"),
         *stability(b1.filter(pl.col("true_family_id").is_in(list(stay))),
                    b2.filter(pl.col("true_family_id").is_in(list(stay))), "true_family_id", "hash_family")),
    ]
    print("\nid stability over what is present in both months (target >= 99.5 %):")
    for name, same, n, hash_same, hash_n in rows:
        print(f"  {name:9s} {same}/{n} unchanged = {100 * same / max(n, 1):.2f} %   "
              f"(plain hashing would keep {100 * hash_same / max(hash_n, 1):.2f} %)")
    rec = m1.select("source", "record_id", "person_id", "family_id").join(
        m2.select("source", "record_id", "person_id", "family_id"), on=["source", "record_id"], suffix="_2")
    same_person = rec.filter(pl.col("person_id") == pl.col("person_id_2")).height
    same_family = rec.filter(pl.col("family_id") == pl.col("family_id_2")).height
    print(f"  records in both months keeping their person_id: {100 * same_person / rec.height:.2f} %, "
          f"family_id: {100 * same_family / max(rec.drop_nulls('family_id').height, 1):.2f} %")


def engagements(db: Path, out2: Path, drop1: Path) -> None:
    from cohort.core.warehouse import connect
    from cohort.matching.ids import FAMILY, current_ids

    published = pl.read_csv(drop1 / "extracts" / "engagements.csv", infer_schema=False)["family_id"].to_list()
    families1 = set(pl.read_csv(out2.with_name("out1") / "families.csv", infer_schema=False)["family_id"])
    families2 = set(pl.read_csv(out2 / "families.csv", infer_schema=False)["family_id"])
    with connect(db, read_only=True) as con:
        now = current_ids(con, FAMILY, published)
    found = sum(now[f] in families2 for f in published)
    direct = sum(f in families2 for f in published)
    print(f"  month 1 engagements finding their family: in month 1 {sum(f in families1 for f in published)}"
          f"/{len(published)}, in month 2 {found}/{len(published)} ({direct} by the published id itself)")


def scored_errors(db: Path, truth: Path) -> pl.DataFrame:
    """Scored pairs (representative records) with the truth and the run's decision."""
    with duckdb.connect(str(db), read_only=True) as con:
        pairs = query(con, "select source_l, record_id_l, source_r, record_id_r, probability, match_weight, guard "
                            "from match_pairs")
        links = query(con, "select source, record_id, person_id from person_links")
    t = pl.read_csv(truth / "records.csv", infer_schema=False).select("source", "record_id", "true_person_id")
    side = t.join(links, on=["source", "record_id"])
    for s in ("l", "r"):
        pairs = pairs.join(side.rename({"source": f"source_{s}", "record_id": f"record_id_{s}",
                                        "true_person_id": f"true_{s}", "person_id": f"person_{s}"}),
                           on=[f"source_{s}", f"record_id_{s}"])
    return pairs.with_columns(
        (pl.col("true_l") == pl.col("true_r")).alias("truth_same"),
        (pl.col("person_l") == pl.col("person_r")).alias("run_same"),
        (1 / (1 + (2.0 ** -pl.col("match_weight")))).alias("evidence"),
    ).with_columns((pl.col("truth_same") != pl.col("run_same")).alias("error"))


def asked(reject: float, accept: float) -> pl.Expr:
    """cohort.review.loop's person questions, as an expression over scored_errors()."""
    return (
        ((pl.col("probability") >= reject) & (pl.col("probability") < accept))
        | (~pl.col("run_same") & (pl.col("evidence") >= accept))
        | (pl.col("guard").is_null() & pl.col("run_same") & (pl.col("probability") < reject))
    )


def queue_measures(db: Path, out: Path, truth: Path, rows: int, label: str, sweep: bool) -> None:
    m = load_ruleset().matching
    wb = openpyxl.load_workbook(out / "match_review.xlsx", read_only=True)
    questions = [r for r in wb["Review"].iter_rows(min_row=2, values_only=True) if r and r[0]]
    wb.close()
    person_q = {tuple(sorted([(r[9], r[10]), (r[16], r[17])])) for r in questions if r[1] == "Same person?"}
    household_q = len(questions) - len(person_q)
    pairs = scored_errors(db, truth)
    ordered = [tuple(sorted(((a, b), (c, d)))) for a, b, c, d in
               pairs.select("source_l", "record_id_l", "source_r", "record_id_r").iter_rows()]
    pairs = pairs.with_columns(pl.Series("in_queue", [o in person_q for o in ordered], dtype=pl.Boolean))
    errors = pairs.filter("error")
    caught = errors.filter("in_queue").height
    print(f"\nreview queue, {label}, at the defaults (accept {m.review_accept}, reject {m.review_reject}) "
          f"on {rows:,} input rows:")
    print(f"  person questions {len(person_q)} = {10_000 * len(person_q) / rows:.1f} per 10,000 rows; "
          f"household questions {household_q} = {10_000 * household_q / rows:.1f} per 10,000 rows")
    print(f"  scored pairs {pairs.height:,}; decided against the truth {errors.height} "
          f"(false links {errors.filter('run_same').height}, "
          f"missed links {errors.filter(~pl.col('run_same')).height}); "
          f"in the queue {caught} = {100 * caught / max(errors.height, 1):.1f} %")
    if not sweep:
        return
    print("  other settings (same scored pairs): reject accept -> person questions/10k rows, errors asked")
    for lo, hi in [(0.5, 0.95), (0.5, 0.99), (0.3, 0.95), (0.5, 0.98), (0.7, 0.95), (0.5, 0.9), (0.8, 0.9),
                   (0.2, 0.999)]:
        q = pairs.filter(asked(lo, hi))
        n = q.filter("error").height
        print(f"    {lo:.2f} {hi:.3f} -> {10_000 * q.height / rows:6.1f}, "
              f"{n}/{errors.height} = {100 * n / max(errors.height, 1):.1f} %")
    missed = errors.filter(~pl.col("in_queue"))
    if missed.height:
        print("  errors not asked, by (probability, evidence without the guard): " + ", ".join(
            f"({p:.3g}, {e:.3g})" for p, e in sorted(missed.select("probability", "evidence").iter_rows())[:25]))


def fill_with_truth(book: Path, truth: Path, out: Path) -> dict[str, int]:
    """Answer every question as the truth would, through openpyxl, as a reviewer in Excel."""
    t = pl.read_csv(truth / "records.csv", infer_schema=False)
    person = {(s, r): p for s, r, p in t.select("source", "record_id", "true_person_id").iter_rows()}
    family = {(s, r): f for s, r, f in t.select("source", "record_id", "true_family_id").iter_rows()}
    wb = openpyxl.load_workbook(book)
    ws = wb["Review"]
    col = {c.value: c.column for c in ws[1]}
    answered = {"match": 0, "not a match": 0}
    for r in range(2, ws.max_row + 1):
        a = (ws.cell(r, col[REVIEW_COLUMNS["source_a"]]).value, ws.cell(r, col[REVIEW_COLUMNS["record_id_a"]]).value)
        b = (ws.cell(r, col[REVIEW_COLUMNS["source_b"]]).value, ws.cell(r, col[REVIEW_COLUMNS["record_id_b"]]).value)
        if a[0] is None:
            continue
        same = person[a] == person[b] if ws.cell(r, 2).value == "Same person?" else (
            family[a] is not None and family[a] == family[b])
        decision = "match" if same else "not a match"
        ws.cell(r, col[REVIEW_COLUMNS["decision"]]).value = decision
        ws.cell(r, col[REVIEW_COLUMNS["reviewer"]]).value = "benchmark"
        answered[decision] += 1
    wb.save(out)
    return answered


def answer(db: Path, out: Path, truth: Path, filled: Path) -> dict[str, int]:
    """Fill a run's workbook with the truth's answers and import it."""
    answered = fill_with_truth(out / "match_review.xlsx", truth, filled)
    with contextlib.redirect_stdout(io.StringIO()):
        rc = cohort(["review", "import", str(filled), "--db", str(db)])
    if rc != 0:
        raise SystemExit("import failed")
    return answered


def round_trip(db: Path, drop2: Path, out2: Path, work: Path) -> None:
    answered = answer(db, out2, drop2 / "truth", work / "filled_month2.xlsx")
    before = person_accuracy(out2, drop2 / "truth")
    out3 = work / "out2_after_review"
    seconds = run(drop2, _as_of(drop2), db, out3)
    after = person_accuracy(out3, drop2 / "truth")
    with duckdb.connect(str(db), read_only=True) as con:
        decided = query(con, "select kind, source_l, record_id_l, source_r, record_id_r, decision from review_decisions"
            " qualify row_number() over (partition by kind, source_l, record_id_l, source_r, record_id_r"
            " order by decided_at desc, rowid desc) = 1")
    links = pl.read_csv(out3 / "person_links.csv", infer_schema=False)
    follows, broken = 0, []
    for kind, sl, rl, sr, rr, decision in decided.iter_rows():
        a = links.filter((pl.col("source") == sl) & (pl.col("record_id") == rl)).row(0, named=True)
        b = links.filter((pl.col("source") == sr) & (pl.col("record_id") == rr)).row(0, named=True)
        key = "person_id" if kind == "person" else "family_id"
        together = a[key] is not None and a[key] == b[key]
        if together == (decision == "match"):
            follows += 1
        else:
            broken.append((kind, sl, rl, sr, rr, decision))
    wb = openpyxl.load_workbook(out3 / "match_review.xlsx", read_only=True)
    again = {(r[9], r[10], r[16], r[17]) for r in wb["Review"].iter_rows(min_row=2, values_only=True) if r and r[0]}
    wb.close()
    asked_again = sum((sl, rl, sr, rr) in again for _, sl, rl, sr, rr, _ in decided.iter_rows())
    print(f"\nround trip: month 2's workbook answered {answered} from the truth with openpyxl, imported, "
          f"month 2 run again ({seconds:.0f} s)")
    print(f"  decided pairs (months 1 and 2) following their decision: {follows}/{decided.height}; "
          f"asked again: {asked_again}")
    for b in broken[:10]:
        print("   not following:", b)
    print(f"  person links before review: {before}\n  person links after review:  {after}")


def _as_of(drop: Path) -> str:
    import json

    return json.loads((drop / "manifest.json").read_text())["as_of"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--households", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--work", type=Path, default=None)
    args = ap.parse_args()
    print(machine())
    work = args.work or Path(tempfile.mkdtemp(prefix="cohort-review-ids-"))
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    drop1, drop2, db = work / "month1", work / "month2", work / "warehouse.duckdb"
    counts = generate(drop1, households=args.households, seed=args.seed, as_of=date(2014, 3, 31))
    nxt = generate_next_month(drop1, drop2)
    print(f"month 1: {args.households} households, {counts['person_level_rows']:,} person rows; month 2 "
          f"({nxt['as_of']}): +{nxt['new_households']} households, {nxt['moved_households']} moved, "
          f"{nxt['person_level_rows']:,} person rows")
    t1 = run(drop1, _as_of(drop1), db, work / "out1")
    queue_measures(db, work / "out1", drop1 / "truth", counts["person_level_rows"],
                   "month 1 (first run, nothing decided yet)", sweep=True)
    answered = answer(db, work / "out1", drop1 / "truth", work / "filled_month1.xlsx")
    print(f"  month 1's workbook answered from the truth and imported: {answered}")
    t2 = run(drop2, _as_of(drop2), db, work / "out2")
    print(f"\nruns: month 1 {t1:.0f} s, month 2 {t2:.0f} s")
    id_stability(work / "out1", work / "out2", drop1 / "truth", drop2 / "truth")
    engagements(db, work / "out2", drop1)
    queue_measures(db, work / "out2", drop2 / "truth", nxt["person_level_rows"],
                   "month 2 (month 1's answers applied)", sweep=False)
    round_trip(db, drop2, work / "out2", work)
    print(f"\nlink threshold {Matching().link_threshold}; work folder {work}")


if __name__ == "__main__":
    main()
