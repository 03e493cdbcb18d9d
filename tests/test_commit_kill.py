"""kill -9 at every step of the commit (issue 13, "losing work" 2, 4 and 5).

Month 1 is run for real; then month 2 is committed onto a copy of it by a separate
process that kills itself (SIGKILL) at one failure point of `cohort.core.commit`, with
the real month-2 warehouse and outputs in its working copy and partial folder. After each
stop the next writer recovers, and then:
- the warehouse is byte for byte month 1's or month 2's, never a mix;
- the top of --out is exactly the outputs of the run the warehouse holds;
- nothing is left behind, the run log has one record of the attempt, and month 1's run
  folder and claim workbook are still there;
- the next run of month 2 succeeds and gives byte-identical outputs.
"""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import pytest

from cohort.core.commit import writer
from faults import (MONTH1, MONTH2, copy_state, digest, latest_run, leftovers, python, run, runlog, stable_files,
                    subprocess_env, top_files, tree)

# Every step of the commit, in order (commit.publish.<file> after each file placed).
POINTS = [
    "open.journal", "open.copied", "commit.start", "commit.journal", "commit.run_folder", "commit.warehouse",
    "commit.publish.claims/2014-06-30.xlsx", "commit.publish.district_lists/Dover.xlsx",
    "commit.publish.person_links.csv", "commit.publish.settings.json", "commit.logged", "commit.done",
]
ROLLED_BACK = POINTS[:5]

DRIVER = """
import json, shutil, sys
from pathlib import Path
from cohort.core.commit import Workspace, writer
db, out, work, staged, name = (Path(a) for a in sys.argv[1:6])
record = {"run_id": name.name, "outcome": "succeeded"}
with writer(db, "cohort run (kill test)"):
    ws = Workspace.open(db, out, name=name.name, entry=dict(record, outcome="started"))
    shutil.copyfile(work, ws.work_db)
    shutil.rmtree(ws.staging)
    shutil.copytree(staged, ws.staging)
    ws.commit(dict(record, attempt=ws.token))
"""


@pytest.fixture(scope="module")
def months(small_drop, tmp_path_factory):
    """Month 1 as it stands (warehouse, outputs) and month 2 committed on top of it."""
    root = tmp_path_factory.mktemp("months")
    drop = small_drop / "extracts"
    assert run(drop, root / "w.duckdb", root / "out") == 0
    before = copy_state(root / "w.duckdb", root / "out", root / "before")
    assert run(drop, root / "w.duckdb", root / "out", MONTH2) == 0
    return {"drop": drop, "before": before, "after": (root / "w.duckdb", root / "out")}


def _month2_folder(out: Path) -> Path:
    return next(p for p in (out / "runs").iterdir() if p.name.startswith(MONTH2))


@pytest.mark.parametrize("point", POINTS)
def test_kill_9_at_each_step_of_the_commit(months, tmp_path, point):
    before_db, before_out = months["before"]
    after_db, after_out = months["after"]
    db, out = copy_state(before_db, before_out, tmp_path / "state")
    staged = _month2_folder(after_out)
    args = [str(db), str(out), str(after_db), str(staged), staged.name]
    proc = python(DRIVER.replace("sys.argv[1:6]", repr(args)), subprocess_env(f"{point}=kill"))
    assert proc.returncode == -signal.SIGKILL, (point, proc.stderr[-2000:])

    with writer(db, "cohort claims submit") as messages:  # the next writer recovers
        pass
    assert bool(messages) is (point != "commit.done"), "the next start says what it found and did"
    state = digest(db)
    assert state in (digest(before_db), digest(after_db)), "the warehouse is one month or the other"
    expected_after = point not in ROLLED_BACK
    assert (state == digest(after_db)) is expected_after, point
    wanted = top_files(after_out) if expected_after else top_files(before_out)
    assert top_files(out) == wanted, "the top of --out holds the outputs of the run the warehouse holds"
    assert latest_run(db) == (latest_run(after_db) if expected_after else latest_run(before_db))
    assert leftovers(db, out) == [], "nothing is left behind"
    assert (out / "claims" / f"{MONTH1}.xlsx").exists(), "the earlier window's claim workbook stays"
    month1_folder = next(p for p in (before_out / "runs").iterdir())
    assert tree(out / "runs" / month1_folder.name) == tree(month1_folder), "month 1's run folder is untouched"
    attempts = [r for r in runlog(db) if r.get("run_id") == staged.name]
    if point != "open.journal" or expected_after:
        assert len(attempts) == 1 and attempts[0]["outcome"] == ("succeeded" if expected_after else "failed")

    assert run(months["drop"], db, out, MONTH2) == 0, "the next run succeeds"
    assert digest(db) != digest(before_db)
    for name, value in stable_files(after_out).items():
        if name != "claims/2014-03-31.xlsx":
            assert stable_files(out)[name] == value, f"{name} is byte-identical to an undisturbed run"
    assert leftovers(db, out) == []


def test_a_killed_run_leaves_no_world_readable_copy(months, tmp_path):
    """Killed after its journal: the working copy (personal data) is owner-only, and the
    next start removes it, saying so."""
    db, out = copy_state(*months["before"], tmp_path / "state")
    after_db, after_out = months["after"]
    staged = _month2_folder(after_out)
    args = [str(db), str(out), str(after_db), str(staged), staged.name]
    proc = python(DRIVER.replace("sys.argv[1:6]", repr(args)), subprocess_env("commit.journal=kill"))
    assert proc.returncode == -signal.SIGKILL
    copies = list(db.parent.glob(f".{db.name}.run-*"))
    assert copies and all(p.stat().st_mode & 0o077 == 0 for p in copies)
    with writer(db, "cohort review import") as messages:
        pass
    assert any("was stopped before it finished" in m for m in messages)
    assert not list(db.parent.glob(f".{db.name}.run-*"))


def test_a_real_run_killed_after_its_warehouse_swap_is_finished_by_the_next(months, tmp_path):
    """The whole `cohort run` in its own process, killed right after the warehouse was
    replaced (issue: warehouse month 2, --out month 1, claims/ emptied, no log entry)."""
    db, out = copy_state(*months["before"], tmp_path / "state")
    code = ("import sys; from cohort.cli import main; sys.exit(main(['run', '--input', %r, '--as-of', %r, "
            "'--db', %r, '--out', %r]))" % (str(months["drop"]), MONTH2, str(db), str(out)))
    proc = python(code, subprocess_env("commit.warehouse=kill", tmp_path / "prefect"), timeout=900)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert top_files(out) == top_files(months["before"][1]), "killed before its outputs were placed"
    assert run(months["drop"], db, out, MONTH2) == 0
    records = runlog(db)
    assert [r["outcome"] for r in records if r.get("as_of") == MONTH2] == ["succeeded", "succeeded"]
    assert (out / "claims" / f"{MONTH1}.xlsx").exists() and (out / "claims" / f"{MONTH2}.xlsx").exists()
    assert len([p for p in (out / "runs").iterdir()]) == 3, "month 1, the killed month 2, the re-run"
    assert leftovers(db, out) == []


def test_a_real_run_killed_mid_stage_is_rolled_back(months, tmp_path):
    db, out = copy_state(*months["before"], tmp_path / "state")
    code = ("import sys; from cohort.cli import main; sys.exit(main(['run', '--input', %r, '--as-of', %r, "
            "'--db', %r, '--out', %r]))" % (str(months["drop"]), MONTH2, str(db), str(out)))
    proc = python(code, subprocess_env("stage.match=kill", tmp_path / "prefect"), timeout=900)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    with writer(db, "cohort claims submit") as messages:
        pass
    assert digest(db) == digest(months["before"][0])
    assert top_files(out) == top_files(months["before"][1])
    assert leftovers(db, out) == []
    assert any("stopped before it finished" in m for m in messages)
    assert runlog(db)[-1]["outcome"] == "failed" and "stopped before it finished" in runlog(db)[-1]["error"]
    shutil.rmtree(tmp_path / "prefect", ignore_errors=True)
