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

import dataclasses  # noqa: E402
import errno  # noqa: E402
import functools  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from prefect import flow, task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact  # noqa: E402

from cohort.core import progress  # noqa: E402
from cohort.core.ruleset import RuleSet, load_ruleset  # noqa: E402
from cohort.reports.run_report import REPORT_NAME, write_run_report  # noqa: E402
from cohort.reports.summary import summary_markdown, summary_rows  # noqa: E402
from cohort.core import runlog  # noqa: E402
from cohort.core.commit import Workspace, writer  # noqa: E402
from cohort.core.errors import CohortError, StageFailed  # noqa: E402
from cohort.core.failpoints import failpoint  # noqa: E402
from cohort.core.private import owner_only  # noqa: E402
from cohort.core.warehouse import connect  # noqa: E402
from cohort.schemas.errors import InputError  # noqa: E402
from cohort.flows.stages import IO_STAGES, PARTITIONED_STAGES, STAGES, RunSettings  # noqa: E402
from cohort.matching.partition import Mapper, skipping_empty  # noqa: E402
from cohort.flows.prefect_server import prefect_api  # noqa: E402


# A full disk, a read-only disk or a refused permission does not mend itself in seconds.
NOT_RETRIED = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EEXIST}


def _retry_on_os_error(task, task_run, state) -> bool:
    try:
        state.result()
    except OSError as exc:
        return exc.errno not in NOT_RETRIED
    except Exception:
        return False
    return False


def _guarded(name: str, fn):
    """`fn`, with an unforeseen error's message kept out of Prefect's database (`StageFailed`)."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (CohortError, InputError, OSError):
            raise
        except Exception as exc:
            # `from None`: Prefect logs a failed task with its traceback into its database,
            # and a chained cause would carry the original message there. The run log still
            # reads the frames through __context__ (runlog.append_failure).
            raise StageFailed(f"{type(exc).__name__} in {name}") from None
    return run


def _as_task(name: str, fn):
    """A stage as a Prefect task. Nothing is cached or persisted: a stage's inputs and
    results can hold personal data, and Prefect's database and result storage must not."""
    fn = _guarded(name, fn)
    if name in IO_STAGES:
        return task(fn, name=name, retries=2, retry_delay_seconds=[2, 10],
                    retry_condition_fn=_retry_on_os_error, cache_policy=NO_CACHE, persist_result=False)
    return task(fn, name=name, cache_policy=NO_CACHE, persist_result=False)


def _task_mapper(stage: str) -> Mapper:
    """Run each partition that holds work as a Prefect task on the flow's task runner,
    results in order (an empty partition is done in place: `partition.skipping_empty`).

    No caching and no result persistence: the inputs are large frames, hashing or storing
    them would cost more than the work, and a re-run recomputes from the warehouse anyway.
    """
    def mapper(fn, items):
        run = task(_guarded(stage, fn), name=f"{stage}-{fn.__name__.replace('_', '-')}", cache_policy=NO_CACHE,
                   persist_result=False)
        futures = [run.submit(item) for item in items]
        results = []
        for i, future in enumerate(futures, 1):
            results.append(future.result())
            if len(futures) > 1:
                progress.step(stage, f"{fn.__name__.replace('_', ' ')}: {i} of {len(futures)} partitions done")
        return results
    return skipping_empty(mapper)


def run_id_for(checksums: dict[str, str], as_of: date, programme: str, ruleset: RuleSet) -> str:
    """Deterministic run id: the same month's same inputs and rules give the same id,
    wherever the rule-set file lives (an installed package's path differs per virtualenv)."""
    rules = {k: v for k, v in json.loads(ruleset.to_json()).items() if k != "source"}
    h = hashlib.sha256(json.dumps(checksums, sort_keys=True).encode())
    h.update(f"{as_of}|{programme}|{json.dumps(rules, sort_keys=True)}".encode())
    return f"{as_of:%Y-%m}_{h.hexdigest()[:8]}"


def _save_summary(staging: Path, summary: dict[str, Any]) -> None:
    """The run's counts and, under `seconds`, each stage's time: the one place benchmarks
    and operators read timings from. A re-run gives the same file except `seconds`."""
    (staging / "run_summary.json").write_text(
        json.dumps(summary, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
    )


def _name_flow_run(run_id: str) -> None:
    """Name this flow run after the run id, so Prefect's history reads like the run log."""
    from prefect.client.orchestration import get_client
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return
    with get_client(sync_client=True) as client:
        client.update_flow_run(context.flow_run.id, name=run_id)


def _plain_error(exc: BaseException) -> str:
    """What the run log says about a failure: our own messages name file, row and column
    and never carry personal data; for anything else only the kind of error is kept (the
    command line adds where it happened: `runlog.append_failure`)."""
    if isinstance(exc, (InputError, CohortError)):
        return str(exc)
    return f"{type(exc).__name__} (cohort failed unexpectedly)"


@flow(name="cohort-monthly-run", persist_result=False)
def monthly_run(
    input_dir: Path,
    as_of: date,
    db: Path,
    out: Path,
    programme: str = "phase1",
    ruleset_path: Path | None = None,
    partitions: int | None = None,
    allow_empty: tuple[str, ...] = (),
) -> dict[str, Any]:
    """One month, all or nothing, as the warehouse's one writer (`cohort.core.commit`)."""
    with owner_only(), writer(Path(db), "cohort run"):
        return _monthly_run(input_dir, as_of, Path(db), Path(out), programme, ruleset_path, partitions,
                            tuple(allow_empty))


def _monthly_run(input_dir: Path, as_of: date, db: Path, out: Path, programme: str,
                 ruleset_path: Path | None, partitions: int | None, allow_empty: tuple[str, ...]) -> dict[str, Any]:
    started_at = runlog.now()
    ruleset = load_ruleset(ruleset_path)
    checksums = runlog.input_checksums(Path(input_dir))
    run_id = run_id_for(checksums, as_of, programme, ruleset)
    draft = RunSettings(run_id=run_id, input_dir=Path(input_dir), as_of=as_of, programme=programme,
                        ruleset=ruleset, work_db=db, staging=out, partitions=partitions, allow_empty=allow_empty)
    entry = functools.partial(runlog.entry, run_id=run_id, as_of=as_of, programme=programme,
                              started_at=started_at, checksums=checksums, settings_json=draft.to_json())
    try:
        workspace = Workspace.open(db, out, name=f"{as_of.isoformat()}_{run_id}", command="cohort run",
                                   entry=entry(outcome="started", summary={}))
    except BaseException as exc:
        runlog.append_file(db, entry(outcome="failed", summary={}, error=_plain_error(exc)))
        raise
    settings = dataclasses.replace(draft, work_db=workspace.work_db, staging=workspace.staging)
    _name_flow_run(settings.run_id)
    summary: dict[str, Any] = {"run_id": settings.run_id, "as_of": as_of.isoformat(),
                               "programme": programme, "seconds": {}}
    folder = {"attempt": workspace.token, "output_folder": str(workspace.run_dir)}
    try:
        for name, fn in STAGES:
            started = time.perf_counter()
            failpoint(f"stage.{name}")
            progress.started(name)
            if name in PARTITIONED_STAGES:
                result = fn(settings, mapper=_task_mapper(name))
            else:
                result = _as_task(name, fn)(settings)
            summary[name] = result.counts()
            seconds = round(time.perf_counter() - started, 2)
            summary["seconds"][name] = seconds
            progress.done(name, seconds, summary[name])
        _save_summary(settings.staging, summary)
        record = entry(outcome="succeeded", summary=summary) | folder
        with connect(settings.work_db) as con:
            write_run_report(con, settings.staging / REPORT_NAME, summary=summary, as_of=as_of, programme=programme,
                             run_id=settings.run_id, link_threshold=ruleset.matching.link_threshold)
            runlog.append_warehouse(con, record)
        workspace.commit(record)
    except BaseException as exc:
        workspace.abandon()
        if not workspace.committed:  # after the commit point the run stands: `recover` finishes it
            runlog.append_file(db, entry(outcome="failed", summary=summary, error=_plain_error(exc)) | folder)
        raise
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

    The flow reports to PREFECT_API_URL when set, else to the local API of
    `flows.prefect_server` (started once per process, its database under PREFECT_HOME).
    With Dask the workers need this project installed (the same version); their task runs
    report to the same API, which workers on this machine reach; without it each worker
    would start a server of its own and its runs would not show.
    """
    with prefect_api():
        return monthly_flow(dask_address)(**params)
