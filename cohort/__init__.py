"""cohort: the monthly Troubled Families identification and payment-by-results run.

Installed, everything lives under this one namespace; in a checkout each sub-package
keeps its own top-level folder (setuptools `package-dir` in pyproject.toml):

    cohort.core        core/          warehouse, SQL runner, rule set, reference data, run log
    cohort.schemas     schemas/       one pandera schema per extract; reading a drop
    cohort.matching    matching/      standardise → block → compare → score → cluster; households
    cohort.programme   programme/     the programme rules and results (SQL in sql/), claims, explain
    cohort.review      review/        the data officer's review loop
    cohort.reports     reports/       the workbooks, CSV exports and run summary
    cohort.flows       flows/         the Prefect flow and its stages
    cohort.cli         cohort/cli.py  the command line (its console: cohort/console.py)
    cohort.sql         sql/           the SQL files (package data)
    cohort.data_samples data_samples/ the synthetic data generator and the demo sample

Imports only point down that list's floors (core at the bottom, the command line on top);
`tests/test_architecture.py` checks it.
"""

from importlib import metadata

try:
    __version__ = metadata.version("cohort")
except metadata.PackageNotFoundError:  # a checkout that was never installed
    __version__ = "0+unknown"
