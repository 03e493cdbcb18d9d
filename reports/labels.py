"""Plain-English words for every code a reader of our workbooks and report could meet.

One home for the reports' labels, so nobody reads `not_eligible`, `lead_tenant` or
`nosp_asb` in a district list. Status labels live with the status words
(`cohort.core.statuses`) and are re-exported here.

`plain_text` turns the free text the SQL rules write into their evidence ("nosp_asb on
tenancy ASH/101079", "JSA spell open", "autumn 2013/14: 21 of 140 sessions unauthorised
(15.0% over the last 3 terms)") into words, through the rewrites and code words below;
whatever snake_case word is still unknown is shown with spaces, never as a code.
"""

from __future__ import annotations

import polars as pl

from cohort.core.agencies import AGENCIES
from cohort.core.statuses import STATUS_LABELS  # noqa: F401  (re-exported)


ROLE_LABELS: dict[str, str] = {
    "lead_tenant": "Lead tenant",
    "joint_tenant": "Joint tenant",
    "household_member": "Household member",
    "adult": "Adult",
    "child": "Child",
}

CRITERION_LABELS: dict[str, str] = {
    "crime_asb": "Crime / ASB",
    "education": "Education",
    "work": "Work",
    "local_discretion": "Local discretion",
    "school_attendance": "School attendance",
    "children_need_help": "Children who need help",
    "worklessness": "Worklessness",
    "domestic_abuse": "Domestic abuse",
    "health": "Health",
}

SOURCE_LABELS: dict[str, str] = {a.name: a.label for a in AGENCIES.values()}

CHANGE_LABELS: dict[str, str] = {
    "new": "New on the list",
    "status_changed": "Status changed",
    "moved_in": "Moved in",
    "merged": "Merged with another family",
    "split": "Split",
    "split_off": "Split off from another family",
    "moved_out": "Moved out",
    "left": "Left the list",
}

# Enumerated values of the data contract (and the rules' own words) as they read in a sentence.
CODE_WORDS: dict[str, str] = {
    "asb_incident": "ASB incident",
    "asbo": "ASBO",
    "asb_injunction": "ASB injunction",
    "asb_contract": "acceptable behaviour contract",
    "domestic_abuse": "domestic abuse",
    "adult_offence": "adult offence",
    "call_out": "police call-out",
    "final_warning": "final warning",
    "nosp_asb": "notice of seeking possession (ASB)",
    "housing_injunction": "housing injunction",
    "demotion_order": "demotion order",
    "eviction_asb": "eviction for ASB",
    "pru": "pupil referral unit",
    "alternative_provision": "alternative provision",
    "not_on_roll": "not on a school roll",
    "employment_start": "started work",
    "employment_end": "left work",
    "work_programme_start": "started the Work Programme",
    "esf_start": "started an ESF programme",
    "child_in_need": "child in need",
    "child_protection_plan": "child protection plan",
    "looked_after": "looked after",
    "drug_misuse": "drug misuse",
    "alcohol_misuse": "alcohol misuse",
    "mental_health": "mental health",
    "long_term_condition": "long-term condition",
    "under_18_conception": "under-18 conception",
    "substance_misuse": "substance misuse",
    "adult_offending": "adult offending",
    "health_problems": "health problems",
    "police_callouts": "police call-outs",
}

BENEFIT_LABELS: dict[str, str] = {
    "JSA": "Jobseeker's Allowance",
    "ESA": "Employment and Support Allowance",
    "IB": "Incapacity Benefit",
    "IS": "Income Support",
    "CA": "Carer's Allowance",
    "SDA": "Severe Disablement Allowance",
}

# Whole-value rewrites tried before the code words: (pattern, full text, short reason).
REWRITES: tuple[tuple[str, str, str], ...] = (
    (
        r"^(autumn|spring|summer) (\d{4}/\d{2}): (\d+) of (\d+) sessions unauthorised "
        r"\(([0-9.]+)% over the last (\d+) terms\)$",
        "${5}% unauthorised absence over the last ${6} terms (${1} ${2}: ${3} of ${4} sessions)",
        "${5}% unauthorised absence over ${6} terms",
    ),
    *(
        (rf"^{code} spell open$", f"{words} ({code}), claim open", f"on {words}")
        for code, words in BENEFIT_LABELS.items()
    ),
    (r"^(\w+) on tenancy (.+)$", "${1} on tenancy ${2}", "${1}"),
    (r"^([a-z_]+) in (autumn|spring|summer) (\d{4}/\d{2})$", "${1} in the ${2} term of ${3}", "${1}"),
)

_SNAKE = r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"


def _codes_to_words(text: pl.Expr) -> pl.Expr:
    for code, words in CODE_WORDS.items():
        text = text.str.replace_all(rf"\b{code}\b", words)
    text = text.str.replace_all(r"(\d{4})-(\d{2})-(\d{2})", "${3}/${2}/${1}")  # ISO dates as the UK writes them
    return text.map_batches(_unsnake, return_dtype=pl.String)


def _unsnake(s: pl.Series) -> pl.Series:
    """Any snake_case word left (a code this module does not know yet) shown with spaces."""
    words = s.str.extract_all(_SNAKE).explode().drop_nulls().unique().sort()
    for w in words:
        s = s.str.replace_all(rf"\b{w}\b", w.replace("_", " "))
    return s


def plain_text(expr: pl.Expr, *, short: bool = False) -> pl.Expr:
    """Evidence text in words: the first matching rewrite, then code words and UK dates."""
    text = expr.cast(pl.String)
    rewritten = pl.lit(None, pl.String)
    for pattern, full, brief in reversed(REWRITES):
        rewritten = pl.when(text.str.contains(pattern)).then(
            text.str.replace(pattern, brief if short else full)).otherwise(rewritten)
    return _codes_to_words(pl.coalesce(rewritten, text))


def label(expr: pl.Expr, labels: dict[str, str]) -> pl.Expr:
    """A code column in words; an unknown code is shown with spaces, capitalised."""
    text = expr.cast(pl.String)
    fallback = text.str.replace_all("_", " ")
    fallback = fallback.str.slice(0, 1).str.to_uppercase() + fallback.str.slice(1)
    return text.replace_strict(labels, default=fallback, return_dtype=pl.String)


def is_code_word(text: str) -> bool:
    """True when `text` holds a snake_case code a reader should never see (used by tests)."""
    import re

    return re.search(_SNAKE, text) is not None
