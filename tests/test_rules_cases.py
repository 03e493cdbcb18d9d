"""Run every given/expect case written beside the rules (`sql/rules/<programme>/<criterion>.yml`).

A case gives people (`persons`: person_id, dob, family defaulting to F1, role), input rows
by extract (each `person` links the row to that person), optional `absent` extracts and
`ruleset` overrides; it expects `met` and the evidence record_ids for one family (F1
unless `family` is given) at `as_of`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from cohort.programme.rules import PROGRAMMES
from cohort.core.sqlrunner import SQL_DIR
from support.rules_world import World, ruleset_with

RULE_DOCS = sorted(SQL_DIR.glob("rules/*/*.yml"))
REQUIRED_KEYS = {"criterion", "programme", "policy", "source", "reading", "grain", "parameters", "cases"}


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _cases() -> list[Any]:
    out = []
    for path in RULE_DOCS:
        doc = _load(path)
        for case in doc["cases"]:
            out.append(pytest.param(doc["programme"], doc["criterion"], case,
                                    id=f"{doc['programme']}/{doc['criterion']}: {case['description']}"))
    return out


def _world(case: dict[str, Any]) -> World:
    w = World()
    given = dict(case["given"])
    for person in given.pop("persons", []):
        w.person(person["person_id"], person.get("dob"), person.get("family", "F1"), person.get("role"))
    for family in given.pop("families", []):
        w.family(family)
    for extract, rows in given.items():
        for row in rows:
            row = dict(row)
            w.add(extract, row.pop("person", None), row.pop("record_id"), **row)
    w.absent.update(case.get("absent", []))
    return w


@pytest.mark.parametrize("programme, criterion, case", _cases())
def test_rule_case(programme: str, criterion: str, case: dict[str, Any]) -> None:
    ruleset = ruleset_with(**case["ruleset"]) if "ruleset" in case else None
    run = _world(case).evaluate(programme, case["as_of"], ruleset)
    family = case.get("family", "F1")
    assert run.met(criterion, family) is case["expect"]["met"]
    assert run.evidence(criterion, family) == sorted(case["expect"]["evidence"])


def test_every_rule_has_its_wording_and_cases_beside_it() -> None:
    for programme, criteria in PROGRAMMES.items():
        for criterion in criteria:
            path = SQL_DIR / "rules" / programme / f"{criterion}.yml"
            assert path.exists(), path
            doc = _load(path)
            assert REQUIRED_KEYS <= doc.keys(), (path, REQUIRED_KEYS - doc.keys())
            assert (doc["programme"], doc["criterion"]) == (programme, criterion)
            outcomes = {case["expect"]["met"] for case in doc["cases"]}
            assert outcomes == {True, False}, f"{path} needs a case that meets and one that misses"
            sql = (SQL_DIR / "rules" / programme / f"{criterion}.sql").read_text(encoding="utf-8")
            assert f"{criterion}.yml" in sql, f"{criterion}.sql should point at its .yml"
    assert len(RULE_DOCS) == sum(len(c) for c in PROGRAMMES.values())
