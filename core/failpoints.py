"""Failure points: named places in the commit path where a test can stop the process.

Tests set `COHORT_FAILPOINTS` (comma-separated `name=action`) in a process they start:

- `kill`: the process kills itself with SIGKILL (what `kill -9` or a power cut does);
- `enospc`: raise the OSError a full disk gives;
- `pause:PATH`: create `PATH.reached`, then wait until `PATH.go` exists (two commands
  interleaved deterministically, with no sleeps deciding the order).

Without the variable every failure point is a no-op; nothing else reads it.
"""

from __future__ import annotations

import errno
import os
import signal
import time
from pathlib import Path

VARIABLE = "COHORT_FAILPOINTS"


def _actions() -> dict[str, str]:
    spec = os.environ.get(VARIABLE, "")
    pairs = (item.split("=", 1) for item in spec.split(",") if "=" in item)
    return {name.strip(): action.strip() for name, action in pairs}


def failpoint(name: str) -> None:
    """Act on the failure point `name` if a test asked for it."""
    action = _actions().get(name)
    if not action:
        return
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "enospc":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), name)
    elif action.startswith("pause:"):
        base = Path(action.removeprefix("pause:"))
        Path(f"{base}.reached").write_text(str(os.getpid()))
        go = Path(f"{base}.go")
        while not go.exists():
            time.sleep(0.02)
    else:
        raise ValueError(f"unknown failpoint action {action!r} for {name}")
