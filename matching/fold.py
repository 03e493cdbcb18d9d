"""One fold of text to plain upper-case letters, shared by names and addresses, and one
way to apply such text rules: once per distinct value (`distinct_map`).

Agencies' systems keep or drop accents and letters such as Ł inconsistently, so every
comparison reads text through `ascii_upper`.
"""

from __future__ import annotations

import polars as pl

# Letters that Unicode does not decompose into a base letter and a mark (Polish Ł, Danish Ø...).
UNDECOMPOSED = {"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "ß": "ss", "Æ": "AE", "æ": "ae",
                "Œ": "OE", "œ": "oe", "ı": "i", "Þ": "TH", "þ": "th", "Ð": "D", "ð": "d", "ẞ": "SS"}


def ascii_upper(e: pl.Expr) -> pl.Expr:
    """Upper case without accents: Małgorzata -> MALGORZATA, Wiśniewski -> WISNIEWSKI, Straße -> STRASSE."""
    folded = e.str.replace_many(list(UNDECOMPOSED), list(UNDECOMPOSED.values()))
    return folded.str.normalize("NFKD").str.replace_all(r"\p{M}", "").str.to_uppercase()


def null_if_empty(e: pl.Expr) -> pl.Expr:
    return pl.when(e.str.len_chars() > 0).then(e)


def distinct_map(frame: pl.DataFrame, col: str, exprs: list[pl.Expr]) -> pl.DataFrame:
    """Apply expressions to the distinct values of one column and join the result back, in
    the frame's order: the text rules are regexes, and a county's million records write
    far fewer distinct names, postcodes and addresses. The rules run on the streaming
    engine, which applies a chain of a dozen regexes to a batch of values at a time, on
    every core: at county scale half the time of applying each regex to the whole column
    in turn, with the same values."""
    distinct = frame.select(pl.col(col)).unique().lazy().with_columns(exprs).collect(engine="streaming")
    return frame.join(distinct, on=col, how="left", nulls_equal=True, maintain_order="left")
