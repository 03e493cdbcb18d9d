"""All or nothing, even under kill -9: how a writer's work reaches the warehouse and `--out`.

A writer never changes the warehouse file in place. It works on a copy beside it
(`.<db>.run-<token>`) and, for a run, writes its outputs into a folder of their own,
`--out/runs/.partial-<token>`. The commit then goes, each step one atomic rename:

1. the journal `<db>.journal` says "committing", with every path and the run log record;
2. the partial folder becomes the run's folder, `--out/runs/<as-of>_<run id>`;
3. the copy replaces the warehouse (the commit point);
4. each output is copied to the top of `--out` (temp file, rename), replacing only the
   names this run writes, so another window's claim workbook stays;
5. the run log gets its record, and the journal is removed.

The journal is written first of all ("working"), before the copy is made, so whatever a
killed writer leaves is named in it. The next writer (`recover`, under the lock) reads it:
before step 3 it rolls back (removes the copy and the partial or unpublished run folder);
after step 3 it rolls forward (finishes steps 4 and 5). Nothing a previous run wrote is
deleted: earlier runs keep their folders, and outputs a version without run folders left
at the top of `--out` are first copied into `runs/`.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator

import duckdb

from cohort.core import runlog
from cohort.core.errors import OutputError, os_error_sentence
from cohort.core.failpoints import failpoint
from cohort.core.lock import writer_lock
from cohort.core.integrity import check_warehouse, copy_warehouse, probe, snapshot_folders, wal_of
from cohort.core.migrations import SCHEMA_VERSION, upgrade
from cohort.core.places import copy_private, make_folder, remove, room_for
from cohort.core.private import fsync_dir, write_private
from cohort.core.warehouse import connect

log = logging.getLogger("cohort")
RUNS = "runs"


def journal_path(db: Path) -> Path:
    return Path(db).with_name(Path(db).name + ".journal")


@dataclass
class Workspace:
    """Where one writer works before it commits (see the module docstring)."""

    db: Path
    work_db: Path
    token: str
    command: str
    out: Path | None = None  # a run's output folder (None for claims and review writers)
    staging: Path | None = None  # --out/runs/.partial-<token>
    run_dir: Path | None = None  # --out/runs/<name>, the run's folder once committed
    state: str = "working"
    record: dict[str, Any] | None = None  # the run log entry, appended when done
    files: list[str] | None = None  # outputs, relative to run_dir, to place at the top of out
    committed: bool = False
    pid: int | None = None  # the writer's process
    made: list[str] | None = None  # folders this writer made (removed again if it is undone)

    @classmethod
    def open(cls, db: Path, out: Path | None = None, *, name: str | None = None,
             command: str = "cohort run", entry: dict[str, Any] | None = None) -> "Workspace":
        """Journal, copy the warehouse (upgrading the copy's schema) and make the partial
        folder. The caller holds the writer lock and has called `recover`. `entry` is the
        run log record to write as failed if the writer is killed before it commits."""
        db = Path(db).resolve()
        version = check_warehouse(db) if db.exists() else None
        make_folder(db.parent, "the warehouse's folder")
        token = uuid.uuid4().hex[:12]
        ws = cls(db=db, work_db=db.with_name(f".{db.name}.run-{token}"), token=token, command=command,
                 pid=os.getpid(), record=entry)
        if out is not None:
            ws.out = Path(out).resolve()
            ws.made = [str(p) for p in (ws.out / RUNS, ws.out) if not p.exists()]
            runs = make_folder(ws.out / RUNS, "the output folder")
            ws.staging = runs / f".partial-{token}"
            ws.run_dir = _free_name(runs, name or token)
        ws._save()
        try:
            failpoint("open.journal")
            if db.exists():
                copy_warehouse(db, ws.work_db)
            else:  # a new warehouse starts at the current schema
                with connect(ws.work_db) as con:
                    upgrade(con, runlog.code_version())
            failpoint("open.copied")
            if version is not None:
                ws._upgrade(version)
            if ws.staging is not None:
                make_folder(ws.staging, "the output folder")
            _sweep_legacy_staging(ws.out)
        except BaseException:
            ws.abandon()
            raise
        return ws

    def _upgrade(self, version: int) -> None:
        """Bring the copy to the current schema, after keeping a backup of the original."""
        if version >= SCHEMA_VERSION:
            return
        backup = self.db.with_name(f"{self.db.name}.schema-{version}.backup")
        if not backup.exists():
            tmp = self.db.with_name(f".{self.db.name}.run-{self.token}.backup")
            copy_warehouse(self.db, tmp)
            os.replace(tmp, backup)
        with connect(self.work_db) as con:
            upgrade(con, runlog.code_version())
        log.warning("upgrading %s from schema %d to %d; the original is kept as %s",
                    self.db.name, version, SCHEMA_VERSION, backup.name)

    def _save(self) -> None:
        data = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self).items()}
        data["saved_at"] = runlog.now().isoformat()
        write_private(journal_path(self.db), json.dumps(data, indent=1, default=str) + "\n")

    def commit(self, record: dict[str, Any] | None = None) -> None:
        """Put the work in place (steps 1-5 of the module docstring)."""
        failpoint("commit.start")
        if wal_of(self.work_db).exists():  # a cleanly closed DuckDB has no WAL
            raise RuntimeError("the warehouse copy was not closed cleanly; not committing")
        if self.staging is not None:
            self.files = sorted(str(p.relative_to(self.staging)) for p in self.staging.rglob("*") if p.is_file())
            room_for(self.out, sum((self.staging / f).stat().st_size for f in self.files))
            _keep_legacy_outputs(self.out, self.files, self.token)
        self.record, self.state = record or self.record, "committing"
        self._save()
        failpoint("commit.journal")
        if self.staging is not None:
            os.replace(self.staging, self.run_dir)
            fsync_dir(self.run_dir.parent)
        failpoint("commit.run_folder")
        if self.db.exists():
            probe(self.db)  # refuses a warehouse another program opened meanwhile
        os.replace(self.work_db, self.db)
        fsync_dir(self.db.parent)
        self.committed = True
        failpoint("commit.warehouse")
        try:
            self.finish()
        except OSError as exc:
            err = OutputError(
                f"the run is saved in the warehouse and its outputs are complete in {self.run_dir}, but "
                f"they could not all be copied to the top of {self.out}: {os_error_sentence(exc)}; the next "
                "cohort command on this warehouse finishes the copying")
            err.changed = True
            raise err from exc

    def finish(self) -> None:
        """Steps 4 and 5: place the outputs, log the run, drop the journal (idempotent)."""
        for rel in self.files or []:
            target = self.out / rel
            make_folder(target.parent, "the output folder")
            tmp = target.with_name(f".{target.name}.tmp-{self.token}")
            copy_private(self.run_dir / rel, tmp)
            os.replace(tmp, target)
            failpoint(f"commit.publish.{rel}")
        if self.out is not None:
            fsync_dir(self.out)
        if self.record is not None and not runlog.has_attempt(self.db, self.token):
            runlog.append_file(self.db, self.record)
        failpoint("commit.logged")
        remove(journal_path(self.db))
        failpoint("commit.done")

    def abandon(self) -> None:
        """Undo an uncommitted writer: remove its copy and its partial or unplaced folder.
        After the commit point nothing is undone; the journal stays for `recover`."""
        if self.committed:
            return
        for path in (self.work_db, wal_of(self.work_db), self.staging,
                     self.run_dir if self.state == "committing" else None):
            if path is not None:
                remove(path)
        if self.out is not None:
            for partial in (self.out / RUNS).glob(f".partial-{self.token}*"):
                remove(partial)
        for folder in self.made or []:
            try:
                os.rmdir(folder)  # only if still empty
            except OSError:
                pass
        remove(journal_path(self.db))

    @classmethod
    def load(cls, db: Path) -> "Workspace | None":
        path = journal_path(db)
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for key in ("db", "work_db", "out", "staging", "run_dir"):
            if fields.get(key):
                fields[key] = Path(fields[key])
        return cls(**fields)


def _free_name(runs: Path, name: str) -> Path:
    """`runs/<name>`, or `<name>-2`, `-3`... when the same run was made before."""
    candidate, n = runs / name, 1
    while candidate.exists():
        n += 1
        candidate = runs / f"{name}-{n}"
    return candidate


def _keep_legacy_outputs(out: Path, files: list[str], token: str) -> None:
    """Outputs at the top of `--out` that no run folder holds (written by a version of
    cohort without run folders) are copied into `runs/` before they are replaced."""
    runs = out / RUNS
    if any(p.name != f".partial-{token}" for p in runs.iterdir()):
        return  # a run folder exists: the top of --out is a copy of one
    old = [f for f in files if (out / f).is_file()]
    if not old:
        return
    name = "earlier"
    try:
        summary = json.loads((out / "run_summary.json").read_text(encoding="utf-8"))
        name = f"{summary['as_of']}_{summary['run_id']}"
    except (OSError, ValueError, KeyError):
        pass
    partial = runs / f".partial-{token}-earlier"
    for rel in old:
        make_folder((partial / rel).parent, "the output folder")
        copy_private(out / rel, partial / rel)
    os.replace(partial, _free_name(runs, name))
    log.warning("kept the outputs an earlier version of cohort left at the top of %s in %s", out, runs / name)


def _sweep_legacy_staging(out: Path | None) -> None:
    """Staging folders an earlier version of cohort left beside `--out` when killed."""
    if out is None:
        return
    for left in sorted(out.parent.glob(f".{out.name}.run-*")):
        remove(left)
        log.warning("removed %s, left by a run that was stopped (outputs it had not yet placed)", left)


def recover(db: Path) -> list[str]:
    """Finish or undo what a stopped writer left; return a message for each thing done.

    Called under the writer lock, so whatever it finds belongs to a writer that is gone.
    """
    db = Path(db).resolve()
    messages = []
    ws = Workspace.load(db)
    if ws is not None:
        started = f"`{ws.command}` (process {ws.pid}, attempt {ws.token})"
        if ws.state == "committing" and not ws.work_db.exists():
            ws.committed = True
            ws.finish()
            messages.append(f"{started} was stopped after it had saved the warehouse; its outputs "
                            f"have now been put in place from {ws.run_dir}")
        else:
            ws.abandon()
            if ws.record is not None and not runlog.has_attempt(db, ws.token):
                failed = dict(ws.record, outcome="failed", attempt=ws.token,
                              error="stopped before it finished (killed, or the machine stopped); "
                                    "rolled back at the next start")
                runlog.append_file(db, failed)
            messages.append(f"{started} was stopped before it finished; its working copy and "
                            "unfinished outputs were removed, and the warehouse and outputs are as it found them")
    for left in sorted(db.parent.glob(f".{db.name}.run-*")):
        remove(left)
        messages.append(f"removed {left.name}, a working copy left by a cohort command that was stopped")
    for folder in snapshot_folders(db):
        pid = folder.name.removeprefix(f".{db.name}.snapshot-").split("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            remove(folder)
    for message in messages:
        log.warning("%s", message)
    return messages


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


@contextmanager
def writer(db: Path, command: str) -> Iterator[list[str]]:
    """Check the warehouse, take its writer lock, and finish or undo what a stopped writer
    left (the messages say which); the lock is held for the block."""
    db = Path(db).resolve()
    if db.exists() or db.is_symlink():
        check_warehouse(db)
    make_folder(db.parent, "the warehouse's folder")
    with writer_lock(db, command):
        yield recover(db)


@contextmanager
def update_warehouse(db: Path, command: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """Change an existing warehouse all or nothing, as the one writer:

        with update_warehouse(db, "cohort claims submit") as con:
            ...  # refuse by raising: nothing is changed

    The block works on a copy; when it ends without an exception the copy replaces the
    warehouse in one rename (an older schema is upgraded in the copy, after a backup).
    """
    with writer(db, command):
        ws = Workspace.open(db, command=command)
        try:
            failpoint("update.ready")
            with connect(ws.work_db) as con:
                yield con
            ws.commit()
        except BaseException:
            ws.abandon()
            raise
