"""Keep Prefect local and offline before it is imported.

Prefect reads its settings at import time, so this runs first: analytics off, and
PREFECT_HOME in a temp folder unless the user chose one, so that a run needs no network
and no pre-started server (Prefect starts a temporary local server in-process).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def configure() -> None:
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ.setdefault("PREFECT_HOME", str(Path(tempfile.gettempdir()) / "cohort-prefect"))
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "CRITICAL")
    os.environ.setdefault("PREFECT_UI_ENABLED", "false")
