"""The whole monthly run through the real Prefect engine, DuckDB file and xlsx files,
checked against the generator's ground truth."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date, datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from cohort.core.warehouse import fetch_one

from cohort.cli import main
from cohort.core.reference import DISTRICTS
from cohort.reports.labels import is_code_word
from cohort.reports.run_report import without_timings
from xlsx_read import table_rows
from cohort.data_samples.evaluate import household_accuracy, identified_accuracy, person_accuracy
from support.outputs import digest, summary_without_seconds

AS_OF = "2014-03-31"
PERSON_LEVEL = ("police", "youth_offending", "school_census", "school_exclusions", "dwp_benefits",
                "dwp_employment", "housing", "social_care", "health")


def _run(drop: Path, db: Path, out: Path, *extra: str) -> int:
    return main(["run", "--input", str(drop), "--as-of", AS_OF, "--db", str(db), "--out", str(out), *extra])


def test_outputs_follow_the_contract(first_run):
    out = first_run / "out"
    links = pl.read_csv(out / "person_links.csv", infer_schema=False)
    assert links.columns[:5] == ["source", "record_id", "person_id", "family_id", "match_confidence"]
    conf = links["match_confidence"].cast(pl.Float64)
    assert conf.min() >= 0 and conf.max() <= 1
    assert set(links["source"]) <= set(PERSON_LEVEL)
    fams = pl.read_csv(out / "families.csv", infer_schema=False)
    assert fams.columns == ["family_id", "district", "members", "crime_asb", "education", "work",
                            "local_discretion", "criteria_met", "status"]
    assert set(fams["status"]) <= {"automatic", "discretionary", "candidate", "not_eligible"}
    assert set(fams["district"]) <= set(DISTRICTS) | {"out_of_area"}
    results = (out / "results.csv").read_text().splitlines()
    assert results[0] == "family_id,result,achieved_on,payment_gbp,already_claimed"
    assert (out / "rejected_rows.csv").read_text().startswith("file,row,column,value,reason")
    books = sorted(p.stem for p in (out / "district_lists").glob("*.xlsx"))
    assert books == sorted(DISTRICTS)


def test_every_valid_person_row_is_linked_once(first_run, small_drop):
    links = pl.read_csv(first_run / "out" / "person_links.csv", infer_schema=False)
    truth = pl.read_csv(small_drop / "truth" / "records.csv", infer_schema=False)
    rejected = pl.read_csv(first_run / "out" / "rejected_rows.csv", infer_schema=False)
    assert links.select("source", "record_id").is_duplicated().sum() == 0
    assert links.height == truth.height - rejected.select("file", "row").unique().height


def test_matching_and_identification_against_truth(first_run, small_drop):
    out, truth = first_run / "out", small_drop / "truth"
    persons = person_accuracy(out, truth)
    households = household_accuracy(out, truth)
    identified = identified_accuracy(out, truth)
    print("persons", persons, "\nhouseholds", households, "\nidentified", identified)
    assert persons.precision >= 0.97 and persons.recall >= 0.95
    assert households.precision >= 0.95 and households.recall >= 0.90
    assert identified.precision >= 0.85 and identified.recall >= 0.85


def test_district_list_rows_match_families_csv(first_run):
    out = first_run / "out"
    fams = pl.read_csv(out / "families.csv", infer_schema=False)
    for district in DISTRICTS:
        wb = openpyxl.load_workbook(out / "district_lists" / f"{district}.xlsx", read_only=True)
        ws = wb["Families"]
        ids = {str(row[0]) for row in ws.iter_rows(values_only=True) if row and re.fullmatch(r"F[0-9a-f]{10}", str(row[0]))}
        expected = set(
            fams.filter((pl.col("district") == district) & (pl.col("status") != "not_eligible"))["family_id"]
        )
        assert ids == expected, district


def test_same_month_twice_gives_identical_outputs(first_run, small_drop, tmp_path):
    db = tmp_path / "w.duckdb"
    shutil.copy(first_run / "w.duckdb", db)
    assert _run(small_drop / "extracts", db, tmp_path / "out") == 0
    for name in ("person_links.csv", "families.csv", "results.csv", "rejected_rows.csv", "settings.json"):
        assert digest(tmp_path / "out" / name) == digest(first_run / "out" / name), name
    assert summary_without_seconds(tmp_path / "out") == summary_without_seconds(first_run / "out")
    books = [f"district_lists/{d}.xlsx" for d in DISTRICTS] + ["out_of_area.xlsx", "claims/2014-03-31.xlsx"]
    for name in books:
        assert digest(tmp_path / "out" / name) == digest(first_run / "out" / name), name
    report = [without_timings((folder / "out" / "report.html").read_text(encoding="utf-8"))
              for folder in (tmp_path, first_run)]
    assert report[0] == report[1] and "<svg" in report[0]


def test_district_lists_carry_addresses_and_no_code_words(first_run):
    listed = 0
    for district in DISTRICTS:
        wb = openpyxl.load_workbook(first_run / "out" / "district_lists" / f"{district}.xlsx")
        for row in table_rows(wb["Families"]):
            listed += 1
            assert row["Address"] and re.fullmatch(r"[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][A-Z]{2}", row["Postcode"]), row
        for ws in wb.worksheets:
            codes = [v for r in ws.iter_rows(values_only=True) for v in r if isinstance(v, str) and is_code_word(v)]
            assert codes == [], (district, ws.title)
    assert listed > 0


def test_failed_run_changes_nothing(first_run, small_drop, tmp_path, capsys):
    db, out = tmp_path / "w.duckdb", tmp_path / "out"
    shutil.copy(first_run / "w.duckdb", db)
    shutil.copytree(first_run / "out", out)
    before = {p: digest(p) for p in [db, *out.rglob("*.*")]}
    broken = tmp_path / "broken"
    shutil.copytree(small_drop / "extracts", broken)
    (broken / "housing.csv").unlink()
    assert _run(broken, db, out) == 2
    err = capsys.readouterr().err
    assert "housing" in err
    assert {p: digest(p) for p in [db, *out.rglob("*.*")]} == before
    assert not list(tmp_path.glob(".*run-*")), "no working copies left behind"
    last = json.loads((tmp_path / "w.duckdb.runlog.jsonl").read_text().splitlines()[-1])
    assert last["outcome"] == "failed" and "housing" in last["error"]
    assert last["input_checksums"] and "housing.csv" not in last["input_checksums"]


def test_bad_rows_are_quarantined_and_the_run_continues(small_drop, tmp_path):
    drop = tmp_path / "drop"
    shutil.copytree(small_drop / "extracts", drop)
    police = pl.read_csv(drop / "police.csv", infer_schema=False)
    cols = {c.lower(): c for c in police.columns}
    bad = police.with_row_index("i").with_columns(
        pl.when(pl.col("i") == 0).then(pl.lit("31/02/2013")).otherwise(pl.col(cols["event_date"]))
        .alias(cols["event_date"]),
        pl.when(pl.col("i") == 1).then(pl.lit("riot")).otherwise(pl.col(cols["event_type"]))
        .alias(cols["event_type"]),
    ).drop("i")
    bad.write_csv(drop / "police.csv")
    assert _run(drop, tmp_path / "w.duckdb", tmp_path / "out") == 0
    rejected = pl.read_csv(tmp_path / "out" / "rejected_rows.csv", infer_schema=False)
    police_rej = rejected.filter(pl.col("file") == "police.csv")
    assert set(zip(police_rej["row"], police_rej["column"])) >= {("2", "event_date"), ("3", "event_type")}
    links = pl.read_csv(tmp_path / "out" / "person_links.csv", infer_schema=False)
    rejected_ids = set(police[cols["record_id"]][:2])
    assert not rejected_ids & set(links.filter(pl.col("source") == "police")["record_id"])


def test_xlsx_extract_gives_the_same_families(first_run, small_drop, tmp_path):
    drop = tmp_path / "drop"
    shutil.copytree(small_drop / "extracts", drop)
    housing = pl.read_csv(drop / "housing.csv", infer_schema=False)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(housing.columns)
    for row in housing.iter_rows():
        ws.append(list(row))
    wb.save(drop / "housing.xlsx")
    (drop / "housing.csv").unlink()
    assert _run(drop, tmp_path / "w.duckdb", tmp_path / "out") == 0
    assert digest(tmp_path / "out" / "families.csv") == digest(first_run / "out" / "families.csv")


def test_warehouse_keeps_the_layers_and_history(first_run):
    import duckdb

    con = duckdb.connect(str(first_run / "w.duckdb"), read_only=True)
    tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    for t in ("raw_police", "stg_police", "records", "match_links", "match_persons", "formed_members",
              "formed_families", "person_links", "persons", "household_members", "families_base", "engagements",
              "families", "family_evidence", "family_history", "runs", "rejected_rows"):
        assert t in tables, t
    assert fetch_one(con.execute("select count(distinct as_of) from family_history"))[0] == 1
    run = con.execute("select outcome, code_version, input_checksums, counts from runs").fetchall()
    assert len(run) == 1 and run[0][0] == "succeeded" and run[0][1]
    assert set(json.loads(run[0][2])) >= {"police.csv", "housing.csv"}
    assert json.loads(run[0][3])["match"]["persons"] > 0
    assert fetch_one(con.execute("select max(as_of) from family_history"))[0] == date(2014, 3, 31)
    con.close()


def test_run_summary_is_published_as_a_prefect_artifact(first_run):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["cohort-run-summary"]))
        )
    run_id = json.loads((first_run / "out" / "run_summary.json").read_text())["run_id"]
    started, ended = map(datetime.fromisoformat, (first_run / "ran_between.txt").read_text().split())
    ours = [a for a in artifacts if a.description == f"cohort run {run_id}" and started <= a.created <= ended]
    assert len(ours) == 1, "one run-summary artifact for this run"
    table = ours[0].data
    rows = table if isinstance(table, list) else __import__("json").loads(table)
    sections = {r["section"] for r in rows}
    assert {"rows read", "validation", "families by status", "families by district"} <= sections
    persons = next(r["value"] for r in rows if r["item"] == "persons")
    links = pl.read_csv(first_run / "out" / "person_links.csv", infer_schema=False)
    assert persons == links["person_id"].n_unique()


def test_the_link_threshold_is_a_rule_set_setting(first_run, small_drop, tmp_path):
    """[matching] link_threshold reaches matching: raising it only removes links (more
    persons), and the frozen settings.json records it. It must lie in the review band."""
    from cohort.core.ruleset import DEFAULT_PATH, load_ruleset

    strict = tmp_path / "strict.toml"
    strict.write_text(DEFAULT_PATH.read_text().replace("link_threshold = 0.9", "link_threshold = 0.999")
                      .replace("review_accept = 0.95", "review_accept = 0.9999"))
    assert _run(small_drop / "extracts", tmp_path / "w.duckdb", tmp_path / "out", "--rules", str(strict)) == 0
    settings = json.loads((tmp_path / "out" / "settings.json").read_text())
    assert settings["ruleset"]["matching"]["link_threshold"] == 0.999
    persons = {p: pl.read_csv(p / "out" / "person_links.csv", infer_schema=False)["person_id"].n_unique()
               for p in (first_run, tmp_path)}
    assert persons[tmp_path] > persons[first_run]
    bad = tmp_path / "bad.toml"
    bad.write_text(DEFAULT_PATH.read_text().replace("link_threshold = 0.9", "link_threshold = 0.99"))
    with pytest.raises(ValueError, match="link_threshold"):
        load_ruleset(bad)
