"""The one error a monthly run stops for: input that cannot be processed at all.

Problems with single rows never raise; they go to `rejected_rows`. An `InputError`
carries every file-level problem found, so a data officer fixes the drop in one pass
instead of rerunning once per mistake.
"""

from __future__ import annotations


class InputError(Exception):
    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        if len(self.problems) == 1:
            message = f"The input cannot be processed: {self.problems[0]}"
        else:
            message = "The input cannot be processed:\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(message)
