"""`cohort`: the monthly Troubled Families run, from the command line.

    cohort run --input DIR --as-of DATE --db FILE --out DIR [--programme phase1|phase2] [--rules FILE]
               [--dask-address tcp://HOST:8786] [--partitions N]
    cohort demo [--workdir DIR]
    cohort schedule --drops DIR --db FILE --out DIR [--cron "0 6 2 * *"] [--dask-address tcp://HOST:8786]
    cohort generate --households N --out DIR [--seed S] [--as-of DATE]
    cohort claims submit --window-end DATE --db FILE [--by NAME]
    cohort claims withdraw --window-end DATE --db FILE --by NAME --reason TEXT
    cohort explain FAMILY_ID --db FILE
    cohort review import FILE --db FILE [--reviewer NAME]
    cohort review export --db FILE --out FILE
    cohort --version;  -v (detail) or -q (errors only) before or after the command

Dates are YYYY-MM-DD or DD/MM/YYYY. Errors a data officer can act on (a missing file, a
missing column, a bad rule set) are printed as one plain sentence naming the file, row
and column, with exit status 2; nothing is written.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import time
from importlib import resources
from datetime import date, datetime
from pathlib import Path

from cohort import __version__
from cohort.console import NORMAL, QUIET, VERBOSE, Console, setup as setup_console
from cohort.flows.prefect_env import configure

DESCRIPTION = (
    "Find the families a county's Troubled Families programme must work with, and the "
    "payment-by-results results it can claim: validate one month's agency extracts, link "
    "records to people and households, apply the programme rules, and write one "
    "identification list per district. Run `cohort demo` to see it on a synthetic Kent sample."
)
DASK_HELP = ("run matching and households on this Dask scheduler (e.g. tcp://host:8786); "
             "needs the dask extra: pip install 'cohort[dask]'")
DATE_FORMS = "YYYY-MM-DD or DD/MM/YYYY"
SAMPLE_DIR = Path(str(resources.files("cohort.data_samples") / "kent_sample"))
PROGRAMMES = ["phase1", "phase2"]
PROGRAMME_HELP = "phase1 (2012-2015 criteria and payment by results, the default) or phase2 (the expanded programme)"
# The forms the extracts accept (schemas/checks.py); one-digit day or month allowed.
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_UK = re.compile(r"\d{1,2}/\d{1,2}/\d{4}")

console = Console(NORMAL)


def _date(text: str) -> date:
    """A date as officers and the extracts write it: 2014-03-31 or 31/03/2014."""
    value = text.strip()
    form = "%Y-%m-%d" if _ISO.fullmatch(value) else "%d/%m/%Y" if _UK.fullmatch(value) else None
    try:
        if form:
            return datetime.strptime(value, form).date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a real date") from None
    raise argparse.ArgumentTypeError(f"'{text}' is not a date in the form {DATE_FORMS}")


def _verbosity(parser: argparse.ArgumentParser, top: bool) -> None:
    """-v/-q, accepted before the command (`cohort -q run`) and after it (`cohort run -q`)."""
    group = parser.add_mutually_exclusive_group()
    default = NORMAL if top else argparse.SUPPRESS  # a sub-command must not reset the top's choice
    group.add_argument("-v", "--verbose", dest="verbosity", action="store_const", const=VERBOSE, default=default,
                       help="show detail: every step's log lines, and Prefect's")
    group.add_argument("-q", "--quiet", dest="verbosity", action="store_const", const=QUIET, default=default,
                       help="show errors only")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cohort", description=DESCRIPTION,
                                epilog="Dates may be written " + DATE_FORMS + ". See README.md for each command.")
    p.add_argument("--version", action="version", version=f"cohort {__version__}")
    _verbosity(p, top=True)
    common = argparse.ArgumentParser(add_help=False)
    _verbosity(common, top=False)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str, parent: argparse._SubParsersAction = sub) -> argparse.ArgumentParser:
        return parent.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".", parents=[common])

    run = command("run", "run one month's identification and results")
    run.add_argument("--input", required=True, type=Path, metavar="DIR", help="folder of this month's extracts (CSV or XLSX)")
    run.add_argument("--as-of", required=True, type=_date, metavar="DATE",
                     help=f"the date the run is made for, usually the month's last day ({DATE_FORMS})")
    run.add_argument("--db", required=True, type=Path, metavar="FILE", help="DuckDB warehouse file, kept between runs "
                     "(created if missing; Prefect's run history goes beside it in FILE.prefect/)")
    run.add_argument("--out", required=True, type=Path, metavar="DIR", help="folder for this run's lists, CSVs and workbooks")
    run.add_argument("--programme", choices=PROGRAMMES, default="phase1", help=PROGRAMME_HELP)
    run.add_argument("--rules", type=Path, default=None, metavar="FILE",
                     help="rule-set TOML (default: the Kent rules, core/ruleset_default.toml)")
    run.add_argument("--dask-address", default=None, metavar="ADDRESS", help=DASK_HELP)
    run.add_argument("--partitions", type=int, default=None, metavar="N",
                     help="split matching into this many partitions (default: by the number of candidate pairs)")
    run.add_argument("--allow-empty", action="append", default=[], metavar="EXTRACT",
                     help="accept a required extract with a header and no rows this month (e.g. police); "
                          "repeat for more (recorded in the run log and summary)")

    demo = command("demo", "run the committed synthetic Kent sample end to end")
    demo.add_argument("--workdir", type=Path, default=Path("demo_output"), metavar="DIR",
                      help="where the demo's warehouse and outputs go (default: ./demo_output)")

    sched = command("schedule", "run every month unattended (Ctrl-C to stop)")
    sched.add_argument("--drops", required=True, type=Path, metavar="DIR", help="folder with one sub-folder per month (YYYY-MM)")
    sched.add_argument("--db", required=True, type=Path, metavar="FILE", help="DuckDB warehouse file, kept between runs")
    sched.add_argument("--out", required=True, type=Path, metavar="DIR", help="outputs go to OUT/YYYY-MM")
    sched.add_argument("--programme", choices=PROGRAMMES, default="phase1", help=PROGRAMME_HELP)
    sched.add_argument("--cron", default="0 6 2 * *", metavar="CRON", help="when to run, as a cron line (default: 06:00 on the 2nd)")
    sched.add_argument("--dask-address", default=None, metavar="ADDRESS", help=DASK_HELP)

    gen = command("generate", "write a synthetic drop with its ground truth")
    gen.add_argument("--households", type=int, required=True, metavar="N", help="how many households to invent")
    gen.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for extracts/ and truth/")
    gen.add_argument("--seed", type=int, default=1, metavar="S", help="random seed: the same seed gives the same drop (default 1)")
    gen.add_argument("--as-of", type=_date, default=date(2014, 3, 31), metavar="DATE",
                     help=f"the month the drop is for ({DATE_FORMS}; default 2014-03-31)")

    claims = command("claims", "the payment-by-results claims ledger")
    claims_sub = claims.add_subparsers(dest="claims_command", required=True, metavar="COMMAND")
    submit = command("submit", "record a claim window's payable results as claimed", claims_sub)
    submit.add_argument("--window-end", required=True, type=_date, metavar="DATE",
                        help=f"the as-of date of the window's run ({DATE_FORMS})")
    submit.add_argument("--db", required=True, type=Path, metavar="FILE", help="the DuckDB warehouse file")
    submit.add_argument("--by", default=None, metavar="NAME", help="who submits (default: the login name)")
    withdraw = command("withdraw", "withdraw a mistaken submission (kept in the ledger, marked withdrawn); "
                       "the window can then be submitted again", claims_sub)
    withdraw.add_argument("--window-end", required=True, type=_date, metavar="DATE",
                          help=f"the window whose submission to withdraw ({DATE_FORMS})")
    withdraw.add_argument("--db", required=True, type=Path, metavar="FILE", help="the DuckDB warehouse file")
    withdraw.add_argument("--by", required=True, metavar="NAME", help="who withdraws it")
    withdraw.add_argument("--reason", required=True, metavar="TEXT", help="why, in a few words (kept in the ledger)")

    explain = command("explain", "a family's audit trail: every flag and result traced to source rows")
    explain.add_argument("family_id", metavar="FAMILY_ID", help="the family's id, e.g. F1234567890")
    explain.add_argument("--db", required=True, type=Path, metavar="FILE", help="the DuckDB warehouse file")

    review = command("review", "the data officer's match review workbook")
    review_sub = review.add_subparsers(dest="review_command", required=True, metavar="COMMAND")
    rimport = command("import", "store the decisions of a filled-in match_review.xlsx", review_sub)
    rimport.add_argument("file", type=Path, metavar="FILE",
                         help="the match_review.xlsx with its Decision column filled in")
    rimport.add_argument("--db", required=True, type=Path, metavar="FILE", help="the DuckDB warehouse file")
    rimport.add_argument("--reviewer", default=None, metavar="NAME", help="reviewer for rows whose Reviewer cell is blank")
    rexport = command("export", "write match_review.xlsx from the warehouse's latest run", review_sub)
    rexport.add_argument("--db", required=True, type=Path, metavar="FILE", help="the DuckDB warehouse file")
    rexport.add_argument("--out", required=True, type=Path, metavar="FILE", help="the workbook to write")
    return p


def _review(args: argparse.Namespace) -> None:
    """Import or export the review workbook; a refused workbook is one plain message (exit 2)."""
    from cohort.reports.review import export_from_warehouse
    from cohort.review.importer import import_decisions

    if args.review_command == "import":
        counts = import_decisions(args.file, args.db, reviewer=args.reviewer)
        print(f"Imported {args.file.name}: " + ", ".join(f"{k} {v}" for k, v in counts.items())
              + ". The next run applies them.")
    else:
        counts = export_from_warehouse(args.db, args.out)
        print(f"Wrote {args.out}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


def _claims_or_explain(args: argparse.Namespace) -> None:
    """The ledger and audit commands; their refusals become one plain sentence (exit 2)."""
    from cohort.programme.claims import submit, withdraw
    from cohort.programme.explain import explain_db

    if args.command == "claims" and args.claims_command == "withdraw":
        print(withdraw(args.db, args.window_end, by=args.by, reason=args.reason).text())
    elif args.command == "claims":
        print(submit(args.db, args.window_end, by=args.by).text())
    else:
        print(explain_db(args.db, args.family_id))


def _run(input_dir: Path, as_of: date, db: Path, out: Path, programme: str, rules: Path | None,
         dask_address: str | None = None, partitions: int | None = None,
         allow_empty: tuple[str, ...] = ()) -> dict:
    if as_of > date.today():
        raise _UserError(f"the as-of date {as_of.isoformat()} is later than today ({date.today().isoformat()}): "
                         "a run can only be made for a date that has passed")
    started = time.perf_counter()
    console.say(f"cohort {__version__}: {programme} run as of {as_of:%d/%m/%Y}, extracts in {input_dir}")
    if not input_dir.is_dir():
        raise _UserError(f"the input folder {input_dir} does not exist")
    if partitions is not None and partitions < 1:
        raise _UserError("--partitions must be 1 or more")
    _check_rules(rules)
    if dask_address:
        _need_dask_extra()
    configure(db)
    from cohort.flows.prefect_server import start_local_api

    start_local_api()  # boots while this process imports the pipeline below
    if dask_address:
        _check_dask(dask_address)
    from cohort.flows.monthly import run_monthly

    try:
        names = tuple(sorted({n.strip().lower() for a in allow_empty for n in a.split(",") if n.strip()}))
        summary = run_monthly(input_dir=input_dir, as_of=as_of, db=db, out=out, programme=programme,
                              ruleset_path=rules, partitions=partitions, dask_address=dask_address,
                              allow_empty=names)
    finally:
        console.finish()
    console.say(f"run {summary['run_id']} finished in {time.perf_counter() - started:.1f} s")
    if console.verbosity >= VERBOSE:
        from cohort.reports.summary import summary_text

        print(summary_text(summary))
    if console.verbosity >= NORMAL:
        print(f"Outputs are in {out.resolve()}; the warehouse is {db.resolve()}.")
    return summary


def _check_rules(rules: Path | None) -> None:
    """Refuse a bad rule set before anything starts, one line per bad key."""
    from cohort.core.ruleset import RuleSetError, load_ruleset

    try:
        load_ruleset(rules)
    except RuleSetError as exc:
        raise _UserError(str(exc).replace("\n", "\ncohort: ")) from None


def _need_dask_extra() -> None:
    """--dask-address without prefect-dask and distributed installed: one sentence naming the extra."""
    from importlib.util import find_spec

    if find_spec("distributed") is None or find_spec("prefect_dask") is None:
        raise _UserError("--dask-address needs the dask extra, which is not installed: pip install 'cohort[dask]'")


def _check_dask(address: str) -> None:
    """Fail in one sentence, before anything is opened, when the scheduler is not there."""
    _need_dask_extra()
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


def _configure_console(verbosity: int) -> None:
    """One line per stage by default, detail with -v, errors only with -q (cohort/console.py)."""
    global console
    console = setup_console(verbosity)


class _UserError(Exception):
    pass


# polars' allocator (jemalloc, configured by this variable when polars loads) keeps freed
# pages for 10 s by default; a run frees and takes gigabytes from stage to stage, so the
# pages are handed back after 1 s instead. At county scale matching's peak was ~0.15 GB
# lower and no slower (benchmarks/README.md). A value the user set wins.
ALLOCATOR = ("_RJEM_MALLOC_CONF", "dirty_decay_ms:1000,muzzy_decay_ms:0")


def main(argv: list[str] | None = None) -> int:
    """Parse, then run the command inside the one error boundary (`_boundary`)."""
    os.environ.setdefault(*ALLOCATOR)  # before anything imports polars
    args = _parser().parse_args(argv)
    _configure_console(args.verbosity)
    from cohort.core.private import owner_only

    with owner_only():
        return _boundary(args)


def _boundary(args: argparse.Namespace) -> int:
    """Every way a command ends. A known failure (bad input, a refused command, a warehouse
    or folder that cannot be used, a full disk) is one plain sentence naming the file and
    what to do: exit 2. Anything else is our fault: "cohort failed unexpectedly", exit 1,
    its technical detail (no personal data) in the run log. A closed output pipe (`| head`)
    ends quietly; Ctrl-C leaves everything as it was."""
    from cohort.core import runlog
    from cohort.core.errors import known_failure

    try:
        _dispatch(args)
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except KeyboardInterrupt:
        print("cohort: stopped (Ctrl-C); the warehouse and earlier outputs are as they were.", file=sys.stderr)
        return 130
    except BaseException as exc:  # noqa: BLE001 - this is the boundary
        sentence = known_failure(exc, _user_errors())
        if sentence is not None:
            print(f"cohort: {sentence}", file=sys.stderr)
            if not getattr(exc, "changed", False):
                print("cohort: nothing was written; the warehouse and earlier outputs are unchanged.",
                      file=sys.stderr)
            return 2
        db = getattr(args, "db", None)
        where = runlog.append_failure(db, _command_name(args), exc)
        print(f"cohort failed unexpectedly; details in {where}", file=sys.stderr)
        return 1
    return 0


def _user_errors() -> tuple[type[BaseException], ...]:
    """The command line's own refusals and each package's plain-sentence errors."""
    from cohort.programme.claims import ClaimsError
    from cohort.programme.explain import ExplainError
    from cohort.review.importer import ReviewError
    from cohort.schemas.errors import InputError

    return (_UserError, InputError, ClaimsError, ExplainError, ReviewError)


def _command_name(args: argparse.Namespace) -> str:
    sub = getattr(args, "claims_command", None) or getattr(args, "review_command", None)
    return " ".join(["cohort", args.command] + ([sub] if sub else []))


def _silence_stdout() -> None:
    """After a reader closed the pipe, send what is left to /dev/null, so Python's own
    flush at exit does not print a traceback."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _dispatch(args: argparse.Namespace) -> None:
    if args.command == "run":
        _run(args.input, args.as_of, args.db, args.out, args.programme, args.rules,
             args.dask_address, args.partitions, tuple(args.allow_empty))
    elif args.command == "demo":
        manifest = json.loads((SAMPLE_DIR / "manifest.json").read_text())
        work = args.workdir
        _run(SAMPLE_DIR / "extracts", date.fromisoformat(manifest["as_of"]),
             work / "warehouse.duckdb", work / "outputs", "phase1", None)
        if console.verbosity >= NORMAL:
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
        configure(args.db)
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

        if args.households < 1:
            raise _UserError(f"--households must be 1 or more (it was {args.households})")
        counts = generate(args.out, households=args.households, seed=args.seed, as_of=args.as_of)
        print(json.dumps(counts, indent=2, default=str))


if __name__ == "__main__":
    sys.exit(main())
