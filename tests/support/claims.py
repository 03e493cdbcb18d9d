"""The claims tests' family and windows: identified 28 Feb 2013, engaged 1 March 2013, two
ASB incidents in the baseline; windows T1 = 31 March 2014 and T2 = 30 June 2014."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from support.results_world import ADULT, ResultsWorld, d

T1, T2 = d("2014-03-31"), d("2014-06-30")
NOW = datetime(2014, 4, 5, 10, 30)


def engaged_family() -> ResultsWorld:
    w = ResultsWorld().person("P1", ADULT).identified(d("2013-02-28")).engaged(d("2013-03-01"))
    w.add("police", "P1", record_id="ASB1", event_date=d("2012-12-01"), event_type="asb_incident")
    w.add("police", "P1", record_id="ASB2", event_date=d("2012-12-02"), event_type="asb_incident")
    return w


def warehouse_after_t1(folder: Path) -> Path:
    """A warehouse file holding one run of the window ending T1, for the claims commands."""
    run = engaged_family().results(T1)
    path = folder / "w.duckdb"
    run.con.execute(f"attach '{path}' as disk")
    run.con.execute("copy from database memory to disk")
    run.con.execute("detach disk")
    return path
