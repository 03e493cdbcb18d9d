"""Prefect's temporary local API: started as early as possible, once per process.

Prefect 3 records every flow run through an API. With no `PREFECT_API_URL` it starts a
temporary server the first time a client needs one (`SubprocessASGIServer`: uvicorn
serving `prefect.server.api.server:create_app` in a child process) and the run waits for
it: on the demo that wait was most of the run (see "Where a small run's time goes" in
benchmarks/README.md). We start the same server ourselves, as the first thing `cohort run`
does, so it boots on another core while this process imports the pipeline and checks its
inputs; and this process never imports Prefect's server package, only the client.

A fresh Prefect database must be migrated (Prefect's alembic migrations: several seconds,
more than the demo's stages). So the first time a Prefect version starts a fresh database
on this machine, a copy of it, migrated and still empty, is kept in the user's cache
(`~/.cache/cohort/prefect-<version>.db`); a new warehouse's Prefect home starts from that
copy, and Prefect finds nothing to migrate.

The server lives as long as the process (as Prefect's own does): Prefect's log and event
workers flush to it at interpreter shutdown, before our `atexit` hook stops it. Its own
log is `<PREFECT_HOME>/server.log`.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from cohort.core import progress

STARTUP_TIMEOUT = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120"))


def _template() -> Path | None:
    """Where this Prefect version's migrated, empty database is kept (None: not ours to
    seed, because the user points Prefect at a database of their own)."""
    if any(os.environ.get(k) for k in ("PREFECT_API_DATABASE_CONNECTION_URL",
                                       "PREFECT_SERVER_DATABASE_CONNECTION_URL")):
        return None
    from importlib.metadata import version

    base = os.environ.get("XDG_CACHE_HOME") or os.environ.get("LOCALAPPDATA") or Path.home() / ".cache"
    return Path(base) / "cohort" / f"prefect-{version('prefect')}.db"


class PrefectStartError(RuntimeError):
    """The local Prefect API did not start; the message points at its log."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalAPI:
    """One temporary Prefect server on 127.0.0.1, its database under PREFECT_HOME."""

    def __init__(self) -> None:
        self.home = Path(os.environ["PREFECT_HOME"])
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.log_path = self.home / "server.log"
        self.started = time.perf_counter()
        self.ready_after: float | None = None
        self._ready = threading.Event()
        self._error: str | None = None
        self.home.mkdir(parents=True, exist_ok=True)
        self._save_template = self._seed()
        self._log = self.log_path.open("w", encoding="utf-8")
        # The command Prefect's own ephemeral mode runs (SubprocessASGIServer).
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "error", "--lifespan", "on"],
            env={**os.environ, "PREFECT_API_URL": "", "PREFECT_UI_ENABLED": "0",
                 "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"},
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
        )
        atexit.register(self.stop)
        threading.Thread(target=self._watch, name="cohort-prefect-start", daemon=True).start()

    def _seed(self) -> Path | None:
        """Start a fresh home from the migrated template; return where to save one if
        there is none yet."""
        database, template = self.home / "prefect.db", _template()
        if template is None or database.exists():
            return None
        if template.exists():
            shutil.copyfile(template, database)
            return None
        return template

    def _keep_template(self, template: Path) -> None:
        """Copy the just-migrated, still empty database (sqlite's backup: a consistent copy
        while the server has it open), for the next fresh home."""
        try:
            template.parent.mkdir(parents=True, exist_ok=True)
            partial = template.with_name(f"{template.name}.{os.getpid()}.partial")
            with sqlite3.connect(self.home / "prefect.db") as source, sqlite3.connect(partial) as copy:
                source.backup(copy)
            copy.close()
            os.replace(partial, template)
        except (OSError, sqlite3.Error):
            pass  # only a speed-up: the next fresh home migrates again

    def _watch(self) -> None:
        deadline = self.started + STARTUP_TIMEOUT
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                self._error = f"it exited with status {self.process.returncode}"
                break
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                    if response.status == 200:
                        if self._save_template:
                            self._keep_template(self._save_template)
                        self.ready_after = time.perf_counter() - self.started
                        break
            except OSError:
                time.sleep(0.05)
        else:
            self._error = f"it did not answer within {STARTUP_TIMEOUT:.0f} s"
        self._ready.set()

    def wait(self) -> str:
        """The API's URL once it answers; `PrefectStartError` if it never will."""
        self._ready.wait()
        if self._error:
            raise PrefectStartError(f"Prefect's local API did not start: {self._error}; its log is {self.log_path}")
        return self.url

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


_local: LocalAPI | None = None


def user_api_url() -> str | None:
    """The Prefect API the user configured (environment, or a profile in their home)."""
    if "prefect" not in sys.modules:
        return os.environ.get("PREFECT_API_URL") or None
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


def start_local_api() -> LocalAPI | None:
    """Start (once per process) the local API, unless the user has a Prefect API of their own."""
    global _local
    if user_api_url():
        return None
    if _local is None or _local.process.poll() is not None:
        progress.started("prefect", "starting Prefect's local API")
        _local = LocalAPI()
    return _local


@contextmanager
def prefect_api() -> Iterator[str]:
    """Flows run inside this report to the user's Prefect API, or to our local one."""
    url = user_api_url()
    if url:
        yield url
        return
    api = start_local_api()
    assert api is not None
    url = api.wait()
    if api.ready_after is not None:
        progress.done("prefect", api.ready_after, text=f"local API ready; run history in {api.home.name}/")
        api.ready_after = None  # report it once
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: url}):
        yield url
