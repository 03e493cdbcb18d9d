"""Faults that printed a traceback now end in one sentence naming the file, exit 2; bad
input is quarantined or stops the run before anything is written; personal data stays
out of messages, the run log and Prefect; outputs are owner-only and formula-safe
(issue 13: "tracebacks instead of sentences", "silently wrong" 7-9, "personal data" 11-13).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from cohort.cli import main
from cohort.core import migrations
from cohort.reports.csv_exports import neutralise
from cohort.schemas.ingest import load_drop
from cohort.schemas.reasons import Reason
from faults import MONTH1, digest, leftovers, run, runlog, top_files

MARKER = "Zqxwvmarker"  # an invented surname that must never leave the input files


@pytest.fixture(scope="module")
def done(small_drop, tmp_path_factory):
    """A warehouse and outputs of one real run."""
    root = tmp_path_factory.mktemp("done")
    assert run(small_drop / "extracts", root / "w.duckdb", root / "out") == 0
    return root


def _state(tmp_path: Path, done: Path) -> tuple[Path, Path]:
    shutil.copyfile(done / "w.duckdb", tmp_path / "w.duckdb")
    shutil.copytree(done / "out", tmp_path / "out")
    return tmp_path / "w.duckdb", tmp_path / "out"


def _drop(small_drop: Path, tmp_path: Path) -> Path:
    drop = tmp_path / "drop"
    shutil.copytree(small_drop / "extracts", drop)
    return drop


@contextlib.contextmanager
def _mounted(path: Path, options: str):
    """A small tmpfs at `path` (read-only or tiny); skip-free: None when mounting is refused."""
    path.mkdir(parents=True, exist_ok=True)
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                        capture_output=True).returncode == 0
    try:
        yield ok
    finally:
        if ok:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


@contextlib.contextmanager
def _immutable(path: Path):
    """A folder even root may not write to (chattr +i), where the file system allows it."""
    ok = subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0
    try:
        yield ok
    finally:
        if ok:
            subprocess.run(["chattr", "-i", str(path)], capture_output=True)


def _unchanged(db: Path, out: Path, before: tuple[str, dict]) -> None:
    assert (digest(db), top_files(out)) == before
    assert leftovers(db, out) == []


def test_read_only_out(done, small_drop, tmp_path, capsys, monkeypatch):
    db, _ = _state(tmp_path, done)
    before = digest(db)
    ro = tmp_path / "ro"
    with _mounted(ro, "ro,size=1m") as mounted:
        if not mounted:  # no mount here: the same refusal, injected where the folder is made
            monkeypatch.setenv("COHORT_FAILPOINTS", "")
            ro.chmod(0o500)
        assert run(small_drop / "extracts", db, ro / "out") == 2
    err = capsys.readouterr().err
    assert "read-only disk" in err or "may not write" in err
    assert str(ro) in err and "Traceback" not in err
    assert digest(db) == before, "the warehouse was not replaced"
    assert [r["outcome"] for r in runlog(db)][-1:] != ["succeeded"]


def test_out_names_an_existing_file(done, small_drop, tmp_path, capsys):
    db, _ = _state(tmp_path, done)
    before = digest(db)
    (tmp_path / "afile").write_text("x")
    assert run(small_drop / "extracts", db, tmp_path / "afile") == 2
    err = capsys.readouterr().err
    assert "afile is a file, not a folder" in err and "Traceback" not in err
    assert digest(db) == before


def test_a_parent_folder_you_may_not_write_to(done, small_drop, tmp_path, capsys):
    db, out = _state(tmp_path, done)
    locked = tmp_path / "locked"
    locked.mkdir()
    with _immutable(locked) as ok:
        target = locked / "out" if ok else Path("/proc/cohort-out")
        assert run(small_drop / "extracts", db, target) == 2
    err = capsys.readouterr().err
    assert ("may not write to" in err or "read-only" in err or "does not exist" in err) and "Traceback" not in err
    assert leftovers(db) == []


@pytest.mark.parametrize("where", ["open.copied", "stage.records", "stage.export", "commit.start"])
def test_a_full_disk(done, small_drop, tmp_path, capsys, monkeypatch, where):
    """Full while copying the warehouse, mid-run and at export: one sentence, nothing
    changed. A real full tmpfs for --out where mounting is allowed, and ENOSPC injected at
    each point otherwise (and always for the warehouse copy, which lives beside it)."""
    db, out = _state(tmp_path, done)
    before = (digest(db), top_files(out))
    monkeypatch.setenv("COHORT_FAILPOINTS", f"{where}=enospc")
    assert run(small_drop / "extracts", db, out) == 2
    err = capsys.readouterr().err
    assert "no space left on the disk" in err and "free some space" in err and "Traceback" not in err
    _unchanged(db, out, before)
    assert runlog(db)[-1]["outcome"] == "failed"


def test_a_really_full_out_folder(done, small_drop, tmp_path, capsys):
    db, _ = _state(tmp_path, done)
    before = digest(db)
    small = tmp_path / "small"
    with _mounted(small, "size=64k") as mounted:
        out = small / "out"
        if not mounted:
            pytest.fail("mount -t tmpfs is not permitted here; test_a_full_disk injects ENOSPC instead")
        assert run(small_drop / "extracts", db, out) == 2
        err = capsys.readouterr().err
        assert "no space left on the disk" in err and "Traceback" not in err
        assert not (out / "families.csv").exists()
    assert digest(db) == before and leftovers(db) == []


def _truncated(path: Path) -> None:
    os.truncate(path, path.stat().st_size - 100_000)


def _not_duckdb(path: Path) -> None:
    path.write_text("record_id,forename\nR1,Ann\n")


@pytest.mark.parametrize("description, damage, fragment", [
    ("a truncated warehouse", _truncated, "is damaged"),
    ("a file that is not DuckDB", _not_duckdb, "is not a cohort warehouse"),
    ("a warehouse cut to its first bytes", lambda p: os.truncate(p, 5000), "is damaged"),
], ids=["truncated", "not duckdb", "header only"])
def test_a_warehouse_that_cannot_be_used(done, small_drop, tmp_path, capsys, description, damage, fragment):
    db, out = _state(tmp_path, done)
    damage(db)
    before = (digest(db), top_files(out))
    family = pl.read_csv(out / "families.csv", infer_schema=False)["family_id"][0]
    for argv in (["run", "--input", str(small_drop / "extracts"), "--as-of", MONTH1, "--db", str(db),
                  "--out", str(out)],
                 ["explain", family, "--db", str(db)],
                 ["claims", "submit", "--window-end", MONTH1, "--db", str(db)]):
        assert main(argv) == 2, (description, argv[0])
        err = capsys.readouterr().err
        assert fragment in err and str(db) in err and "Traceback" not in err, (description, argv[0], err)
    _unchanged(db, out, before)


def test_a_folder_given_as_db(small_drop, tmp_path, capsys):
    folder = tmp_path / "wh"
    folder.mkdir()
    assert run(small_drop / "extracts", folder, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert "is a folder; give the warehouse file inside it" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def _as_version_1(db: Path) -> None:
    """What a warehouse written before schema versions looks like."""
    con = duckdb.connect(str(db))
    con.execute("drop table cohort_schema")
    con.execute("alter table runs drop column output_folder")
    con.close()


def test_an_older_warehouse_is_upgraded_after_a_backup(done, small_drop, tmp_path, capsys):
    db, out = _state(tmp_path, done)
    _as_version_1(db)
    old = digest(db)
    assert run(small_drop / "extracts", db, out) == 0
    backup = db.with_name("w.duckdb.schema-1.backup")
    assert digest(backup) == old and backup.stat().st_mode & 0o077 == 0
    con = duckdb.connect(str(db), read_only=True)
    assert migrations.version_of(con) == migrations.SCHEMA_VERSION
    assert con.execute("select count(output_folder) from runs").fetchall()[0][0] == 1
    con.close()


def test_an_older_warehouse_left_as_it_was_when_the_run_fails(done, small_drop, tmp_path):
    db, out = _state(tmp_path, done)
    _as_version_1(db)
    old = digest(db)
    drop = _drop(small_drop, tmp_path)
    (drop / "housing.csv").unlink()
    assert run(drop, db, out) == 2
    assert digest(db) == old, "the upgrade goes with the run: all or nothing"


def test_a_newer_warehouse_is_refused(done, small_drop, tmp_path, capsys):
    db, out = _state(tmp_path, done)
    con = duckdb.connect(str(db))
    con.execute("insert into cohort_schema values (99, current_timestamp, 'future')")
    con.close()
    before = (digest(db), top_files(out))
    family = pl.read_csv(out / "families.csv", infer_schema=False)["family_id"][0]
    for argv in (["run", "--input", str(small_drop / "extracts"), "--as-of", MONTH1, "--db", str(db),
                  "--out", str(out)], ["explain", family, "--db", str(db)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "written by a newer version of cohort (schema 99" in err and "upgrade cohort" in err
    _unchanged(db, out, before)


def test_generate_with_no_households(tmp_path, capsys):
    assert main(["generate", "--households", "0", "--out", str(tmp_path / "g")]) == 2
    err = capsys.readouterr().err
    assert "--households must be 1 or more" in err and "Traceback" not in err


def test_explain_into_a_closed_pipe(done, tmp_path):
    """`cohort explain ... | head -1`: no traceback when head stops reading."""
    family = pl.read_csv(done / "out" / "families.csv", infer_schema=False)["family_id"][0]
    code = f"import sys; from cohort.cli import main; sys.exit(main(['explain', {family!r}, '--db', {str(done / 'w.duckdb')!r}]))"
    shell = f"{sys.executable} -c \"{code}\" | head -c 10 >/dev/null"
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True, text=True,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
    assert proc.returncode == 0


def test_an_unexpected_failure_is_one_line_and_its_details_have_no_personal_data(done, small_drop, tmp_path,
                                                                                  capsys, monkeypatch):
    from cohort.flows import stages

    def broken(s):
        raise ValueError(f"could not convert '{MARKER}' in row 7")

    monkeypatch.setattr(stages, "STAGES", [("ingest", stages.ingest), ("validate", broken)])
    monkeypatch.setattr("cohort.flows.monthly.STAGES", stages.STAGES)
    db, out = _state(tmp_path, done)
    before = (digest(db), top_files(out))
    assert run(small_drop / "extracts", db, out) == 1
    err = capsys.readouterr().err
    log = db.with_name("w.duckdb.runlog.jsonl")
    assert err.strip().endswith(f"cohort failed unexpectedly; details in {log}")
    text = log.read_text()
    assert "builtins.ValueError" in text and "test_fault_sentences.py" in text
    assert MARKER not in text and MARKER not in err
    _not_in_prefect()
    _unchanged(db, out, before)


def _not_in_prefect() -> None:
    """Prefect's database, logs and result storage hold no trace of the marker."""
    for path in Path(os.environ["PREFECT_HOME"]).rglob("*"):
        if path.is_file():
            assert MARKER.encode() not in path.read_bytes(), f"Prefect stored it in {path}"


def _write_rows(path: Path, extra: list[str]) -> None:
    with path.open("a", encoding="utf-8") as f:
        for line in extra:
            f.write(line + "\n")


def test_a_csv_parse_error_names_file_line_and_column_and_nothing_reaches_prefect(small_drop, tmp_path,
                                                                                   capsys):
    drop = _drop(small_drop, tmp_path)
    header = (drop / "police.csv").read_text().splitlines()[0].lower().split(",")
    row = {c: "" for c in header}
    row.update({"record_id": "PX1", "forename": "Ann", "surname": f'"{MARKER}', "event_date": "2013-01-01",
                "event_type": "arrest"})
    _write_rows(drop / "police.csv", [",".join(row[c] for c in header), "PX2,more"])
    db, out = tmp_path / "w.duckdb", tmp_path / "out"
    assert run(drop, db, out) == 2
    err = capsys.readouterr().err
    line = len((drop / "police.csv").read_text().splitlines()) - 1
    column = header.index("surname") + 1
    assert f"police.csv line {line}, column {column} (surname)" in err.lower() and "never closed" in err
    assert MARKER not in err and MARKER not in db.with_name("w.duckdb.runlog.jsonl").read_text()
    _not_in_prefect()
    assert not out.exists() or not any(out.iterdir())


def test_a_ragged_row_is_quarantined_and_the_rest_kept(small_drop, tmp_path):
    drop = _drop(small_drop, tmp_path)
    police = pl.read_csv(drop / "police.csv", infer_schema=False).rename(str.lower)
    lines = (drop / "police.csv").read_text().splitlines()
    lines[3] = lines[3] + ",extra,fields"
    (drop / "police.csv").write_text("\n".join(lines) + "\n")
    loaded = load_drop(drop, date(2014, 3, 31))
    ragged = loaded.rejected.filter(pl.col("reason") == Reason.TOO_MANY_FIELDS.value)
    assert ragged.select("file", "row").to_dicts() == [{"file": "police.csv", "row": 4}]
    assert loaded.row_counts["police"] == police.height - 1
    assert police["record_id"][2] not in set(loaded.clean["police"]["record_id"])


IMPOSSIBLE = [
    ("date of birth in the future", "police", {"dob": "2020-01-01"}, "dob", Reason.BORN_AFTER_AS_OF),
    ("date of birth before 1900", "police", {"dob": "1850-06-01"}, "dob", Reason.DATE_BEFORE_1900),
    ("event before 1900", "police", {"event_date": "1899-12-31"}, "event_date", Reason.DATE_BEFORE_1900),
    ("event after the as-of date", "police", {"event_date": "2014-04-01"}, "event_date", Reason.DATE_AFTER_AS_OF),
    ("benefit spell ending before it starts", "dwp_benefits", {"spell_start": "2013-05-01", "spell_end": "2013-04-01"},
     "spell_end", Reason.ENDS_BEFORE_IT_STARTS),
    ("tenancy ending before it starts", "housing", {"tenancy_start": "2012-05-01", "tenancy_end": "2011-01-01"},
     "tenancy_end", Reason.ENDS_BEFORE_IT_STARTS),
    ("more than 400 sessions possible in a term", "school_census",
     {"sessions_possible": "401", "sessions_unauthorised": "3"}, "sessions_possible",
     Reason.SESSIONS_BEYOND_A_SCHOOL_YEAR),
    ("100,000 exclusion sessions", "school_exclusions", {"sessions": "100000"}, "sessions",
     Reason.SESSIONS_BEYOND_A_SCHOOL_YEAR),
]


@pytest.mark.parametrize("description, extract, values, column, reason", IMPOSSIBLE, ids=[c[0] for c in IMPOSSIBLE])
def test_impossible_values_are_quarantined_with_a_reason(small_drop, tmp_path, description, extract, values,
                                                         column, reason):
    drop = _drop(small_drop, tmp_path)
    frame = pl.read_csv(drop / f"{extract}.csv", infer_schema=False).rename(str.lower)
    changed = frame.with_row_index("i").with_columns(
        *[pl.when(pl.col("i") == 0).then(pl.lit(v)).otherwise(pl.col(k)).alias(k) for k, v in values.items()]
    ).drop("i")
    changed.write_csv(drop / f"{extract}.csv")
    loaded = load_drop(drop, date(2014, 3, 31))
    mine = loaded.rejected.filter((pl.col("file") == f"{extract}.csv") & (pl.col("row") == 2))
    assert (column, reason.value) in set(zip(mine["column"], mine["reason"])), description
    assert frame["record_id"][0] not in set(loaded.clean[extract]["record_id"])


def test_an_empty_required_extract_stops_the_run_unless_allowed(done, small_drop, tmp_path, capsys):
    drop = _drop(small_drop, tmp_path)
    header = (drop / "police.csv").read_text().splitlines()[0]
    (drop / "police.csv").write_text(header + "\n")
    db, out = _state(tmp_path, done)
    before = (digest(db), top_files(out))
    assert run(drop, db, out) == 2
    err = capsys.readouterr().err
    assert "police.csv has a header but no rows" in err and "--allow-empty police" in err
    _unchanged(db, out, before)
    assert run(drop, db, out, MONTH1, "--allow-empty", "police") == 0
    shown = capsys.readouterr()
    assert "police: no rows this month, accepted with --allow-empty" in shown.out + shown.err
    assert runlog(db)[-1]["settings"]["allow_empty"] == ["police"]
    assert runlog(db)[-1]["counts"]["validate"]["allowed_empty"] == ["police"]


def test_an_empty_optional_extract_is_fine(small_drop, tmp_path):
    drop = _drop(small_drop, tmp_path)
    header = (drop / "health.csv").read_text().splitlines()[0]
    (drop / "health.csv").write_text(header + "\n")
    assert load_drop(drop, date(2014, 3, 31)).clean["health"].height == 0


def test_formulas_in_csv_outputs_are_neutralised(small_drop, tmp_path):
    """OWASP: a text cell starting =, +, -, @, tab or CR gets a leading quote."""
    frame = pl.DataFrame({"value": ["=HYPERLINK(\"http://x\",\"y\")", "=1+2", "@SUM(A1)", "+44", "-3", "\tx",
                                    "\r=1", "Smith", None], "n": [1, -2, 3, 4, 5, 6, 7, 8, 9]})
    out = neutralise(frame)
    assert out["value"].to_list()[:8] == ["'=HYPERLINK(\"http://x\",\"y\")", "'=1+2", "'@SUM(A1)", "'+44", "'-3",
                                          "'\tx", "'\r=1", "Smith"]
    assert out["n"].to_list() == frame["n"].to_list(), "numbers are left alone"
    drop = _drop(small_drop, tmp_path)
    police = pl.read_csv(drop / "police.csv", infer_schema=False).rename(str.lower)
    police.with_row_index("i").with_columns(
        pl.when(pl.col("i") == 0).then(pl.lit("=1+2")).otherwise(pl.col("record_id")).alias("record_id"),
        pl.when(pl.col("i") == 1).then(pl.lit("@SUM(A1)")).otherwise(pl.col("dob")).alias("dob"),
    ).drop("i").write_csv(drop / "police.csv")
    assert run(drop, tmp_path / "w.duckdb", tmp_path / "out") == 0
    links = (tmp_path / "out" / "person_links.csv").read_text()
    rejected = (tmp_path / "out" / "rejected_rows.csv").read_text()
    assert "police,'=1+2," in links and "\n=1+2" not in links and ",=1+2" not in links
    assert "'@SUM(A1)" in rejected and ",@SUM" not in rejected


def test_everything_written_is_owner_only_whatever_the_umask(small_drop, tmp_path):
    previous = os.umask(0o022)
    try:
        db, out = tmp_path / "wh" / "w.duckdb", tmp_path / "out"
        assert run(small_drop / "extracts", db, out) == 0
    finally:
        os.umask(previous)
    made = [db, db.with_name("w.duckdb.runlog.jsonl"), db.parent, out, *out.rglob("*")]
    loose = [f"{p} {oct(p.stat().st_mode & 0o777)}" for p in made if p.stat().st_mode & 0o077]
    assert loose == []
