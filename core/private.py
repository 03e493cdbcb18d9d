"""Personal data on disk is for the owner only: files 600, folders 700, whatever the umask.

Everything cohort writes (outputs, the warehouse and its working copies, the run log, the
lock and the journal) is made while `owner_only()` holds the process umask at 077, so
files made by the libraries we call (DuckDB, openpyxl, polars) are private too. Files
copied from older versions, or made before, are put right with `make_private`.
"""

from __future__ import annotations

import os
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

FILE_MODE = 0o600
DIR_MODE = 0o700


@contextmanager
def owner_only() -> Iterator[None]:
    """Create files owner-only within the block (umask 077), restoring the umask after."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def make_private(path: Path) -> None:
    """chmod a file we wrote to 600 (a folder to 700); a file of someone else is left alone."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return
    os.chmod(path, DIR_MODE if stat.S_ISDIR(info.st_mode) else FILE_MODE)


def private_dir(path: Path) -> Path:
    """Make a folder (and missing parents) owner-only; an existing folder keeps its mode."""
    path = Path(path)
    if not path.is_dir():
        with owner_only():
            path.mkdir(parents=True, exist_ok=True)
    return path


def write_private(path: Path, text: str) -> None:
    """Write a small text file atomically (temp file, fsync, rename), mode 600."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable (no-op where folders cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
