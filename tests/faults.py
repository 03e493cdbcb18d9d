"""Helpers shared by the fault tests: real runs, states compared byte for byte, and
processes stopped at a failure point (`cohort.core.failpoints`)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import duckdb

from cohort.cli import main
from cohort.reports.run_report import without_timings

MONTH1, MONTH2 = "2014-03-31", "2014-06-30"


def run(drop: Path, db: Path, out: Path, as_of: str = MONTH1, *extra: str) -> int:
    return main(["run", "--input", str(drop), "--as-of", as_of, "--db", str(db), "--out", str(out), *extra])


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def top_files(out: Path) -> dict[str, str]:
    """The files standing at the top of --out (not the run folders), by relative path."""
    return {str(p.relative_to(out)): digest(p) for p in sorted(out.rglob("*"))
            if p.is_file() and p.relative_to(out).parts[0] != "runs"}


def stable_files(out: Path) -> dict[str, str]:
    """`top_files`, with what legitimately differs between two runs of the same month left
    out: the stage timings in run_summary.json and report.html."""
    files = top_files(out)
    if "run_summary.json" in files:
        summary = json.loads((out / "run_summary.json").read_text())
        summary.pop("seconds", None)
        files["run_summary.json"] = hashlib.sha256(json.dumps(summary, sort_keys=True).encode()).hexdigest()
    if "report.html" in files:
        page = without_timings((out / "report.html").read_text(encoding="utf-8"))
        files["report.html"] = hashlib.sha256(page.encode()).hexdigest()
    return files


def tree(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): digest(p) for p in sorted(out.rglob("*")) if p.is_file()}


def latest_run(db: Path) -> str | None:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("select run_id, as_of from runs order by finished_at desc, as_of desc limit 1").fetchall()
    finally:
        con.close()
    return rows[0][0] if rows else None


def leftovers(db: Path, out: Path | None = None) -> list[str]:
    """Anything a writer leaves only while it works: copies, journal, lock, partial folders."""
    found = [p.name for p in db.parent.iterdir()
             if p.name.startswith(f".{db.name}.") or p.name in (f"{db.name}.journal", f"{db.name}.lock")]
    if out is not None and (out / "runs").exists():
        found += [p.name for p in (out / "runs").iterdir() if p.name.startswith(".")]
        found += [p.name for p in out.rglob(".*.tmp-*")]
    return sorted(found)


def runlog(db: Path) -> list[dict]:
    path = db.with_name(db.name + ".runlog.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def subprocess_env(failpoints: str = "", prefect_home: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "COHORT_FAILPOINTS": failpoints}
    if prefect_home is not None:
        env["PREFECT_HOME"] = str(prefect_home)
    return env


def python(code: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `code` in a new process group, output to files; when it ends (or is killed), end
    what it started too: a killed run's Prefect server would otherwise live on."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=out, stderr=err,
                                start_new_session=True)
        try:
            rc = proc.wait(timeout)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(proc.args, rc, out.read(), err.read())


class Paused:
    """A command run in a thread of this process until it reaches a `pause` failure point;
    `resume()` lets it finish. The order of two commands is then fixed by the test."""

    def __init__(self, point: str, base: Path, argv: list[str], monkeypatch):
        self.base, self.argv = base, argv
        monkeypatch.setenv("COHORT_FAILPOINTS", f"{point}=pause:{base}")
        self.rc: int | None = None
        self.thread = threading.Thread(target=self._go, daemon=True)

    def _go(self) -> None:
        self.rc = main(self.argv)

    def __enter__(self) -> "Paused":
        self.thread.start()
        reached = Path(f"{self.base}.reached")
        while not reached.exists():
            if not self.thread.is_alive():
                raise AssertionError(f"{self.argv[:2]} ended (rc {self.rc}) before its pause point")
            self.thread.join(0.05)
        return self

    def resume(self) -> int:
        Path(f"{self.base}.go").touch()
        self.thread.join(600)
        assert not self.thread.is_alive()
        return self.rc

    def __exit__(self, *exc) -> None:
        if self.thread.is_alive():
            self.resume()


def copy_state(db: Path, out: Path, to: Path) -> tuple[Path, Path]:
    to.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(db, to / db.name)
    shutil.copytree(out, to / "out")
    return to / db.name, to / "out"
