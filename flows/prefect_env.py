"""Keep Prefect local and offline, with its history beside the warehouse, before it is imported.

Prefect reads its settings when it is imported, so this runs first. Analytics are off.
`PREFECT_HOME` (Prefect's database of flow runs, task runs, logs and artifacts) is
`<warehouse>.prefect/` beside the warehouse the run writes, so the run history lasts as
long as the warehouse and `prefect flow-run ls` or `prefect server start` with that home
shows every past run. A `PREFECT_HOME` or `PREFECT_API_URL` the user set wins; with
neither and no warehouse (library use, tests) the home is a folder in the temp directory.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Whether the user chose a home before we set one (read once, at import).
USER_HOME = os.environ.get("PREFECT_HOME")


def home_for(db: Path) -> Path:
    """Prefect's home for the warehouse `db`: `<db>.prefect/` beside it."""
    db = Path(db).absolute()
    return db.with_name(db.name + ".prefect")


def configure(db: Path | None = None) -> None:
    """Set Prefect's environment; call before `import prefect`. With `db`, the home is
    beside that warehouse unless the user chose one."""
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    if db is not None and not USER_HOME:
        os.environ["PREFECT_HOME"] = str(home_for(db))
    os.environ.setdefault("PREFECT_HOME", str(Path(tempfile.gettempdir()) / "cohort-prefect"))
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    # Prefect's own records reach its run history at INFO; the console (cohort/console.py)
    # shows them only with -v, so a failure's traceback never buries our one-line message.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    # Our progress lines (counts only, no personal data) go into each flow run's log too.
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "cohort")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    os.environ.setdefault("PREFECT_UI_ENABLED", "false")
