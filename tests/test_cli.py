"""The command line's conventions: --version, help on every option, dates in both forms."""

from __future__ import annotations

import argparse
import subprocess
import sys
from datetime import date
from importlib import metadata

import polars as pl
import pytest

import cohort
from cohort.cli import _date, _parser, main
from cohort.schemas.checks import parse_date


def test_python_m_cohort_version():
    done = subprocess.run([sys.executable, "-m", "cohort", "--version"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    assert done.stdout.strip() == f"cohort {metadata.version('cohort')}" == f"cohort {cohort.__version__}"


def _actions(parser: argparse.ArgumentParser, path: str = "cohort"):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _actions(sub, f"{path} {name}")
        elif not isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            yield path, action


def test_every_option_and_argument_has_help():
    missing = [f"{path} {action.option_strings or action.dest}" for path, action in _actions(_parser())
               if not (action.help or "").strip()]
    assert not missing
    commands = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)][0]
    assert {c.dest: c.help for c in commands._choices_actions}.keys() == set(commands.choices)
    assert "Troubled Families" in _parser().description


@pytest.mark.parametrize("argv", [["-q", "run", "--help"], ["run", "-q", "--help"], ["--help"]])
def test_help_exits_cleanly_wherever_the_flags_go(argv, capsys):
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 0
    assert "usage: cohort" in capsys.readouterr().out


@pytest.mark.parametrize("argv, verbosity", [
    (["-q", "explain", "F1", "--db", "x"], -1), (["explain", "F1", "--db", "x", "-q"], -1),
    (["-v", "explain", "F1", "--db", "x"], 1), (["explain", "F1", "--db", "x"], 0),
])
def test_verbosity_before_or_after_the_command(argv, verbosity):
    assert _parser().parse_args(argv).verbosity == verbosity


# (description, text, the date or None when refused); the extracts' parser must agree.
DATES = [
    ("ISO", "2014-03-31", date(2014, 3, 31)),
    ("UK", "31/03/2014", date(2014, 3, 31)),
    ("UK, one-digit day and month", "1/4/2014", date(2014, 4, 1)),
    ("UK, leap day", "29/02/2016", date(2016, 2, 29)),
    ("impossible UK date", "31/02/2014", None),
    ("impossible ISO date", "2014-02-30", None),
    ("US order", "03/31/2014", None),
    ("slashes, year first", "2014/03/31", None),
    ("two-digit year", "31/03/14", None),
    ("a time on the end", "2014-03-31T00:00", None),
    ("words", "March 2014", None),
]


@pytest.mark.parametrize("description, text, expected", DATES, ids=[d[0] for d in DATES])
def test_dates_in_both_forms(description, text, expected):
    if expected is None:
        with pytest.raises(argparse.ArgumentTypeError, match=text.replace("/", ".")):
            _date(text)
    else:
        assert _date(text) == expected


def test_the_command_line_reads_dates_as_the_extracts_do():
    texts = [t for _, t, _ in DATES]
    extracts = pl.DataFrame({"t": texts}).select(parse_date(pl.col("t")))["t"].to_list()
    assert extracts == [expected for _, _, expected in DATES]


def test_a_refused_date_is_one_usage_line(capsys):
    with pytest.raises(SystemExit) as done:
        main(["generate", "--households", "1", "--out", "x", "--as-of", "31/02/2014"])
    assert done.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == \
        "cohort generate: error: argument --as-of: '31/02/2014' is not a real date"



@pytest.mark.parametrize("given, expected", [(None, "dirty_decay_ms:1000,muzzy_decay_ms:0"),
                                             ("dirty_decay_ms:5000", "dirty_decay_ms:5000")],
                         ids=["ours by default", "the user's wins"])
def test_allocator_is_set_before_polars_loads(given: str | None, expected: str) -> None:
    """jemalloc reads its setting once, when polars loads: the command sets it first thing,
    unless the user has."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    if given:
        env["_RJEM_MALLOC_CONF"] = given
    probe = ("import os, sys\nfrom cohort.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
             "print(os.environ.get('_RJEM_MALLOC_CONF'), 'polars' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == [expected, "False"]
