"""The monthly run on a real local Dask cluster (2 worker processes) gives the output of
the single-process run (flows/monthly.py `run_monthly`, prefect-dask's DaskTaskRunner)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import openpyxl
import pytest
from distributed import Client, LocalCluster, get_task_stream

from cohort.cli import main
from cohort.core.reference import DISTRICTS
from support.outputs import digest, summary_without_seconds

AS_OF = "2014-03-31"


def _run(drop: Path, work: Path, *extra: str) -> int:
    return main(["run", "--input", str(drop), "--as-of", AS_OF, "--db", str(work / "w.duckdb"),
                 "--out", str(work / "out"), *extra])


def _cells(path: Path) -> dict[str, list[list]]:
    book = openpyxl.load_workbook(path)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        yield c


@pytest.fixture(scope="module")
def single(small_drop, tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("single")
    assert _run(small_drop / "extracts", work) == 0  # default partitions: one, at this size, on threads
    return work


def test_dask_run_is_identical_to_the_single_process_run(small_drop, tmp_path, cluster, single):
    drop = small_drop / "extracts"
    dask = tmp_path / "dask"
    with Client(cluster.scheduler_address) as client, get_task_stream(client) as stream:
        assert _run(drop, dask, "--dask-address", cluster.scheduler_address, "--partitions", "3") == 0
    # The partitions really ran on both worker processes: two rounds of up to 3 for
    # matching, up to 3 for households (a partition no pair fell into is done in place,
    # not sent: `partition.skipping_empty`).
    workers = {t["worker"] for t in stream.data}
    assert 3 <= len(stream.data) <= 9
    assert len(workers) == 2

    for name in ("person_links.csv", "families.csv", "results.csv", "rejected_rows.csv"):
        assert digest(dask / "out" / name) == digest(single / "out" / name), name
    assert summary_without_seconds(dask / "out") == summary_without_seconds(single / "out")
    for district in DISTRICTS:
        name = f"district_lists/{district}.xlsx"
        assert _cells(dask / "out" / name) == _cells(single / "out" / name), name
    # The review workbook: the same questions; only the warehouse it belongs to differs.
    review_a, review_b = _cells(dask / "out" / "match_review.xlsx"), _cells(single / "out" / "match_review.xlsx")
    def keys(cells):  # without the warehouse's own id and the digest that covers it
        return [r for r in cells.pop("Keys") if r[0] not in ("warehouse_id", "digest")]

    assert keys(review_a) == keys(review_b)
    assert review_a == review_b
    tables = ("person_links", "persons", "match_pairs", "household_members", "families_base", "families")
    for table in tables:
        query = f"select * from {table} order by all"
        with duckdb.connect(str(single / "w.duckdb"), read_only=True) as a, \
                duckdb.connect(str(dask / "w.duckdb"), read_only=True) as b:
            assert a.execute(query).fetchall() == b.execute(query).fetchall(), table


def test_unreachable_scheduler_is_one_plain_message(small_drop, tmp_path, capsys):
    rc = _run(small_drop / "extracts", tmp_path, "--dask-address", "tcp://127.0.0.1:9")
    assert rc == 2
    err = capsys.readouterr().err
    assert "could not reach the Dask scheduler at tcp://127.0.0.1:9" in err
    assert not (tmp_path / "w.duckdb").exists()
    assert not (tmp_path / "out").exists()


def test_the_scheduled_month_runs_on_dask_too(small_drop, tmp_path, cluster, single):
    from cohort.flows.schedule import scheduled_month

    drops = tmp_path / "drops"
    drops.mkdir()
    (drops / "2014-03").symlink_to(small_drop / "extracts", target_is_directory=True)
    with Client(cluster.scheduler_address) as client, get_task_stream(client) as stream:
        summary = scheduled_month(drops=str(drops), db=str(tmp_path / "w.duckdb"), out_root=str(tmp_path / "out"),
                                  as_of=date(2014, 3, 31), dask_address=cluster.scheduler_address)
    assert len(stream.data) >= 3
    assert summary["as_of"] == "2014-03-31"
    for name in ("person_links.csv", "families.csv"):
        assert digest(tmp_path / "out" / "2014-03" / name) == digest(single / "out" / name), name


def test_partitions_must_be_positive(small_drop, tmp_path, capsys):
    assert _run(small_drop / "extracts", tmp_path, "--partitions", "0") == 2
    assert "--partitions must be 1 or more" in capsys.readouterr().err
    assert not (tmp_path / "w.duckdb").exists()
