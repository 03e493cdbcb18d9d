"""Run every given/expect case written beside the results (`sql/results/<result>.yml`).

A case gives earlier identification (`identified`: as_of, status, education), optional
`engagements` (attached_on), people and input rows as the rules cases do (`given`), and
optional `ruleset` overrides of [results]; it expects whether family F1 achieves the result
at `as_of`, the achieved_on date when achieved, and the evidence record_ids.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from cohort.programme.results import RESULTS
from cohort.core.sqlrunner import SQL_DIR
from support.results_world import ResultsWorld, results_ruleset

RESULT_DOCS = sorted(SQL_DIR.glob("results/*.yml"))
REQUIRED_KEYS = {"result", "programme", "policy", "source", "reading", "grain", "parameters", "cases"}


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _cases() -> list[Any]:
    return [
        pytest.param(doc["result"], case, id=f"{doc['result']}: {case['description']}")
        for doc in map(_load, RESULT_DOCS)
        for case in doc["cases"]
    ]


def _world(case: dict[str, Any]) -> ResultsWorld:
    w = ResultsWorld()
    given = dict(case["given"])
    for person in given.pop("persons", []):
        w.person(person["person_id"], person.get("dob"), person.get("family", "F1"), person.get("role"))
    for extract, rows in given.items():
        for row in rows:
            row = dict(row)
            w.add(extract, row.pop("person", None), row.pop("record_id"), **row)
    for h in case.get("identified", []):
        w.identified(h["as_of"], h.get("family", "F1"), h["status"], h.get("education", False))
    for e in case.get("engagements", []):
        w.engaged(e["attached_on"], e.get("family", "F1"))
    return w


@pytest.mark.parametrize("result, case", _cases())
def test_result_case(result: str, case: dict[str, Any]) -> None:
    ruleset = results_ruleset(**case["ruleset"]) if "ruleset" in case else None
    run = _world(case).results(case["as_of"], ruleset)
    flag = run.flag(result)
    assert flag["achieved"] is case["expect"]["achieved"], flag["detail"]
    if case["expect"]["achieved"]:
        assert flag["achieved_on"] == case["expect"]["achieved_on"]
    assert run.evidence(result) == sorted(case["expect"]["evidence"])


def test_every_result_has_its_wording_and_cases_beside_it() -> None:
    assert [_load(p)["result"] for p in RESULT_DOCS] == sorted(RESULTS)
    for path in RESULT_DOCS:
        doc = _load(path)
        assert REQUIRED_KEYS <= doc.keys(), (path, REQUIRED_KEYS - doc.keys())
        assert {case["expect"]["achieved"] for case in doc["cases"]} == {True, False}, path
        sql = path.with_suffix(".sql").read_text(encoding="utf-8")
        assert path.name in sql, f"{path.with_suffix('.sql').name} should point at its .yml"
        assert sql.rstrip().endswith("select * from final"), path
