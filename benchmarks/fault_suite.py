"""Issue 13's fault-and-bad-input suite as a table: cases tried, held, failed, by group.

    .venv/bin/python benchmarks/fault_suite.py

Runs the fault tests (tests/test_commit_kill.py, test_concurrency.py,
test_fault_sentences.py) with pytest and counts each test case under the issue's group.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = ["tests/test_commit_kill.py", "tests/test_concurrency.py", "tests/test_fault_sentences.py"]
GROUPS = [  # (group, words in the test name), first match wins
    ("Losing work", ("kill", "two_runs", "claims_submit", "review_import", "lock_held", "open_in_another",
                     "read_only_out", "out_names_an_existing", "world_readable")),
    ("Silently wrong", ("ragged", "impossible", "empty_required", "empty_optional")),
    ("Tracebacks instead of sentences", ("parent_folder", "full_disk", "really_full", "cannot_be_used",
                                         "folder_given", "older_warehouse", "newer_warehouse", "generate",
                                         "closed_pipe", "unexpected_failure")),
    ("Personal data", ("csv_parse", "formulas", "owner_only")),
]


def group_of(name: str) -> str:
    return next((g for g, words in GROUPS if any(w in name for w in words)), "other")


def main() -> int:
    report = Path(tempfile.mkdtemp()) / "faults.xml"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", *FILES],
                   cwd=ROOT, check=False)
    tried, failed = Counter(), Counter()
    for case in ET.parse(report).getroot().iter("testcase"):
        group = group_of(case.get("name", ""))
        tried[group] += 1
        if case.find("failure") is not None or case.find("error") is not None:
            failed[group] += 1
    print("| group | cases tried | held | failed |\n|---|---|---|---|")
    for group in [g for g, _ in GROUPS] + ["other"]:
        if tried[group]:
            print(f"| {group} | {tried[group]} | {tried[group] - failed[group]} | {failed[group]} |")
    total, bad = sum(tried.values()), sum(failed.values())
    print(f"| all | {total} | {total - bad} | {bad} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
