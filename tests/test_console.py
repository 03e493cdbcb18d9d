"""What the officer sees: one line per stage by default, errors only with -q, detail with
-v, a live display on a terminal; and Prefect's history kept beside the warehouse."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import cohort
from cohort.cli import main
from cohort.console import NORMAL, QUIET, VERBOSE, Console, ConsoleHandler
from cohort.core import progress
from cohort.flows.prefect_env import home_for
from cohort.flows.stages import STAGES

STAGE_NAMES = [name for name, _ in STAGES]
DONE = progress.Event("done", "match", counts={"persons": 1059, "candidate_pairs": 8188}, seconds=1.25)


def _shown(verbosity: int, *records: logging.LogRecord, terminal: bool = False) -> str:
    stream = io.StringIO()
    console = Console(verbosity, stream=stream, force_terminal=terminal)
    handler = ConsoleHandler(console)
    for record in records:
        handler.handle(record)
    console.finish()
    return stream.getvalue()


def _record(name: str, level: int, message: str, event: progress.Event | None = None) -> logging.LogRecord:
    record = logging.LogRecord(name, level, __file__, 1, message, None, None)
    if event:
        record.cohort_progress = event
    return record


STAGE_DONE = _record("cohort.progress", logging.INFO, "match: done", DONE)
DETAIL = _record("cohort.matching.block", logging.INFO, "blocking: 8188 distinct candidate pairs")
PREFECT_INFO = _record("prefect.task_runs", logging.INFO, "Finished in state Completed()")
PREFECT_ERROR = _record("prefect.flow_runs", logging.ERROR, "Finished in state Failed('Traceback ...')")
WARNING = _record("cohort.schemas.ingest", logging.WARNING, "health.csv not supplied")
ERROR = _record("cohort.flows", logging.ERROR, "the warehouse is locked")

# (description, verbosity, records, lines expected, text that must not appear)
SHOWN = [
    ("a finished stage is one plain line with its counts and seconds", NORMAL, [STAGE_DONE],
     ["match 1,059 persons, 8,188 candidate pairs scored 1.2 s"], []),
    ("a started stage prints nothing off a terminal", NORMAL,
     [_record("cohort.progress", logging.INFO, "match: started", progress.Event("started", "match"))], [], []),
    ("detail and Prefect's lines are hidden by default", NORMAL, [DETAIL, PREFECT_INFO, PREFECT_ERROR], [], []),
    ("warnings and errors are shown without module names", NORMAL, [WARNING, ERROR],
     ["warning: health.csv not supplied", "error: the warehouse is locked"], ["cohort."]),
    ("quiet shows errors only", QUIET, [STAGE_DONE, DETAIL, WARNING, PREFECT_INFO, ERROR],
     ["error: the warehouse is locked"], []),
    ("verbose shows detail and Prefect's lines, with their source", VERBOSE, [DETAIL, PREFECT_INFO, STAGE_DONE],
     ["matching.block: blocking: 8188 distinct candidate pairs", "prefect.task_runs: Finished in state Completed()",
      "match 1,059 persons, 8,188 candidate pairs scored 1.2 s"], []),
    ("a stage the console does not know shows its plain counts", NORMAL,
     [_record("cohort.progress", logging.INFO, "x", progress.Event("done", "audit", counts={"rows": 3}, seconds=0.5))],
     ["audit rows 3 0.5 s"], []),
]


@pytest.mark.parametrize("description, verbosity, records, expected, absent", SHOWN, ids=[s[0] for s in SHOWN])
def test_what_each_verbosity_shows(description, verbosity, records, expected, absent):
    lines = _shown(verbosity, *records).splitlines()
    # Compared with spacing collapsed, and without the time verbose lines start with.
    words = [" ".join(line.split()[1:] if line[:2].isdigit() else line.split()) for line in lines]
    assert words == expected
    for text in absent:
        assert text not in "\n".join(lines)


def test_a_terminal_gets_a_live_display_with_a_tick_per_finished_stage():
    started = _record("cohort.progress", logging.INFO, "x", progress.Event("started", "households"))
    shown = _shown(NORMAL, STAGE_DONE, started, terminal=True)
    assert "\x1b[" in shown  # drawn with terminal control codes, not plain lines
    assert "✓" in shown and "1,059 persons, 8,188 candidate pairs scored" in shown and "households" in shown


def test_quiet_terminal_shows_no_display():
    assert _shown(QUIET, STAGE_DONE, terminal=True) == ""


def _run(drop: Path, work: Path, as_of: str, *flags: str) -> int:
    return main(["run", "--input", str(drop), "--as-of", as_of, "--db", str(work / "w.duckdb"),
                 "--out", str(work / "out"), *flags])


def test_quiet_and_verbose_runs_with_either_date_form(small_drop, tmp_path, capsys):
    """-q prints nothing on success; -v prints every detail, Prefect's lines and the summary.
    The as-of date written either way is the same run."""
    assert _run(small_drop / "extracts", tmp_path / "q", "31/03/2014", "-q") == 0
    quiet = capsys.readouterr()
    assert (quiet.out, quiet.err) == ("", "")

    assert _run(small_drop / "extracts", tmp_path / "v", "2014-03-31", "--verbose") == 0
    verbose = capsys.readouterr()
    assert "matching.pipeline: matching: " in verbose.err
    assert "Finished in state Completed()" in verbose.err
    for stage in STAGE_NAMES:
        assert f"  {stage:<11} " in verbose.err
    assert "families by status:" in verbose.out and "Outputs are in" in verbose.out

    summaries = [json.loads((tmp_path / w / "out" / "run_summary.json").read_text()) for w in ("q", "v")]
    assert summaries[0]["run_id"] == summaries[1]["run_id"] and summaries[0]["as_of"] == "2014-03-31"
    assert (tmp_path / "q" / "out" / "families.csv").read_bytes() == (tmp_path / "v" / "out" / "families.csv").read_bytes()


@pytest.fixture(scope="module")
def default_run(small_drop, tmp_path_factory):
    """`python -m cohort run` as an officer starts it: no PREFECT_HOME, output not a terminal."""
    work = tmp_path_factory.mktemp("default")
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_HOME", "PREFECT_API_URL")}
    command = [sys.executable, "-m", "cohort", "run", "--input", str(small_drop / "extracts"), "--as-of",
               "2014-03-31", "--db", str(work / "w.duckdb"), "--out", str(work / "out")]
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stderr.readline()
    first_after = time.perf_counter() - started
    rest, out = proc.stderr.read(), proc.stdout.read()
    assert proc.wait(timeout=600) == 0, rest
    return work, first_after, [first.rstrip("\n"), *rest.splitlines()], out


def test_default_output_is_one_line_per_stage(default_run):
    work, first_after, err, out = default_run
    print(f"first line after {first_after:.2f}s")
    assert err[0].startswith("cohort ") and "phase1 run as of 31/03/2014" in err[0]
    assert first_after < 2.0, f"the first line took {first_after:.1f}s"
    assert [line.split()[0] for line in err[1:-1]] == ["prefect", *STAGE_NAMES]
    assert err[-1].startswith("run 2014-03_") and " finished in " in err[-1]
    assert not any("INFO" in line or "cohort." in line or "Traceback" in line for line in err)
    assert out.splitlines() == [f"Outputs are in {work / 'out'}; the warehouse is {work / 'w.duckdb'}."]
    settings = json.loads((work / "out" / "settings.json").read_text())
    logged = json.loads((work / "w.duckdb.runlog.jsonl").read_text().splitlines()[-1])
    assert settings["cohort_version"].startswith(cohort.__version__) and logged["code_version"] == settings["cohort_version"]
    summary = json.loads((work / "out" / "run_summary.json").read_text())
    assert set(summary["seconds"]) == set(STAGE_NAMES) and all(s >= 0 for s in summary["seconds"].values())


def test_prefect_history_is_kept_beside_the_warehouse(default_run):
    """`prefect flow-run ls` with PREFECT_HOME=<warehouse>.prefect (what the README says)
    lists the finished run under its run id, after the run's own server has gone."""
    work, _, err, _ = default_run
    home = home_for(work / "w.duckdb")
    assert home == work / "w.duckdb.prefect" and (home / "prefect.db").is_file()
    assert f"run history in {home.name}/" in err[1]  # the officer is told where the history is
    run_id = json.loads((work / "out" / "run_summary.json").read_text())["run_id"]
    env = {**{k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}, "PREFECT_HOME": str(home),
           "COLUMNS": "250"}
    listed = subprocess.run([sys.executable, "-m", "prefect", "flow-run", "ls"], env=env, capture_output=True,
                            text=True, timeout=300)
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if run_id in line)
    assert "cohort-monthly-run" in row and "COMPLETED" in row
