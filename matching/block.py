"""Blocking: which profile pairs are worth comparing.

Each rule names the fields two profiles must share exactly, with two variations: a
`cross` rule matches the left profile's fields against other fields of the right one
(forename and surname keyed the wrong way round), and a `typo` rule pairs values of its
single field one character apart (an identifier mistyped), by matching on the value
with any one character deleted. The candidate pairs are the union over rules; each
rule's own count, and how many of its pairs no earlier rule found, is kept and logged
before anything is scored, so a rule that explodes, or adds nothing, is visible. A
block (profiles sharing one key value) larger than `max_block` is skipped and counted
instead: a key that common ("JOHN" + "SMITH" + 1980) says little, and its pairs
are found by the other rules when they matter.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import polars as pl

log = logging.getLogger(__name__)

MAX_BLOCK = 200


@dataclass(frozen=True)
class BlockingRule:
    name: str
    keys: tuple[str, ...]
    description: str
    cross: tuple[str, ...] | None = None  # the right profile's fields matched to `keys`
    typo: bool = False                    # the one key may differ by one character


# Identifiers longer than this are cut for the one-typo keys (none is, in practice).
TYPO_MAX_LENGTH = 16


RULES: tuple[BlockingRule, ...] = (
    BlockingRule("nino", ("nino",), "same NINO"),
    BlockingRule("upn", ("upn",), "same UPN"),
    BlockingRule("pnc_id", ("pnc_id",), "same PNC id"),
    BlockingRule("nino_typo", ("nino",), "different NINO, one character apart", typo=True),
    BlockingRule("upn_typo", ("upn",), "different UPN, one character apart", typo=True),
    BlockingRule("pnc_id_typo", ("pnc_id",), "different PNC id, one character apart", typo=True),
    BlockingRule("postcode_initial", ("pc", "fn_initial"), "same postcode and forename initial"),
    BlockingRule("uprn_initial", ("uprn", "fn_initial"), "same UPRN and forename initial"),
    BlockingRule("address_initial", ("premise", "street", "fn_initial"),
                 "same house number and street, same forename initial (postcode blank or mistyped)"),
    BlockingRule("dob_surname_soundex", ("dob", "sn_soundex"), "same date of birth and surname Soundex"),
    BlockingRule("dob_forename", ("dob", "fn_canon"), "same date of birth and canonical forename"),
    BlockingRule("dob_postcode", ("dob", "pc"), "same date of birth and postcode (both names mistyped or changed)"),
    BlockingRule("forename_surname_year", ("fn_canon", "sn_soundex", "dob_y"),
                 "same canonical forename, surname Soundex and birth year"),
    BlockingRule("forename_surname_district", ("fn_canon", "sn_compact", "pc_district"),
                 "same canonical forename and surname in one postcode district (birth date blank or mistyped)"),
    BlockingRule("birthday_initial_surname", ("dob_m", "dob_d", "fn_initial", "sn_soundex"),
                 "same birthday, forename initial and surname Soundex (birth year mistyped)"),
    BlockingRule("names_swapped", ("fn_first", "sn_compact"), "forename and surname keyed the wrong way round",
                 cross=("sn_compact", "fn_first")),
)


def _sized(keyed: pl.DataFrame, keys: list[str], max_block: int) -> tuple[pl.DataFrame, int]:
    """The rows of blocks of 2..max_block rows, and how many blocks were too big."""
    sized = keyed.with_columns(pl.len().over(keys).alias("_n"))
    skipped = sized.filter(pl.col("_n") > max_block).select(keys).n_unique() if sized.height else 0
    return sized.filter((pl.col("_n") > 1) & (pl.col("_n") <= max_block)).drop("_n"), skipped


def _oriented(pairs: pl.DataFrame) -> pl.DataFrame:
    return pairs.filter(pl.col("pid") != pl.col("pid_r")).select(
        pl.min_horizontal("pid", "pid_r").alias("pid_l"), pl.max_horizontal("pid", "pid_r").alias("pid_r")
    ).unique()


def _typo_pairs(profiles: pl.DataFrame, col: str, max_block: int) -> tuple[pl.DataFrame, int]:
    """Pairs of profiles whose `col` values differ but share a key: the value itself or
    the value with any one character deleted. Two values share a key when one character
    is changed, added or dropped, or two neighbours are swapped (and a few two changes
    apart: scoring tells them apart). Worked on distinct values, then spread to profiles;
    profiles with the same value are the exact rule's."""
    present = profiles.select("pid", col).drop_nulls(col)
    longest = min(TYPO_MAX_LENGTH, present[col].str.len_chars().max() or 0)
    value = pl.col(col).str.slice(0, TYPO_MAX_LENGTH)
    variants = [value] + [value.str.slice(0, i) + value.str.slice(i + 1) for i in range(longest)]
    keys = present.select(col).unique().select(col, pl.concat_list(variants).alias("_key")).explode("_key").unique()
    kept, skipped = _sized(keys, ["_key"], max_block)
    close = (
        kept.join(kept, on="_key", suffix="_r")
        .filter(pl.col(col) < pl.col(f"{col}_r"))
        .select(col, f"{col}_r").unique()
    )
    pairs = (
        close.join(present, on=col)
        .join(present.rename({"pid": "pid_r", col: f"{col}_r"}), on=f"{col}_r")
        .select("pid", "pid_r")
    )
    return _oriented(pairs), skipped


def _rule_pairs(profiles: pl.DataFrame, rule: BlockingRule, max_block: int) -> tuple[pl.DataFrame, int]:
    keys = list(rule.keys)
    if rule.typo:
        return _typo_pairs(profiles, keys[0], max_block)
    if rule.cross:
        # Each side's block is sized before the join, so a common key never explodes.
        left = profiles.select("pid", *keys).drop_nulls(keys).with_columns(pl.len().over(keys).alias("_n"))
        right = (
            profiles.select(pl.col("pid").alias("pid_r"), *(pl.col(c).alias(k) for c, k in zip(rule.cross, keys)))
            .drop_nulls(keys).with_columns(pl.len().over(keys).alias("_n"))
        )
        too_big = (
            left.select(*keys, "_n").unique().join(right.select(*keys, "_n").unique(), on=keys, suffix="_r")
            .filter((pl.col("_n") > max_block) | (pl.col("_n_r") > max_block))
        )
        joined = (
            left.filter(pl.col("_n") <= max_block).drop("_n")
            .join(right.filter(pl.col("_n") <= max_block).drop("_n"), on=keys)
        )
        return _oriented(joined), too_big.height
    kept, skipped = _sized(profiles.select("pid", *keys).drop_nulls(keys), keys, max_block)
    pairs = (
        kept.join(kept, on=keys, suffix="_r")
        .filter(pl.col("pid") < pl.col("pid_r"))
        .select(pl.col("pid").alias("pid_l"), "pid_r")
    )
    return pairs, skipped


def candidate_pairs(
    profiles: pl.DataFrame,
    rules: tuple[BlockingRule, ...] = RULES,
    max_block: int = MAX_BLOCK,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(pairs, counts): distinct (pid_l < pid_r) pairs, and per rule (in order) its
    candidate pairs, the pairs no earlier rule found (`new_pairs`, summing to the distinct
    total) and its skipped blocks."""
    schema = {"pid_l": pl.UInt32, "pid_r": pl.UInt32}
    found, counts = [], []
    for rule in rules:
        pairs, skipped = _rule_pairs(profiles, rule, max_block)
        found.append(pairs.cast(schema))
        counts.append({"rule": rule.name, "candidate_pairs": pairs.height, "skipped_blocks": skipped,
                       "description": rule.description})
    # A pair is new to the first rule that finds it: every rule's pairs as (pid_l, pid_r)
    # keys, in rule order, sorted stably; the first of each run of one key is the pair's
    # first rule. (An anti-join of each rule's pairs to the union so far took longer than
    # the rules themselves.)
    keys = pl.DataFrame({
        "key": np.concatenate([np.empty(0, dtype=np.uint64), *(
            (p["pid_l"].to_numpy().astype(np.uint64) << np.uint64(32)) | p["pid_r"].to_numpy().astype(np.uint64)
            for p in found)]),
        "rule": np.repeat(np.arange(len(rules), dtype=np.int64), [p.height for p in found]),
    }).sort("key", maintain_order=True)
    key, rule_of = keys["key"].to_numpy(), keys["rule"].to_numpy()
    first = np.concatenate([np.ones(min(1, len(key)), dtype=bool), key[1:] != key[:-1]])
    distinct = key[first]
    new = np.bincount(rule_of[first], minlength=len(rules))
    for row, n in zip(counts, new):
        row["new_pairs"] = int(n)
        log.info("blocking rule %s: %d candidate pairs (%d new), %d blocks over %d skipped",
                 row["rule"], row["candidate_pairs"], n, row["skipped_blocks"], max_block)
    union = pl.DataFrame({"pid_l": (distinct >> np.uint64(32)).astype(np.uint32),
                          "pid_r": (distinct & np.uint64(0xFFFFFFFF)).astype(np.uint32)}, schema=schema)
    log.info("blocking: %d distinct candidate pairs from %d profiles, %d rules",
             union.height, profiles.height, len(rules))
    counts_frame = pl.DataFrame(counts, schema={
        "rule": pl.Utf8, "candidate_pairs": pl.Int64, "skipped_blocks": pl.Int64,
        "new_pairs": pl.Int64, "description": pl.Utf8})
    return union, counts_frame
