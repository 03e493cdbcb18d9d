"""The export stage writes the district lists, the out-of-area list and the claim workbook
in a second process while it builds the review (decision 86): what that process logs and
raises reaches the run as if it happened here."""

from __future__ import annotations

import json
import logging
import os
import shutil
from datetime import date
from pathlib import Path

import pytest

from cohort.core.ruleset import load_ruleset
from cohort.flows import stages
from cohort.flows.stages import RunSettings


def _settings(first_run: Path, tmp_path: Path) -> RunSettings:
    """The first run's settings, on a copy of its warehouse, writing into a fresh folder."""
    db = tmp_path / "w.duckdb"
    shutil.copy(first_run / "w.duckdb", db)
    staging = tmp_path / "out"
    staging.mkdir()
    run_id = json.loads((first_run / "out" / "settings.json").read_text())["run_id"]
    return RunSettings(run_id=run_id, input_dir=tmp_path, as_of=date(2014, 3, 31), programme="phase1",
                       ruleset=load_ruleset(), work_db=db, staging=staging)


def test_the_workbooks_come_from_a_second_process_and_its_log_reaches_this_one(first_run, tmp_path, caplog):
    s = _settings(first_run, tmp_path)
    with caplog.at_level(logging.INFO, logger="cohort"):
        exported = stages.export(s)
    lists = sorted(p.name for p in (s.staging / "district_lists").glob("*.xlsx"))
    assert lists == sorted(p.name for p in (first_run / "out" / "district_lists").glob("*.xlsx"))
    assert [f"district_lists/{name}" for name in lists] == [f for f in exported.files if f.startswith("district_")]
    assert (s.staging / "out_of_area.xlsx").is_file()
    assert (s.staging / "claims" / "2014-03-31.xlsx").is_file()
    theirs = [r for r in caplog.records if r.name == "cohort.reports.district_lists"]
    assert len(theirs) >= len(lists)  # one line per district list, and one for the out-of-area families
    assert all(r.process != os.getpid() for r in theirs), "logged in this process, not a second one"


def test_a_failure_in_the_second_process_fails_the_export_with_its_own_error(first_run, tmp_path):
    s = _settings(first_run, tmp_path)
    (s.staging / "district_lists").write_text("a file where the lists' folder goes")
    with pytest.raises(FileExistsError, match="district_lists"):
        stages.export(s)
