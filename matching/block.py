"""Blocking: which profile pairs are worth comparing.

Each rule names the fields two profiles must share exactly. The candidate pairs are the
union over rules; each rule's own count is kept (and logged) so a rule that explodes is
visible. A block (profiles sharing one key value) larger than `max_block` is skipped and
counted instead: a key that common ("JOHN" + "SMITH" + 1980) says little, and its pairs
are found by the other rules when they matter.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import polars as pl

log = logging.getLogger(__name__)

MAX_BLOCK = 200


@dataclass(frozen=True)
class BlockingRule:
    name: str
    keys: tuple[str, ...]
    description: str


RULES: tuple[BlockingRule, ...] = (
    BlockingRule("nino", ("nino",), "same NINO"),
    BlockingRule("upn", ("upn",), "same UPN"),
    BlockingRule("pnc_id", ("pnc_id",), "same PNC id"),
    BlockingRule("postcode_initial", ("pc", "fn_initial"), "same postcode and forename initial"),
    BlockingRule("uprn_initial", ("uprn", "fn_initial"), "same UPRN and forename initial"),
    BlockingRule("address_initial", ("premise", "street", "fn_initial"),
                 "same house number and street, same forename initial (postcode blank or mistyped)"),
    BlockingRule("dob_surname_soundex", ("dob", "sn_soundex"), "same date of birth and surname Soundex"),
    BlockingRule("dob_forename", ("dob", "fn_canon"), "same date of birth and canonical forename"),
    BlockingRule("forename_surname_year", ("fn_canon", "sn_soundex", "dob_y"),
                 "same canonical forename, surname Soundex and birth year"),
    BlockingRule("forename_surname_district", ("fn_canon", "sn_compact", "pc_district"),
                 "same canonical forename and surname in one postcode district (birth date blank or mistyped)"),
    BlockingRule("birthday_initial_surname", ("dob_m", "dob_d", "fn_initial", "sn_soundex"),
                 "same birthday, forename initial and surname Soundex (birth year mistyped)"),
)


def _rule_pairs(profiles: pl.DataFrame, rule: BlockingRule, max_block: int) -> tuple[pl.DataFrame, int]:
    keyed = profiles.select("pid", *rule.keys).drop_nulls(list(rule.keys))
    sized = keyed.with_columns(pl.len().over(list(rule.keys)).alias("_n"))
    skipped = sized.filter(pl.col("_n") > max_block).select(rule.keys).n_unique() if sized.height else 0
    kept = sized.filter((pl.col("_n") > 1) & (pl.col("_n") <= max_block)).drop("_n")
    pairs = (
        kept.join(kept, on=list(rule.keys), suffix="_r")
        .filter(pl.col("pid") < pl.col("pid_r"))
        .select(pl.col("pid").alias("pid_l"), "pid_r")
    )
    return pairs, skipped


def candidate_pairs(
    profiles: pl.DataFrame,
    rules: tuple[BlockingRule, ...] = RULES,
    max_block: int = MAX_BLOCK,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(pairs, counts): distinct (pid_l < pid_r) pairs, and per rule its pairs and skipped blocks."""
    found, counts = [], []
    for rule in rules:
        pairs, skipped = _rule_pairs(profiles, rule, max_block)
        found.append(pairs)
        counts.append({"rule": rule.name, "candidate_pairs": pairs.height, "skipped_blocks": skipped})
        log.info("blocking rule %s: %d candidate pairs, %d blocks over %d skipped",
                 rule.name, pairs.height, skipped, max_block)
    union = pl.concat(found).unique() if found else pl.DataFrame(
        schema={"pid_l": pl.UInt32, "pid_r": pl.UInt32})
    log.info("blocking: %d distinct candidate pairs from %d profiles", union.height, profiles.height)
    counts_frame = pl.DataFrame(
        counts, schema={"rule": pl.Utf8, "candidate_pairs": pl.Int64, "skipped_blocks": pl.Int64})
    return union.sort("pid_l", "pid_r"), counts_frame
