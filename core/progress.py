"""Progress of a run, reported through logging so that any floor can report it and the
command line (`cohort/console.py`) alone decides how to show it.

Each event is an ordinary INFO record of the `cohort.progress` logger, so it also reads
well in a plain log (and in Prefect's run log); the structured `Event` rides on the record
as `record.cohort_progress`. Counts only: never names, dates of birth or addresses.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

LOGGER = logging.getLogger("cohort.progress")

Kind = Literal["started", "step", "done"]


@dataclass(frozen=True)
class Event:
    kind: Kind
    stage: str
    text: str = ""
    counts: dict[str, Any] = field(default_factory=dict)
    seconds: float | None = None


def of(record: logging.LogRecord) -> Event | None:
    """The progress event a log record carries, if any."""
    return getattr(record, "cohort_progress", None)


def brief(counts: dict[str, Any]) -> str:
    """A stage's plain counts (no nested detail) for a log line."""
    flat = {k: v for k, v in counts.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    return ", ".join(f"{k} {v}" for k, v in flat.items())


def started(stage: str, text: str = "") -> None:
    LOGGER.info("%s: started%s", stage, f" ({text})" if text else "",
                extra={"cohort_progress": Event("started", stage, text)})


def step(stage: str, text: str) -> None:
    """Part of a stage done, e.g. "2 of 5 partitions compared"."""
    LOGGER.info("%s: %s", stage, text, extra={"cohort_progress": Event("step", stage, text)})


def done(stage: str, seconds: float, counts: dict[str, Any] | None = None, text: str = "") -> None:
    counts = counts or {}
    detail = text or brief(counts)
    LOGGER.info("%s: done in %.1fs%s", stage, seconds, f" ({detail})" if detail else "",
                extra={"cohort_progress": Event("done", stage, text, counts, seconds)})
    for warning in counts.get("warnings") or []:  # a stage's own plain-sentence warnings
        LOGGER.warning("%s: %s", stage, warning)
