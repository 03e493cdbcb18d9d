"""Running the monthly identification unattended, on a schedule.

The drops arrive one sub-folder per month under one folder (`drops/2014-03/police.csv`
...). The scheduled flow works out which month to run (by default the month that ended
before today: on 2 April it runs the drop `2014-03` as of 31 March), and runs the
ordinary monthly flow with that month's folder and an output folder of the same name.

`serve` registers a deployment with a cron schedule (default: 06:00 on the 2nd of each
month) and polls for its runs. Prefect's temporary in-process server cannot schedule, so
unless `PREFECT_API_URL` points at a Prefect server already, `serve` starts one locally
(`prefect server start`, from the installed package: nothing else to install), bound to
127.0.0.1, with its database under PREFECT_HOME.
"""

from __future__ import annotations

from cohort.flows.prefect_env import configure

configure()

import os  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from prefect import flow  # noqa: E402

from cohort.flows.monthly import monthly_flow  # noqa: E402

DEFAULT_CRON = "0 6 2 * *"


class MissingDrop(Exception):
    """This month's folder has not arrived."""


def previous_month_end(today: date) -> date:
    return today.replace(day=1) - timedelta(days=1)


@flow(name="cohort-scheduled-month")
def scheduled_month(
    drops: str,
    db: str,
    out_root: str,
    programme: str = "phase1",
    as_of: date | None = None,
    dask_address: str | None = None,
) -> dict[str, Any]:
    as_of = as_of or previous_month_end(date.today())
    month = f"{as_of:%Y-%m}"
    input_dir = Path(drops) / month
    if not input_dir.is_dir():
        raise MissingDrop(f"the drop for {month} has not arrived: {input_dir} does not exist")
    return monthly_flow(dask_address)(input_dir=input_dir, as_of=as_of, db=Path(db),
                                      out=Path(out_root) / month, programme=programme)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_local_server(timeout: float = 120) -> subprocess.Popen:
    """Start `prefect server start` on a free local port and point this process at it."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    proc = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, "PREFECT_API_URL": ""}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                os.environ["PREFECT_API_URL"] = url
                return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("the local Prefect server did not start")
            time.sleep(1)
    proc.terminate()
    raise RuntimeError(f"the local Prefect server did not answer within {timeout:.0f}s")


def serve(drops: Path, db: Path, out_root: Path, programme: str = "phase1", cron: str = DEFAULT_CRON,
          dask_address: str | None = None) -> None:
    """Serve the scheduled deployment until interrupted (Ctrl-C)."""
    server = None if os.environ.get("PREFECT_API_URL") else start_local_server()
    try:
        scheduled_month.serve(
            name="cohort-monthly",
            cron=cron,
            parameters={"drops": str(Path(drops).resolve()), "db": str(Path(db).resolve()),
                        "out_root": str(Path(out_root).resolve()), "programme": programme,
                        "dask_address": dask_address},
            description="Monthly Troubled Families identification run",
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
