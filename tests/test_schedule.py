"""The unattended monthly run: which month it picks, and its cron deployment."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from cohort.flows.schedule import DEFAULT_CRON, MissingDrop, previous_month_end, scheduled_month


@pytest.mark.parametrize(
    "today, expected",
    [
        (date(2014, 4, 2), date(2014, 3, 31)),
        (date(2014, 3, 1), date(2014, 2, 28)),
        (date(2016, 3, 2), date(2016, 2, 29)),
        (date(2015, 1, 2), date(2014, 12, 31)),
    ],
)
def test_previous_month_end(today, expected):
    assert previous_month_end(today) == expected


def test_deployment_carries_the_monthly_cron(tmp_path):
    deployment = scheduled_month.to_deployment(
        name="cohort-monthly", cron=DEFAULT_CRON,
        parameters={"drops": str(tmp_path), "db": str(tmp_path / "w.duckdb"), "out_root": str(tmp_path / "out")},
    )
    crons = [s.schedule.cron for s in deployment.schedules]
    assert crons == ["0 6 2 * *"]


def test_scheduled_month_runs_that_months_drop(small_drop, tmp_path):
    drops = tmp_path / "drops"
    drops.mkdir()
    (drops / "2014-03").symlink_to(small_drop / "extracts", target_is_directory=True)
    summary = scheduled_month(drops=str(drops), db=str(tmp_path / "w.duckdb"),
                              out_root=str(tmp_path / "out"), as_of=date(2014, 3, 31))
    families = pl.read_csv(tmp_path / "out" / "2014-03" / "families.csv")
    assert summary["households"]["households"] == families.height
    with pytest.raises(MissingDrop, match="2014-04"):
        scheduled_month(drops=str(drops), db=str(tmp_path / "w.duckdb"),
                        out_root=str(tmp_path / "out"), as_of=date(2014, 4, 30))
