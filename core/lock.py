"""One writer per warehouse: the lock file beside it.

Every command that changes the warehouse (`run`, `schedule`'s monthly runs, `claims
submit` and `withdraw`, `review import`) holds `<warehouse>.lock` while it works:

    with writer_lock(db, "cohort claims submit"):
        ...

The file says who holds it (process id, user, command, start time, host), so a refusal
can say who to wait for. It is held with an OS lock (`flock`), which the kernel drops when
the process ends however it ends, so a lock whose process is gone (killed, machine
restarted) is found stale, cleared with a message, and taken. Readers (`explain`, `review
export`) never take it: they read a snapshot (`cohort.core.warehouse.snapshot`).
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import socket
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator

from cohort.core.errors import WarehouseBusy
from cohort.core.private import FILE_MODE

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt

log = logging.getLogger("cohort")


@dataclass(frozen=True)
class Holder:
    pid: int
    user: str
    command: str
    started_at: str
    host: str

    def describe(self) -> str:
        return (f"`{self.command}` (process {self.pid} on {self.host}, user {self.user}, "
                f"started {self.started_at})")


def lock_path(db: Path) -> Path:
    db = Path(db)
    return db.with_name(db.name + ".lock")


def _try_lock(fd: int) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


def _read_holder(fd: int) -> Holder | None:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 4096).decode("utf-8", "replace").strip()
    try:
        return Holder(**json.loads(text)) if text else None
    except (ValueError, TypeError):
        return None


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def acquire(db: Path, command: str) -> int:
    """Take the warehouse's lock and return its open file; raise WarehouseBusy if held."""
    path = lock_path(db)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        if not _try_lock(fd):
            holder = _read_holder(fd)
            os.close(fd)
            who = holder.describe() if holder else "another cohort command"
            raise WarehouseBusy(
                f"the warehouse {Path(db).name} is being changed by {who}; nothing was done: "
                f"run this again when it has finished (its lock is {path})")
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:  # not a lock file its last holder unlinked while we waited for it
            break
        os.close(fd)
    stale = _read_holder(fd)
    if stale is not None:
        log.warning("cleared a stale lock on %s left by %s, which is no longer running",
                    Path(db).name, stale.describe())
    me = Holder(pid=os.getpid(), user=_user(), command=command,
                started_at=datetime.now().isoformat(timespec="seconds"), host=socket.gethostname())
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, json.dumps(me.__dict__).encode("utf-8"))
    os.fsync(fd)
    return fd


def release(db: Path, fd: int) -> None:
    """Empty and remove the lock file, then let go of it (an empty file is never stale)."""
    os.ftruncate(fd, 0)
    try:
        os.unlink(lock_path(db))
    except FileNotFoundError:
        pass
    os.close(fd)


@contextmanager
def writer_lock(db: Path, command: str) -> Iterator[None]:
    """Hold the warehouse's writer lock for the block (see the module docstring)."""
    fd = acquire(db, command)
    try:
        yield
    finally:
        release(db, fd)
