"""What every benchmark prints first: the machine, so figures are read in context."""

from __future__ import annotations

import os
import platform
import subprocess
import sys


def machine() -> str:
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=False).stdout.strip()
    except OSError:
        commit = "?"
    return (f"machine: {os.cpu_count()} cores ({cpu}), {mem_gib:.0f} GiB RAM, "
            f"Python {sys.version.split()[0]}, {platform.system()} {platform.release()}, commit {commit}")
