"""What a data officer sees while a command runs.

By default: one line per stage with its counts, then warnings and errors, and nothing
from Prefect or other libraries. On a terminal the stages are a live display (rich: a
spinner on the stage that is running, a tick and its counts when done); piped or
redirected, the same stages come as plain lines. `-v` adds every detail line our own
packages log, and Prefect's; `-q` shows errors only.

The stages report through logging (`cohort.core.progress`), so this module is the only
place that knows how the console looks. Everything goes to standard error; standard
output is left for what a command produces (a family's audit trail, a summary).
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, TextIO

from rich.console import Console as RichConsole
from rich.progress import Progress, ProgressColumn, SpinnerColumn, Task, TextColumn
from rich.table import Column
from rich.text import Text

from cohort.core import progress

QUIET, NORMAL, VERBOSE = -1, 0, 1
# Loggers whose ordinary records are Prefect's or the web stack's business, not the officer's.
LIBRARY_NOISE = ("prefect", "uvicorn", "httpx", "httpcore", "distributed", "asyncio")


def _n(x: Any) -> str:
    return f"{x:,}"


def _statuses(c: dict[str, Any]) -> str:
    by_status = c["families_by_status"]
    listed = [f"{_n(by_status[s])} {s}" for s in ("automatic", "discretionary", "candidate") if by_status.get(s)]
    return ", ".join(listed) + " families" if listed else "no families identified"


def _validated(c: dict[str, Any]) -> str:
    text = f"{_n(sum(c['rows_read'].values()))} rows read, {_n(c['rows_rejected'])} rejected"
    missing = c.get("missing_optional") or []
    empty = c.get("allowed_empty") or []
    return (text + (f"; not supplied: {', '.join(missing)}" if missing else "")
            + (f"; {', '.join(empty)}: no rows this month, accepted with --allow-empty" if empty else ""))


# A stage's counts in a few words; a stage not listed here (or whose counts changed)
# shows its plain counts instead.
STAGE_TEXT: dict[str, Callable[[dict[str, Any]], str]] = {
    "ingest": lambda c: f"{len(c['files'])} extracts read",
    "validate": _validated,
    "records": lambda c: f"{_n(c['records'])} person records",
    "match": lambda c: f"{_n(c['persons'])} persons, {_n(c['candidate_pairs'])} candidate pairs scored",
    "households": lambda c: f"{_n(c['households'])} households",
    "ids": lambda c: f"{_n(c['person_ids_kept'])} person ids kept, {_n(c['person_ids_new'])} new",
    "rules": _statuses,
    "results": lambda c: (f"{_n(c['results'])} results, £{c['payable_gbp']:,.0f} payable"
                          if "payable_gbp" in c else f"{_n(c['results'])} results"),
    "export": lambda c: (f"{len(c['files'])} files written, "
                         f"{_n(c['review_person_questions'] + c['review_household_questions'])} matches to review"),
}


def stage_text(event: progress.Event) -> str:
    if event.text:
        return event.text
    try:
        return STAGE_TEXT[event.stage](event.counts)
    except (KeyError, TypeError, AttributeError):
        return progress.brief(event.counts)


class _Seconds(ProgressColumn):
    """How long a stage took (or has taken so far), in seconds."""

    def render(self, task: Task) -> Text:
        seconds = task.fields.get("seconds")
        if seconds is None:
            seconds = task.elapsed or 0.0
        return Text(f"{seconds:6.1f} s", style="dim")


class Console:
    """The stage display and the filter deciding which log records the officer sees."""

    def __init__(self, verbosity: int = NORMAL, stream: TextIO | None = None,
                 force_terminal: bool | None = None) -> None:
        self.verbosity = verbosity
        # With no stream, rich looks up sys.stderr at each write (so pytest's capture sees it).
        self.out = RichConsole(file=stream, stderr=stream is None, force_terminal=force_terminal,
                               highlight=False, soft_wrap=True)
        self.live = self.out.is_terminal and not self.out.is_dumb_terminal and verbosity > QUIET
        self.started = time.perf_counter()
        self._progress: Progress | None = None
        self._rows: dict[str, Any] = {}

    def say(self, text: str) -> None:
        """An ordinary line (not shown with -q)."""
        if self.verbosity >= NORMAL:
            self._print(text)

    def _print(self, text: str, style: str | None = None) -> None:
        target = self._progress.console if self._progress else self.out
        target.print(Text(text, style=style or ""))

    def event(self, event: progress.Event) -> None:
        if self.verbosity < NORMAL:
            return
        if not self.live:
            if event.kind == "done":
                self._print(f"  {event.stage:<11} {stage_text(event):<62} {event.seconds:6.1f} s")
            return
        if self._progress is None:
            self._progress = Progress(
                SpinnerColumn(finished_text="[green]✓", table_column=Column(width=1)),
                TextColumn("{task.fields[stage]}", table_column=Column(width=11, no_wrap=True)),
                TextColumn("{task.description}", table_column=Column(ratio=1, no_wrap=True, overflow="ellipsis")),
                _Seconds(table_column=Column(width=8, justify="right")),
                console=self.out, expand=True)
            self._progress.start()
        row = self._rows.get(event.stage)
        if row is None:
            row = self._rows[event.stage] = self._progress.add_task(event.text or "…", total=1, stage=event.stage,
                                                                    seconds=None)
        if event.kind == "done":
            self._progress.update(row, description=stage_text(event), completed=1, seconds=event.seconds)
        else:
            self._progress.update(row, description=event.text or "…")

    def record(self, record: logging.LogRecord) -> None:
        """Show a log record if this verbosity wants it: detail with -v, else warnings up."""
        library = record.name.split(".")[0] in LIBRARY_NOISE
        if self.verbosity >= VERBOSE:
            wanted = record.levelno >= (logging.INFO if library or record.name.startswith("cohort") else logging.WARNING)
        elif library:
            wanted = record.levelno >= logging.CRITICAL  # their failure report would bury ours
        else:
            wanted = record.levelno >= (logging.ERROR if self.verbosity <= QUIET else logging.WARNING)
        if not wanted:
            return
        message = record.getMessage()
        if record.exc_info and self.verbosity >= VERBOSE:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
        if self.verbosity >= VERBOSE:
            name = record.name.removeprefix("cohort.")
            self._print(f"{time.strftime('%H:%M:%S', time.localtime(record.created))} {name}: {message}", style="dim"
                        if record.levelno < logging.WARNING else None)
        else:
            self._print(f"{record.levelname.lower()}: {message}", style="yellow" if record.levelno < logging.ERROR else "red")

    def finish(self) -> None:
        """Stop the live display, leaving its last state on screen."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._rows = {}


class ConsoleHandler(logging.Handler):
    def __init__(self, console: Console) -> None:
        super().__init__(logging.NOTSET)
        self.console = console
        # A handler with a formatter is one Prefect's logging set-up leaves in place.
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            event = progress.of(record)
            if event is not None:
                self.console.event(event)
            else:
                self.console.record(record)
        except Exception:  # the console must never break a run
            self.handleError(record)

    def close(self) -> None:
        self.console.finish()
        super().close()


def setup(verbosity: int, stream: TextIO | None = None, force_terminal: bool | None = None) -> Console:
    """Route logging to the console at this verbosity (replacing an earlier console or
    Prefect's own console handler, so each record is shown once)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, ConsoleHandler) or type(handler).__name__ == "PrefectConsoleHandler":
            if isinstance(handler, ConsoleHandler):
                handler.console.finish()
            root.removeHandler(handler)
    console = Console(verbosity, stream, force_terminal)
    root.addHandler(ConsoleHandler(console))
    root.setLevel(logging.WARNING)
    logging.getLogger("cohort").setLevel(logging.INFO)
    return console
