"""Plain one-line messages for a rule-set file that does not validate.

pydantic's own report names the model and links to its documentation; a data officer
needs the section, the key, what it must be and what the file says instead.
"""

from __future__ import annotations

import dataclasses
import difflib
from typing import Any

from pydantic import ValidationError


class RuleSetError(ValueError):
    """A rule-set file that cannot be used; the message has one line per bad key."""


def _what_it_must_be(error: dict[str, Any]) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    limits = {
        "greater_than_equal": f"must be at least {ctx.get('ge')}",
        "greater_than": f"must be more than {ctx.get('gt')}",
        "less_than_equal": f"must be at most {ctx.get('le')}",
        "less_than": f"must be less than {ctx.get('lt')}",
    }
    kinds = {
        "int_type": "must be a whole number",
        "float_type": "must be a number",
        "string_type": "must be text in quotes",
        "tuple_type": 'must be a list, e.g. ["a", "b"]',
        "dict_type": "must be a table, e.g. { KEY = 1 }",
        "bool_type": "must be true or false",
        "literal_error": f"must be one of {ctx.get('expected')}",
        "string_pattern_mismatch": 'must be a year, e.g. "2014"',
    }
    return limits.get(kind) or kinds.get(kind) or error["msg"].lower()


def _key(section: str, loc: tuple[Any, ...]) -> str:
    """`[results] employment_weeks.JSA` from pydantic's location of the bad value."""
    key = ".".join(str(p) for p in loc if isinstance(p, str) and p != "[key]")
    items = [f" (item {p + 1})" for p in loc if isinstance(p, int)]
    return f"[{section}] {key}{''.join(items)}" if key else f"[{section}]"


def describe(section: str, cls: type, exc: ValidationError) -> list[str]:
    """One line per problem pydantic found in one section of the file."""
    names = [f.name for f in dataclasses.fields(cls)]
    errors = exc.errors()
    missing = {e["loc"][0] for e in errors if e["type"] == "missing"}
    misspelt = set()  # a missing key that an unknown key looks like: say it once, as a misspelling
    lines = []
    for error in errors:
        loc, kind = tuple(error["loc"]), error["type"]
        if kind == "unexpected_keyword_argument":
            close = difflib.get_close_matches(str(loc[0]), names, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            misspelt |= set(close) & missing
            lines.append(f"{_key(section, loc)} is not a setting of [{section}]{hint}")
        elif kind == "missing":
            continue
        elif kind == "value_error":  # a check across keys; its message names them
            lines.append(str(error["ctx"]["error"]))
        else:
            lines.append(f"{_key(section, loc)} {_what_it_must_be(error)}, not {error['input']!r}")
    return lines + [f"[{section}] {name} is missing" for name in sorted(missing - misspelt)]
