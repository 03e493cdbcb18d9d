"""The `cohort` command.

    cohort run --input DIR --as-of YYYY-MM-DD --db FILE --out DIR [--programme phase1|phase2]
               [--dask-address tcp://HOST:8786] [--partitions N]
    cohort demo [--workdir DIR]
    cohort schedule --drops DIR --db FILE --out DIR [--cron "0 6 2 * *"] [--dask-address tcp://HOST:8786]
    cohort generate --households N --out DIR [--seed S] [--as-of YYYY-MM-DD]
    cohort claims submit --window-end YYYY-MM-DD --db FILE [--by NAME]
    cohort explain FAMILY_ID --db FILE
    cohort review import FILE --db FILE [--reviewer NAME]
    cohort review export --db FILE --out FILE

Errors a data officer can act on (a missing file, a missing column) are printed as one
plain sentence naming the file, row and column, with exit status 2; nothing is written.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from importlib import resources
from datetime import date
from pathlib import Path

from cohort.flows.prefect_env import configure

DASK_HELP = "run matching and households on this Dask scheduler (e.g. tcp://host:8786)"
SAMPLE_DIR = Path(str(resources.files("cohort.data_samples") / "kent_sample"))


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date in the form YYYY-MM-DD")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cohort", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run one month's identification")
    run.add_argument("--input", required=True, type=Path, help="folder of this month's extracts")
    run.add_argument("--as-of", required=True, type=_date, help="the date the run is made for")
    run.add_argument("--db", required=True, type=Path, help="DuckDB warehouse file (kept between runs)")
    run.add_argument("--out", required=True, type=Path, help="folder for this run's exports")
    run.add_argument("--programme", choices=["phase1", "phase2"], default="phase1")
    run.add_argument("--rules", type=Path, default=None, help="rule-set TOML (default: the Kent rules)")
    run.add_argument("--dask-address", default=None, help=DASK_HELP)
    run.add_argument("--partitions", type=int, default=None,
                     help="split matching into this many partitions (default: by the number of candidate pairs)")

    demo = sub.add_parser("demo", help="run the committed synthetic Kent sample end to end")
    demo.add_argument("--workdir", type=Path, default=Path("demo_output"))

    sched = sub.add_parser("schedule", help="run every month unattended (Ctrl-C to stop)")
    sched.add_argument("--drops", required=True, type=Path, help="folder with one sub-folder per month (YYYY-MM)")
    sched.add_argument("--db", required=True, type=Path)
    sched.add_argument("--out", required=True, type=Path, help="outputs go to OUT/YYYY-MM")
    sched.add_argument("--programme", choices=["phase1", "phase2"], default="phase1")
    sched.add_argument("--cron", default="0 6 2 * *", help="when to run (default: 06:00 on the 2nd)")
    sched.add_argument("--dask-address", default=None, help=DASK_HELP)

    gen = sub.add_parser("generate", help="write a synthetic drop with ground truth")
    gen.add_argument("--households", type=int, required=True)
    gen.add_argument("--out", type=Path, required=True)
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument("--as-of", type=_date, default=date(2014, 3, 31))

    claims = sub.add_parser("claims", help="the payment-by-results claims ledger")
    claims_sub = claims.add_subparsers(dest="claims_command", required=True)
    submit = claims_sub.add_parser("submit", help="record a claim window's payable results as claimed")
    submit.add_argument("--window-end", required=True, type=_date, help="the as-of date of the window's run")
    submit.add_argument("--db", required=True, type=Path, help="the DuckDB warehouse file")
    submit.add_argument("--by", default=None, help="who submits (default: the login name)")

    explain = sub.add_parser("explain", help="a family's audit trail: every flag and result traced to source rows")
    explain.add_argument("family_id")
    explain.add_argument("--db", required=True, type=Path, help="the DuckDB warehouse file")

    review = sub.add_parser("review", help="the data officer's match review workbook")
    review_sub = review.add_subparsers(dest="review_command", required=True)
    rimport = review_sub.add_parser("import", help="store the decisions of a filled-in match_review.xlsx")
    rimport.add_argument("file", type=Path)
    rimport.add_argument("--db", required=True, type=Path, help="the DuckDB warehouse file")
    rimport.add_argument("--reviewer", default=None, help="reviewer for rows whose Reviewer cell is blank")
    rexport = review_sub.add_parser("export", help="write match_review.xlsx from the warehouse's latest run")
    rexport.add_argument("--db", required=True, type=Path, help="the DuckDB warehouse file")
    rexport.add_argument("--out", required=True, type=Path, help="the workbook to write")
    return p


def _review(args: argparse.Namespace) -> None:
    """Import or export the review workbook; a refused workbook is one plain message (exit 2)."""
    from cohort.review.loop import ReviewError, export_from_warehouse, import_decisions

    try:
        if args.review_command == "import":
            counts = import_decisions(args.file, args.db, reviewer=args.reviewer)
            print(f"Imported {args.file.name}: " + ", ".join(f"{k} {v}" for k, v in counts.items())
                  + ". The next run applies them.")
        else:
            counts = export_from_warehouse(args.db, args.out)
            print(f"Wrote {args.out}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    except ReviewError as exc:
        raise _UserError(str(exc)) from exc


def _claims_or_explain(args: argparse.Namespace) -> None:
    """The ledger and audit commands; their refusals become one plain sentence (exit 2)."""
    from cohort.programme.claims import ClaimsError, submit
    from cohort.programme.explain import ExplainError, explain_db

    try:
        if args.command == "claims":
            print(submit(args.db, args.window_end, by=args.by).text())
        else:
            print(explain_db(args.db, args.family_id))
    except (ClaimsError, ExplainError) as exc:
        raise _UserError(str(exc)) from exc


def _run(input_dir: Path, as_of: date, db: Path, out: Path, programme: str, rules: Path | None,
         dask_address: str | None = None, partitions: int | None = None) -> dict:
    configure()
    from cohort.flows.monthly import run_monthly
    from cohort.reports.summary import summary_text

    if not input_dir.is_dir():
        raise _UserError(f"the input folder {input_dir} does not exist")
    if partitions is not None and partitions < 1:
        raise _UserError("--partitions must be 1 or more")
    if dask_address:
        _check_dask(dask_address)
    summary = run_monthly(input_dir=input_dir, as_of=as_of, db=db, out=out, programme=programme,
                          ruleset_path=rules, partitions=partitions, dask_address=dask_address)
    print(summary_text(summary))
    print(f"\nOutputs are in {out.resolve()}; the warehouse is {db.resolve()}.")
    return summary


def _check_dask(address: str) -> None:
    """Fail in one sentence, before anything is opened, when the scheduler is not there."""
    from distributed import Client

    try:
        with Client(address, timeout=15) as client:
            workers = len(client.scheduler_info().get("workers", {}))
    except (OSError, TimeoutError) as exc:
        raise _UserError(f"could not reach the Dask scheduler at {address} ({type(exc).__name__}); "
                         "start it, or leave out --dask-address to run in this process") from exc
    if workers == 0:
        raise _UserError(f"the Dask scheduler at {address} has no workers")
    logging.getLogger("cohort").info("dask: scheduler %s with %d workers", address, workers)


def _configure_logging() -> None:
    """Progress from our own packages at INFO; other libraries only when something is wrong.

    Prefect's own console logging is kept to CRITICAL for the command line: its failure
    traceback would bury the one plain sentence a data officer needs, which we print.
    """
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("cohort").setLevel(logging.INFO)


class _UserError(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _configure_logging()
    from cohort.schemas.errors import InputError

    try:
        if args.command == "run":
            _run(args.input, args.as_of, args.db, args.out, args.programme, args.rules,
                 args.dask_address, args.partitions)
        elif args.command == "demo":
            manifest = json.loads((SAMPLE_DIR / "manifest.json").read_text())
            work = args.workdir
            _run(SAMPLE_DIR / "extracts", date.fromisoformat(manifest["as_of"]),
                 work / "warehouse.duckdb", work / "outputs", "phase1", None)
            print(
                "\nDemo finished. Open these:\n"
                f"  {(work / 'outputs' / 'report.html').resolve()}  (the run report: open in a browser)\n"
                f"  {(work / 'outputs' / 'district_lists').resolve()}/<District>.xlsx  (identification lists)\n"
                f"  {(work / 'outputs' / 'out_of_area.xlsx').resolve()}  (listed families living outside Kent)\n"
                f"  {(work / 'outputs' / 'match_review.xlsx').resolve()}  (uncertain matches to decide)\n"
                f"  {(work / 'outputs' / 'claims').resolve()}/<window end>.xlsx  (payment-by-results claims)\n"
                f"  {(work / 'outputs' / 'families.csv').resolve()}\n"
                f"  {(work / 'outputs' / 'person_links.csv').resolve()}\n"
                f"  {(work / 'outputs' / 'rejected_rows.csv').resolve()}"
            )
        elif args.command == "schedule":
            configure()
            from cohort.flows.schedule import serve

            if args.dask_address:
                _check_dask(args.dask_address)
            serve(args.drops, args.db, args.out, args.programme, args.cron, args.dask_address)
        elif args.command == "review":
            _review(args)
        elif args.command in ("claims", "explain"):
            _claims_or_explain(args)
        elif args.command == "generate":
            from cohort.data_samples.generator import generate

            counts = generate(args.out, households=args.households, seed=args.seed, as_of=args.as_of)
            print(json.dumps(counts, indent=2, default=str))
    except (InputError, _UserError) as exc:
        print(f"cohort: {exc}", file=sys.stderr)
        print("cohort: nothing was written; the warehouse and earlier outputs are unchanged.", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
