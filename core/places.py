"""Folders and files cohort writes, with the operating system's refusals as sentences.

A folder that cannot be made or written (read-only disk, no permission, a file where a
folder should be) or a disk without room becomes an OutputError naming the place and
what to do, raised before anything is committed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from cohort.core.errors import OutputError, os_error_sentence
from cohort.core.private import make_private, owner_only

MARGIN_BYTES = 1 << 20


def make_folder(path: Path, what: str) -> Path:
    """Make `path` (and missing parents) owner-only, or say in a sentence why it cannot be."""
    path = Path(path)
    for folder in (path, *path.parents):
        if folder.exists():
            if not folder.is_dir():
                raise OutputError(f"{folder} is a file, not a folder; give {what} as the path of a folder")
            break
    try:
        with owner_only():
            path.mkdir(parents=True, exist_ok=True)
        probe = path / f".cohort-write-test-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise OutputError(os_error_sentence(exc, path)) from None
    return path


def room_for(folder: Path, size: int) -> None:
    """Refuse, before the commit, when the disk holding `folder` cannot take `size` bytes."""
    free = shutil.disk_usage(folder).free
    if free < size + MARGIN_BYTES:
        raise OutputError(f"there is no space left on the disk holding {folder} for this run's outputs "
                          f"({size // 1024} KiB needed, {free // 1024} KiB free); free some space and run again")


def copy_private(source: Path, target: Path) -> None:
    """Copy a file's bytes (not its mode) and make the copy owner-only."""
    with owner_only():
        shutil.copyfile(source, target)
    make_private(target)


def remove(path: Path) -> None:
    """Remove a file or folder if it is there."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
