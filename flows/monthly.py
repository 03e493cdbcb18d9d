"""The monthly identification run as a Prefect flow.

The flow is thin: it walks `flows.stages.STAGES`, running each plain stage function as
a Prefect task, retrying only the I/O stages (and only on OS errors, never on bad input),
then publishes the run summary as a table artifact. The all-or-nothing handling of the
warehouse and outputs lives in `cohort.core.warehouse.Workspace`.

The matching and household stages run in the flow itself and hand their partitions
(`matching.partition`) to the flow's task runner as one task each: a thread pool by
default, or a Dask cluster (`run_monthly(dask_address=...)`, prefect-dask's
DaskTaskRunner). Partitions depend only on the data, so the output is the same.
"""

from __future__ import annotations

from cohort.flows.prefect_env import configure

configure()

import functools  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from prefect import flow, task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact  # noqa: E402

from cohort.core.ruleset import RuleSet, load_ruleset  # noqa: E402
from cohort.reports.run_report import REPORT_NAME, write_run_report  # noqa: E402
from cohort.reports.summary import summary_markdown, summary_rows  # noqa: E402
from cohort.core import runlog  # noqa: E402
from cohort.core.warehouse import Workspace, connect  # noqa: E402
from cohort.schemas.errors import InputError  # noqa: E402
from cohort.flows.stages import IO_STAGES, PARTITIONED_STAGES, STAGES, RunSettings  # noqa: E402
from cohort.matching.partition import Mapper  # noqa: E402


log = logging.getLogger(__name__)


def _brief(counts: dict[str, Any]) -> str:
    """The stage's plain counts for the progress line (no nested detail, no personal data)."""
    flat = {k: v for k, v in counts.items() if isinstance(v, (int, float))}
    return "(" + ", ".join(f"{k} {v}" for k, v in flat.items()) + ")" if flat else ""


def _retry_on_os_error(task, task_run, state) -> bool:
    try:
        state.result()
    except OSError:
        return True
    except Exception:
        return False
    return False


def _as_task(name: str, fn):
    if name in IO_STAGES:
        return task(fn, name=name, retries=2, retry_delay_seconds=[2, 10],
                    retry_condition_fn=_retry_on_os_error)
    return task(fn, name=name)


def _task_mapper(stage: str) -> Mapper:
    """Run each partition as a Prefect task on the flow's task runner, results in order.

    No caching and no result persistence: the inputs are large frames, hashing or storing
    them would cost more than the work, and a re-run recomputes from the warehouse anyway.
    """
    def mapper(fn, items):
        run = task(fn, name=f"{stage}-{fn.__name__.replace('_', '-')}", cache_policy=NO_CACHE,
                   persist_result=False)
        futures = [run.submit(item) for item in items]
        results = []
        for i, future in enumerate(futures, 1):
            results.append(future.result())
            if len(futures) > 1:
                log.info("%s: %s, %d of %d partitions done", stage, fn.__name__.replace("_", " "), i, len(futures))
        return results
    return mapper


def run_id_for(checksums: dict[str, str], as_of: date, programme: str, ruleset: RuleSet) -> str:
    """Deterministic run id: the same month's same inputs and rules give the same id."""
    h = hashlib.sha256(json.dumps(checksums, sort_keys=True).encode())
    h.update(f"{as_of}|{programme}|{ruleset.to_json()}".encode())
    return f"{as_of:%Y-%m}_{h.hexdigest()[:8]}"


def _save_summary(staging: Path, summary: dict[str, Any]) -> None:
    """The outputs' copy of the summary leaves out timings, so a re-run is identical."""
    stable = {k: v for k, v in summary.items() if k != "stage_seconds"}
    (staging / "run_summary.json").write_text(
        json.dumps(stable, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
    )


def _plain_error(exc: BaseException) -> str:
    """What the run log says about a failure: our own messages name file, row and column
    and never carry personal data; for anything else only the kind of error is kept."""
    return str(exc) if isinstance(exc, InputError) else f"{type(exc).__name__} (see the console output)"


@flow(name="cohort-monthly-run")
def monthly_run(
    input_dir: Path,
    as_of: date,
    db: Path,
    out: Path,
    programme: str = "phase1",
    ruleset_path: Path | None = None,
    partitions: int | None = None,
) -> dict[str, Any]:
    started_at = runlog.now()
    ruleset = load_ruleset(ruleset_path)
    checksums = runlog.input_checksums(Path(input_dir))
    workspace = Workspace.open(Path(db), Path(out))
    settings = RunSettings(
        run_id=run_id_for(checksums, as_of, programme, ruleset),
        input_dir=Path(input_dir),
        as_of=as_of,
        programme=programme,
        ruleset=ruleset,
        work_db=workspace.work_db,
        staging=workspace.staging,
        partitions=partitions,
    )
    summary: dict[str, Any] = {"run_id": settings.run_id, "as_of": as_of.isoformat(),
                               "programme": programme, "stage_seconds": {}}
    entry = functools.partial(runlog.entry, run_id=settings.run_id, as_of=as_of, programme=programme,
                              started_at=started_at, checksums=checksums, settings_json=settings.to_json())
    try:
        for name, fn in STAGES:
            started = time.perf_counter()
            log.info("%s: started", name)
            if name in PARTITIONED_STAGES:
                summary[name] = fn(settings, mapper=_task_mapper(name))
            else:
                summary[name] = _as_task(name, fn)(settings)
            seconds = round(time.perf_counter() - started, 2)
            summary["stage_seconds"][name] = seconds
            rows = sum(summary.get("validate", {}).get("rows_read", {}).values())
            rate = f", {rows / seconds:,.0f} input rows/s" if rows and seconds > 0 else ""
            log.info("%s: done in %.1fs%s %s", name, seconds, rate, _brief(summary[name]))
        _save_summary(settings.staging, summary)
        record = entry(outcome="succeeded", summary=summary)
        with connect(settings.work_db) as con:
            write_run_report(con, settings.staging / REPORT_NAME, summary=summary, as_of=as_of, programme=programme,
                             run_id=settings.run_id, link_threshold=ruleset.matching.link_threshold)
            runlog.append_warehouse(con, record)
        workspace.commit()
    except BaseException as exc:
        workspace.abandon()
        runlog.append_file(Path(db), entry(outcome="failed", summary=summary, error=_plain_error(exc)))
        raise
    runlog.append_file(Path(db), record)
    create_table_artifact(
        key="cohort-run-summary",
        table=summary_rows(summary),
        description=f"cohort run {settings.run_id}",
    )
    create_link_artifact(
        key="cohort-run-report", link=(Path(out).resolve() / REPORT_NAME).as_uri(), link_text=REPORT_NAME,
        description=f"cohort run {settings.run_id}: the run report (open in a browser; works offline)",
    )
    create_markdown_artifact(
        key="cohort-run-summary-text", markdown=summary_markdown(summary),
        description=f"cohort run {settings.run_id}",
    )
    return summary


def monthly_flow(dask_address: str | None = None):
    """The monthly flow, on the Dask cluster at `dask_address` when one is given."""
    if not dask_address:
        return monthly_run
    from prefect_dask import DaskTaskRunner

    return monthly_run.with_options(task_runner=DaskTaskRunner(address=dask_address))


def run_monthly(*, dask_address: str | None = None, **params: Any) -> dict[str, Any]:
    """`monthly_run` with its partitions on the default thread pool, or on the Dask
    cluster whose scheduler is at `dask_address` (e.g. "tcp://10.0.0.5:8786").

    The workers need this project installed (the same version). Their task runs report
    to the flow's Prefect API: PREFECT_API_URL when set (a server the workers can reach),
    else a temporary local server started here, which workers on this machine reach;
    without it each worker would start a server of its own and its runs would not show.
    """
    if not dask_address:
        return monthly_run(**params)
    from prefect.settings import PREFECT_API_URL, temporary_settings

    dask_flow = monthly_flow(dask_address)
    if PREFECT_API_URL.value():
        return dask_flow(**params)
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start()
    try:
        with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
            return dask_flow(**params)
    finally:
        server.stop()
