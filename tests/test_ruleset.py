"""The rule set is validated on load: every kind of mistake in a rule-set file is refused
with one line naming the section and key, and `cohort run` refuses it before anything
starts (no Prefect, no warehouse, no run log)."""

from __future__ import annotations

import dataclasses
import json
import time
import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from cohort.cli import main
from cohort.core.ruleset import DEFAULT_PATH, SECTIONS, RuleSet, RuleSetError, load_ruleset

DEFAULT = DEFAULT_PATH.read_text(encoding="utf-8")

# (description, change to the default file, the one line expected after "<file>: ")
BAD_FILES = [
    ("wrong type: text for a whole number",
     ("crime_window_months = 12", 'crime_window_months = "twelve"'),
     "[identification] crime_window_months must be a whole number, not 'twelve'"),
    ("wrong type: a fraction for a whole number",
     ("education_terms = 3", "education_terms = 3.5"),
     "[identification] education_terms must be a whole number, not 3.5"),
    ("wrong type: text for a list",
     ('asb_order_types = ["asbo", "asb_injunction", "asb_contract"]', 'asb_order_types = "asbo"'),
     "[identification] asb_order_types must be a list, e.g. [\"a\", \"b\"], not 'asbo'"),
    ("wrong type inside a table",
     ("JSA = 13", 'JSA = "13"'),
     "[results] employment_weeks.JSA must be a whole number, not '13'"),
    ("misspelt key",
     ("crime_window_months = 12", "crime_windw_months = 12"),
     "[identification] crime_windw_months is not a setting of [identification] (did you mean crime_window_months?)"),
    ("unknown key",
     ("[phase2]\n", "[phase2]\ncolour = 3\n"),
     "[phase2] colour is not a setting of [phase2]"),
    ("missing key",
     ("adult_age = 18\n", ""),
     "[identification] adult_age is missing"),
    ("out of range: a share above 1",
     ("absence_threshold = 0.15", "absence_threshold = 15"),
     "[identification] absence_threshold must be at most 1.0, not 15"),
    ("out of range: a window of no months",
     ("[phase2]\nwindow_months = 12", "[phase2]\nwindow_months = 0"),
     "[phase2] window_months must be at least 1, not 0"),
    ("out of range: a negative amount",
     ("total_per_family_gbp = 4000", "total_per_family_gbp = -4000"),
     "[results] total_per_family_gbp must be at least 0.0, not -4000"),
    ("not one of the known values",
     ('discretion_indicators = ["domestic_abuse", "substance_misuse"]',
      'discretion_indicators = ["domestic_abuse", "drugs"]'),
     "[identification] discretion_indicators (item 2) must be one of 'domestic_abuse', 'substance_misuse', "
     "'child_protection_plan', 'adult_offending', 'police_callouts' or 'health_problems', not 'drugs'"),
    ("a table key that must be a year",
     ('"2012" = 0.80', '"first" = 0.80'),
     "[results] attachment_fee_share.first must be a year, e.g. \"2014\", not 'first'"),
    ("keys that contradict each other",
     ("link_threshold = 0.9", "link_threshold = 0.99"),
     "[matching] needs review_reject <= link_threshold <= review_accept"),
    ("a review budget that is not a count",
     ("review_budget = 150", "review_budget = -5"),
     "[matching] review_budget must be at least 0, not -5"),
    ("unknown section",
     ("[phase2]\n", "[phase3]\nwindow_months = 12\n\n[phase2]\n"),
     "[phase3] is not a section of the rule set (sections: identification, phase2, results, matching)"),
    ("missing section",
     ("[phase2]\nwindow_months = 12\n", ""),
     "[phase2] is missing"),
]


def _bad(tmp_path: Path, change: tuple[str, str]) -> Path:
    old, new = change
    assert old in DEFAULT, f"the default rule set no longer has {old!r}"
    path = tmp_path / "rules.toml"
    path.write_text(DEFAULT.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("description, change, expected", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_a_bad_rule_set_is_refused_with_one_line_naming_the_key(tmp_path, description, change, expected):
    with pytest.raises(RuleSetError) as refused:
        load_ruleset(_bad(tmp_path, change))
    assert str(refused.value) == f"rules.toml: {expected}"


def test_not_toml_at_all(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(DEFAULT.replace("education_terms = 3", "education_terms = "), encoding="utf-8")
    with pytest.raises(RuleSetError, match=r"^rules.toml: not a valid TOML file \(.*line 9.*\)$"):
        load_ruleset(path)


def test_every_bad_key_gets_its_own_line(tmp_path):
    path = _bad(tmp_path, ("crime_window_months = 12", 'crime_window_months = "twelve"'))
    path.write_text(path.read_text().replace("adult_age = 18", "adult_age = 180"), encoding="utf-8")
    with pytest.raises(RuleSetError) as refused:
        load_ruleset(path)
    assert str(refused.value).splitlines() == [
        "rules.toml: [identification] crime_window_months must be a whole number, not 'twelve'",
        "rules.toml: [identification] adult_age must be at most 120, not 180",
    ]


def test_a_whole_number_is_accepted_where_a_number_is_wanted(tmp_path):
    rules = load_ruleset(_bad(tmp_path, ("absence_threshold = 0.15", "absence_threshold = 0")))
    assert rules.identification.absence_threshold == 0.0


def test_the_matching_section_may_be_left_out(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(DEFAULT[:DEFAULT.index("[matching]")], encoding="utf-8")
    assert load_ruleset(path).matching == load_ruleset().matching


def test_the_default_file_sets_every_setting():
    """A setting added to a section is added to ruleset_default.toml too (with its comment),
    so an officer copying the file sees it."""
    raw = tomllib.loads(DEFAULT)
    for name, cls in SECTIONS.items():
        assert set(raw[name]) == {f.name for f in dataclasses.fields(cls)}, name


def test_settings_json_reads_back_as_the_same_rule_set():
    """The rule set a run saved (settings.json's "ruleset") validates and rebuilds exactly."""
    rules = load_ruleset()
    saved = json.loads(rules.to_json())
    rebuilt = RuleSet(**{name: cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in saved[name].items()})
                         for name, cls in SECTIONS.items()}, source=saved["source"])
    assert rebuilt == rules


def test_a_changed_copy_is_validated_too():
    rules = load_ruleset()
    with pytest.raises(ValidationError):
        dataclasses.replace(rules.identification, crime_window_months="twelve")


def test_cohort_run_refuses_a_bad_rule_set_before_anything_starts(tmp_path, capsys):
    rules = _bad(tmp_path, ("crime_window_months = 12", 'crime_window_months = "twelve"'))
    drop = tmp_path / "drop"
    drop.mkdir()
    started = time.perf_counter()
    rc = main(["run", "--input", str(drop), "--as-of", "31/03/2014", "--db", str(tmp_path / "w.duckdb"),
               "--out", str(tmp_path / "out"), "--rules", str(rules)])
    seconds = time.perf_counter() - started
    assert rc == 2
    header, *err = capsys.readouterr().err.splitlines()
    assert header.startswith("cohort ") and "as of 31/03/2014" in header
    assert err[0] == "cohort: rules.toml: [identification] crime_window_months must be a whole number, not 'twelve'"
    assert err[1:] == ["cohort: nothing was written; the warehouse and earlier outputs are unchanged."]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["drop", "rules.toml"]  # no warehouse, log or Prefect home
    assert seconds < 5, "refused before Prefect or the pipeline start"
