"""Two writers on one warehouse (issue 13, "losing work" 1, 5 and 6), in a fixed order.

The first command runs in a thread of this process until it reaches a `pause` failure
point (`faults.Paused`), holding the warehouse's lock; the second is started then. No sleep
decides anything: the order is the test's. The lock is an OS lock on its own open file,
so a thread of this process meets it exactly as another process would; the last tests
hold it from real other processes.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
import openpyxl
import polars as pl

from cohort.cli import main
from faults import MONTH1, MONTH2, Paused, digest, leftovers, run, runlog, top_files


def _dates(db: Path, sql: str) -> list[str]:
    """The first column of `sql`'s rows as ISO dates, read without holding the warehouse."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [r[0].isoformat() for r in con.execute(sql).fetchall()]
    finally:
        con.close()


def _months(db: Path) -> list:
    return _dates(db, "select distinct as_of from family_history order by 1")


def test_two_runs_for_different_months(small_drop, tmp_path, monkeypatch, capsys):
    drop, db, out = small_drop / "extracts", tmp_path / "w.duckdb", tmp_path / "out"
    argv = ["run", "--input", str(drop), "--as-of", MONTH1, "--db", str(db), "--out", str(out)]
    with Paused("commit.start", tmp_path / "first", argv, monkeypatch) as first:
        assert run(drop, db, out, MONTH2) == 2
        err = capsys.readouterr().err
        assert "is being changed by `cohort run` (process" in err and "run this again when it has finished" in err
        assert first.resume() == 0
    assert run(drop, db, out, MONTH2) == 0
    assert _months(db) == [MONTH1, MONTH2], "the warehouse keeps both months"
    assert (out / "claims" / f"{MONTH1}.xlsx").exists() and (out / "claims" / f"{MONTH2}.xlsx").exists()
    assert [r["outcome"] for r in runlog(db)] == ["succeeded", "succeeded"], "the refused run changed nothing"
    assert leftovers(db, out) == []


def _submissions(db: Path) -> list:
    """The ledger's submitted windows (a re-run of a submitted window shows what was
    submitted, decision 11, so the ledger itself is what must survive)."""
    return _dates(db, "select window_end from claim_submissions")


def test_a_claims_submit_while_a_run_works(small_drop, tmp_path, monkeypatch, capsys):
    """The run holds the warehouse: the submission is refused (not lost under the run's
    commit); once the run is done it goes in, and the next run shows it as claimed."""
    drop, db, out = small_drop / "extracts", tmp_path / "w.duckdb", tmp_path / "out"
    assert run(drop, db, out) == 0
    submit = ["claims", "submit", "--window-end", MONTH1, "--db", str(db), "--by", "Auditor"]
    argv = ["run", "--input", str(drop), "--as-of", MONTH1, "--db", str(db), "--out", str(out)]
    with Paused("commit.start", tmp_path / "run", argv, monkeypatch) as first:
        before = digest(db)
        assert main(submit) == 2
        assert "is being changed by `cohort run`" in capsys.readouterr().err
        assert digest(db) == before
        assert first.resume() == 0
    assert main(submit) == 0
    assert run(drop, db, out) == 0
    assert _submissions(db) == [MONTH1], "the ledger survived the later run"


def test_a_run_while_a_claims_submit_works(small_drop, tmp_path, monkeypatch, capsys):
    drop, db, out = small_drop / "extracts", tmp_path / "w.duckdb", tmp_path / "out"
    assert run(drop, db, out) == 0
    submit = ["claims", "submit", "--window-end", MONTH1, "--db", str(db), "--by", "Auditor"]
    with Paused("update.ready", tmp_path / "submit", submit, monkeypatch) as first:
        assert run(drop, db, out) == 2
        assert "is being changed by `cohort claims submit`" in capsys.readouterr().err
        assert first.resume() == 0
    assert _submissions(db) == [MONTH1]
    assert run(drop, db, out) == 0
    assert _submissions(db) == [MONTH1], "the run kept the submission"


def _decide(book: Path) -> None:
    wb = openpyxl.load_workbook(book)
    ws = wb["Review"]
    header = [c.value for c in ws[1]]
    col = {h: i + 1 for i, h in enumerate(header)}
    ws.cell(row=2, column=col["Decision"], value="not a match")
    ws.cell(row=2, column=col["Reviewer"], value="A Officer")
    wb.save(book)


def _decisions(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select count(*) from review_decisions").fetchall()[0][0]
    finally:
        con.close()


def test_a_review_import_while_a_run_works_and_the_other_way(small_drop, tmp_path, monkeypatch, capsys):
    drop, db, out = small_drop / "extracts", tmp_path / "w.duckdb", tmp_path / "out"
    assert run(drop, db, out) == 0
    book = tmp_path / "decided.xlsx"
    book.write_bytes((out / "match_review.xlsx").read_bytes())
    _decide(book)
    imp = ["review", "import", str(book), "--db", str(db)]
    argv = ["run", "--input", str(drop), "--as-of", MONTH1, "--db", str(db), "--out", str(out)]
    with Paused("commit.start", tmp_path / "run", argv, monkeypatch) as first:
        assert main(imp) == 2
        assert "is being changed by `cohort run`" in capsys.readouterr().err
        assert first.resume() == 0
    with Paused("update.ready", tmp_path / "import", imp, monkeypatch) as first:
        assert run(drop, db, out) == 2
        assert "is being changed by `cohort review import`" in capsys.readouterr().err
        assert first.resume() == 0
    assert _decisions(db) == 1
    assert run(drop, db, out) == 0
    assert _decisions(db) == 1, "the run kept the imported decision"


HOLDER = """
import sys, time
from pathlib import Path
from cohort.core.lock import writer_lock
with writer_lock(Path(sys.argv[1]), "cohort run"):
    Path(sys.argv[2]).touch()
    time.sleep(600)
"""


@contextmanager
def _another_process(program: str, db: Path, tmp_path: Path) -> Iterator[subprocess.Popen]:
    """`program` running in another process on `db`, once it has touched its ready file
    (it then holds what it holds); killed (-9) on the way out, as a crash would end it."""
    ready = tmp_path / "ready"
    proc = subprocess.Popen([sys.executable, "-c", program, str(db), str(ready)])
    try:
        while not ready.exists():
            assert proc.poll() is None
            time.sleep(0.05)
        yield proc
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()


def test_a_lock_held_by_another_process_and_its_stale_lock(small_drop, tmp_path, capsys, caplog):
    """Refused while another process holds the lock; once it is killed (-9) the lock is
    found stale, cleared with a message, and the command goes ahead."""
    drop, db, out = small_drop / "extracts", tmp_path / "w.duckdb", tmp_path / "out"
    assert run(drop, db, out) == 0
    with _another_process(HOLDER, db, tmp_path) as holder:
        submit = ["claims", "submit", "--window-end", MONTH1, "--db", str(db), "--by", "Auditor"]
        assert main(submit) == 2
        assert f"process {holder.pid}" in capsys.readouterr().err
    lock = db.with_name(db.name + ".lock")
    assert json.loads(lock.read_text())["pid"] == holder.pid, "the dead holder's lock is still there"
    assert main(submit) == 0
    assert f"cleared a stale lock on w.duckdb left by `cohort run` (process {holder.pid}" in caplog.text
    assert not lock.exists()


OTHER_PROGRAM = """
import sys, time, duckdb
from pathlib import Path
con = duckdb.connect(sys.argv[1])
Path(sys.argv[2]).touch()
time.sleep(600)
"""


def test_a_warehouse_open_in_another_program(small_drop, tmp_path, capsys):
    """A run no longer replaces the file under a program that has it open (issue: "losing
    work" 6), and review import says so too; explain reads a snapshot and still works."""
    drop, db, out = small_drop / "extracts", tmp_path / "w.duckdb", tmp_path / "out"
    assert run(drop, db, out) == 0
    before, before_out = digest(db), top_files(out)
    family = pl.read_csv(out / "families.csv", infer_schema=False)["family_id"][0]
    with _another_process(OTHER_PROGRAM, db, tmp_path) as other:
        assert run(drop, db, out) == 2
        err = capsys.readouterr().err
        assert f"is open in another program" in err and f"PID {other.pid}" in err and "close it" in err
        book = tmp_path / "decided.xlsx"
        book.write_bytes((out / "match_review.xlsx").read_bytes())
        assert main(["review", "import", str(book), "--db", str(db)]) == 2
        assert "is open in another program" in capsys.readouterr().err
        assert main(["explain", family, "--db", str(db)]) == 0
        assert f"Family {family}" in capsys.readouterr().out
    assert digest(db) == before and top_files(out) == before_out
    assert leftovers(db, out) == []
