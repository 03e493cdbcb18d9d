"""Failures a person can act on: the command line prints their message as one plain
sentence and exits with status 2.

Every other exception is a fault of ours: the command line says "cohort failed
unexpectedly" (exit status 1) and writes the technical detail, without personal data, to
the run log (`cohort.core.runlog.append_failure`).
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path


class CohortError(Exception):
    """A known failure; the message names the file and says what to do."""


class WarehouseError(CohortError):
    """The warehouse cannot be used: not a warehouse, damaged, of an unknown schema, or
    open in another program."""


class WarehouseBusy(CohortError):
    """Another cohort command is writing to the warehouse."""


class StageFailed(Exception):
    """An unforeseen error inside a Prefect task, renamed so that Prefect's database keeps
    only its kind and stage: a library's message can quote the row it failed on. The
    original is its `__cause__`, for the run log."""


class OutputError(CohortError):
    """A folder cohort must write to cannot be used (not a folder, read-only, full)."""


def os_error_sentence(exc: OSError, place: Path | str | None = None) -> str:
    """What an OSError means for a data officer, naming the file or folder."""
    where = place or exc.filename or "a file cohort writes"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"there is no space left on the disk holding {where}; free some space and run again"
    if exc.errno == errno.EROFS:
        return f"{where} is on a read-only disk; choose a folder on a disk you can write to"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"cohort may not write to {where}; choose a folder you may write to, or ask for permission"
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return f"{where} is a file where a folder is needed; give the path of a folder"
    if exc.errno == errno.EISDIR:
        return f"{where} is a folder where a file is needed; give the path of a file"
    if exc.errno == errno.ENOENT:
        return f"{where} does not exist; check the path"
    return f"cohort could not use {where} ({os.strerror(exc.errno) if exc.errno else type(exc).__name__})"


# Refusals by the operating system that a person can act on (anything else is a bug).
KNOWN_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR,
                errno.EISDIR, errno.EEXIST}


def known_failure(exc: BaseException, plain: tuple[type[BaseException], ...] = ()) -> str | None:
    """The sentence for a failure a person can act on, or None for one that is our fault.

    `plain` adds the exception types (of higher floors) whose message is already such a
    sentence. Operating-system refusals (full disk, read-only, no permission) are known
    wherever they come from, DuckDB's included."""
    if isinstance(exc, (CohortError, *plain)):
        return str(exc)
    if isinstance(exc, OSError) and exc.errno in KNOWN_ERRNOS:
        return os_error_sentence(exc)
    text = str(exc)
    for code, phrase in ((errno.ENOSPC, "No space left on device"), (errno.EROFS, "Read-only file system"),
                         (errno.EACCES, "Permission denied")):
        if phrase in text:
            quoted = re.search(r'"(/[^"]+)"', text)
            place = Path(quoted.group(1)).parent if quoted else None
            return os_error_sentence(OSError(code, os.strerror(code)), place)
    return None
