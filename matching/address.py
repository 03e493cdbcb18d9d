"""Addresses and postcodes as UK agencies write them, made comparable (issue 11).

The standardise step of households and of person linking reads addresses through here:
one canonical text (`normalise_address`), its parts (`add_address_parts`) and one
postcode form (`normalise_postcode`). Every function is a polars expression run on the
distinct raw values, and each is idempotent (a property test checks it).

What agencies write, and how it is read:
- flats: "Flat 2, 35", "2/35", "2, 35" and "2 35" are all flat 2 of number 35; "18B" is
  flat B of 18, as "Flat B, 18" is (one dwelling in UK practice);
- street types by their Royal Mail / BS 7666 abbreviations (Rd, La, Gr, Wk...), one table;
- "ST" is SAINT before a name and STREET after one;
- a known Kent locality or post town run onto the street without a comma
  ("35 Coronation Crescent Kings Hill") is split off as the locality;
- postcodes: O and I keyed for 0 and 1 are put right by their place in the postcode, and
  a postcode missing its last character keeps its shape ("CT9 6P");
- "NFA", "N.F.A.", "No Fixed Abode": no address at all.
"""

from __future__ import annotations

import polars as pl

from cohort.matching.fold import ascii_upper, distinct_map, null_if_empty

# Royal Mail / BS 7666 street-type abbreviations -> the full type, applied as whole words.
# "ST" is not here: it is SAINT before a name and STREET after one (see normalise_address).
STREET_TYPE_ABBREVIATIONS: dict[str, str] = {
    "RD": "ROAD", "AVE": "AVENUE", "AV": "AVENUE", "LN": "LANE", "LA": "LANE", "CL": "CLOSE",
    "DR": "DRIVE", "CRES": "CRESCENT", "CRESC": "CRESCENT", "CR": "CRESCENT", "GDNS": "GARDENS",
    "GDN": "GARDENS", "PL": "PLACE", "SQ": "SQUARE", "CT": "COURT", "CRT": "COURT", "TER": "TERRACE",
    "TERR": "TERRACE", "TCE": "TERRACE", "GRN": "GREEN", "GR": "GROVE", "GRV": "GROVE", "GRO": "GROVE",
    "PK": "PARK", "PDE": "PARADE", "WLK": "WALK", "WK": "WALK", "WY": "WAY", "MWS": "MEWS",
    "APP": "APPROACH", "HTS": "HEIGHTS", "HL": "HILL", "BDWY": "BROADWAY", "ESP": "ESPLANADE",
    "BLVD": "BOULEVARD", "CNR": "CORNER", "COTTS": "COTTAGES", "VW": "VIEW", "YD": "YARD",
    "WHF": "WHARF", "QY": "QUAY", "DRO": "DROVE", "PREC": "PRECINCT", "PSGE": "PASSAGE",
    "VLS": "VILLAS", "FLDS": "FIELDS", "MDWS": "MEADOWS",
}
# Other words agencies shorten.
OTHER_ABBREVIATIONS: dict[str, str] = {
    "HSE": "HOUSE", "MT": "MOUNT", "UPR": "UPPER", "LWR": "LOWER", "NTH": "NORTH", "STH": "SOUTH",
    "BLDGS": "BUILDINGS", "EST": "ESTATE", "FLT": "FLAT", "APARTMENT": "FLAT", "APT": "FLAT",
    "APPT": "FLAT", "FLATS": "FLAT",
}
ADDRESS_WORDS: dict[str, str] = {**STREET_TYPE_ABBREVIATIONS, **OTHER_ABBREVIATIONS}

STREET_TYPES = (
    "STREET", "ROAD", "AVENUE", "LANE", "CLOSE", "DRIVE", "CRESCENT", "GARDENS", "PLACE",
    "SQUARE", "COURT", "TERRACE", "GREEN", "GROVE", "PARK", "PARADE", "WALK", "WAY",
    "HILL", "RISE", "VIEW", "ROW", "MEWS", "APPROACH", "GATE", "END", "BROADWAY",
    "VALE", "MEADOWS", "MEADOW", "FIELDS", "WHARF", "QUAY", "YARD", "HEIGHTS", "ESTATE",
    "ESPLANADE", "BOULEVARD", "CORNER", "COTTAGES", "DROVE", "PRECINCT", "PASSAGE", "VILLAS", "CHASE",
)
_TYPES = "|".join(STREET_TYPES)

# Kent's post towns and the districts, villages and estates inside them that agencies
# write between the street and the town (and Medway's, for families just over the border).
POST_TOWNS = (
    "ASHFORD", "AYLESFORD", "BIRCHINGTON", "BROADSTAIRS", "CANTERBURY", "CRANBROOK", "DARTFORD", "DEAL",
    "DOVER", "EDENBRIDGE", "FAVERSHAM", "FOLKESTONE", "GRAVESEND", "HAWKHURST", "HERNE BAY", "HYTHE",
    "LONGFIELD", "MAIDSTONE", "MARGATE", "NEW ROMNEY", "QUEENBOROUGH", "RAMSGATE", "ROMNEY MARSH",
    "SEVENOAKS", "SHEERNESS", "SITTINGBOURNE", "SNODLAND", "SWANLEY", "SWANSCOMBE", "TENTERDEN",
    "TONBRIDGE", "TUNBRIDGE WELLS", "WEST MALLING", "WESTGATE ON SEA", "WHITSTABLE", "WESTERHAM",
    "CHATHAM", "GILLINGHAM", "ROCHESTER",
)
LOCALITIES = (
    "KENNINGTON", "WILLESBOROUGH", "SINGLETON", "PARK FARM", "STANHOPE", "KINGSNORTH", "BYBROOK",
    "SAINT DUNSTANS", "STURRY", "HALES PLACE", "THANINGTON", "WINCHEAP", "HARBLEDOWN", "BRIDGE",
    "TANKERTON", "SEASALTER", "CHESTFIELD", "HERNE", "GREENHILL", "BELTINGE", "HERNE COMMON",
    "STONE", "WILMINGTON", "TEMPLE HILL", "GREENHITHE", "BEAN", "SUTTON AT HONE", "DARENTH",
    "WALMER", "MILL HILL", "SHOLDEN", "SAINT MARGARETS", "SAINT MARGARETS AT CLIFFE", "RIVER",
    "WHITFIELD", "AYCLIFFE", "TOWER HAMLETS", "BUCKLAND", "NORTHFLEET", "ISTEAD RISE",
    "RIVERVIEW PARK", "HIGHAM", "MEOPHAM", "SHEPWAY", "BEARSTED", "ALLINGTON", "TOVIL", "PARK WOOD",
    "PENENDEN HEATH", "BOXLEY", "COXHEATH", "RIVERHEAD", "DUNTON GREEN", "KEMSING", "OTFORD",
    "MARLPIT HILL", "HEXTABLE", "HARTLEY", "NEW ASH GREEN", "CHERITON", "SANDGATE", "HAWKINGE",
    "SALTWOOD", "PALMARSH", "LITTLESTONE", "SAINT MARYS BAY", "DYMCHURCH", "LYDD", "MILTON REGIS",
    "MURSTON", "KEMSLEY", "MINSTER", "HALFWAY", "EASTCHURCH", "LEYSDOWN", "DAVINGTON", "OSPRINGE",
    "CLIFTONVILLE", "WESTBROOK", "GARLINGE", "NORTHDOWN", "SAINT PETERS", "SAINT LAWRENCE",
    "NEWINGTON", "MINNIS BAY", "HILDENBOROUGH", "HIGHAM WOOD", "KINGS HILL", "LEYBOURNE",
    "EAST MALLING", "LARKFIELD", "DITTON", "HOLBOROUGH", "SOUTHBOROUGH", "RUSTHALL", "PEMBURY",
    "PADDOCK WOOD", "SISSINGHURST", "WALDERSLADE", "LUTON", "LORDSWOOD", "RAINHAM", "TWYDALL",
    "STROOD", "FRINDSBURY", "SAINT NICHOLAS AT WADE", "SAINT MICHAELS", "SAINT STEPHENS",
)
_PLACES = "|".join(sorted(set(POST_TOWNS + LOCALITIES), key=lambda p: (-len(p), p)))
_SAINT_PLACES = "|".join(sorted({p.removeprefix("SAINT ") for p in LOCALITIES if p.startswith("SAINT ")},
                                key=lambda p: (-len(p), p)))

_ALL_PLACES = "|".join(sorted(set(POST_TOWNS + LOCALITIES) | {"ST " + p.removeprefix("SAINT ") for p in LOCALITIES
                                                               if p.startswith("SAINT ")}, key=lambda p: (-len(p), p)))
_GLUED_PLACE_RE = rf"\b({_TYPES}|ST) ((?:{_ALL_PLACES})(?: (?:{_ALL_PLACES}))?(?:,|$))"

# What agencies write for a person with no address (after dots are dropped).
_NO_FIXED_ABODE_RE = r"^(?:NFA|N F A|NO FIXED (?:ABODE|ADDRESS))(?:,.*)?$"

POSTCODE_RE = r"^[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][A-Z]{2}$"
# A compact postcode: the third or fourth character is never I or O (Royal Mail rule).
_COMPACT_RE = r"^[A-Z]{1,2}[0-9](?:[0-9]|[A-HJ-NP-Z])?[0-9][A-Z]{2}$"
_TRUNCATED_RE = r"^([A-Z]{1,2}[0-9](?:[0-9]|[A-HJ-NP-Z])?)([0-9][A-Z])$"
_POSTCODE_IN_TEXT_RE = r",? ?\b[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2}$"


def no_fixed_abode(e: pl.Expr) -> pl.Expr:
    """True where raw address text says only that the person has no fixed abode."""
    s = ascii_upper(e).str.replace_all(r"[.']", "").str.replace_all(r"[^A-Z0-9,]+", " ").str.strip_chars(" ,")
    return s.str.contains(_NO_FIXED_ABODE_RE).fill_null(False)


def known_places(e: pl.Expr) -> pl.Expr:
    """True where a locality is only known places ("GARLINGE MARGATE"): then a near
    spelling is another place (MARGATE is not RAMSGATE), not a typo."""
    return e.str.contains(rf"^(?:(?:{_PLACES}|KENT)(?: |$))+$").fill_null(False)


def _fix_confusions(compact: pl.Expr) -> pl.Expr:
    """O and I keyed for 0 and 1, put right by their place: the inward code starts with a
    digit, the outward code's district starts with one, and a district's optional last
    character is never I or O. Only what is not already a valid postcode is touched."""
    s = compact
    for pattern, to in (
        (r"^(.+)O([A-Z]{2})$", "${1}0${2}"), (r"^(.+)I([A-Z]{2})$", "${1}1${2}"),  # inward digit
        (r"^([A-Z]{1,2}[0-9])O([0-9][A-Z]{1,2})$", "${1}0${2}"),  # district's last character
        (r"^([A-Z]{1,2}[0-9])I([0-9][A-Z]{1,2})$", "${1}1${2}"),
        (r"^([A-Z]{1,2})O([0-9A-Z]?[0-9][A-Z]{1,2})$", "${1}0${2}"),  # district's digit
        (r"^([A-Z]{1,2})I([0-9A-Z]?[0-9][A-Z]{1,2})$", "${1}1${2}"),
    ):
        s = s.str.replace(pattern, to)
    return pl.when(compact.str.contains(_COMPACT_RE)).then(compact).otherwise(s)


def normalise_postcode(e: pl.Expr) -> pl.Expr:
    """'ct119aa' -> 'CT11 9AA', 'CT1O 9AA' -> 'CT10 9AA', 'ct96p' -> 'CT9 6P' (last
    character lost); anything else is kept compact and upper-case."""
    compact = ascii_upper(e).str.replace_all(r"[^A-Z0-9]", "")
    fixed = _fix_confusions(compact)
    return null_if_empty(
        pl.when(fixed.str.contains(_COMPACT_RE)).then(fixed.str.head(-3) + " " + fixed.str.tail(3))
        .when(fixed.str.contains(_TRUNCATED_RE)).then(fixed.str.replace(_TRUNCATED_RE, "${1} ${2}"))
        .otherwise(compact)
    )


def read_addresses(addresses: pl.Series) -> pl.DataFrame:
    """address, addr (normalised) and ADDRESS_PARTS, once per distinct address text: the
    households stage reads the same texts for its postcodes and for its dwellings."""
    distinct = addresses.drop_nulls().unique().to_frame("address")
    read = distinct_map(distinct, "address", [normalise_address(pl.col("address")).alias("addr")])
    return add_address_parts(read).select("address", "addr", *ADDRESS_PARTS)


def with_normalised_postcode(frame: pl.DataFrame, column: str, alias: str) -> pl.DataFrame:
    """`frame` with `alias`, its `column` normalised once per distinct postcode written."""
    return distinct_map(frame, column, [normalise_postcode(pl.col(column)).alias(alias)])


def postcode_sector(pc: pl.Expr) -> pl.Expr:
    """'CT9 6' of a normalised full or truncated postcode, else null."""
    return pc.str.extract(r"^([A-Z]{1,2}[0-9][0-9A-Z]? [0-9])[A-Z]{1,2}$", 1)


def postcode_parts(pc: pl.Expr) -> list[pl.Expr]:
    """Validity, sector ('CT11 9') and district ('CT11') of a normalised postcode; a
    postcode missing its last character still has its sector and district."""
    sector = postcode_sector(pc)
    return [
        pc.str.contains(POSTCODE_RE).fill_null(False).alias("pc_valid"),
        sector.alias("pc_sector"),
        sector.str.head(-2).alias("pc_district"),
    ]


def postcodes_agree(pc_l: pl.Expr, pc_r: pl.Expr) -> pl.Expr:
    """The same postcode, or one is the other missing its last character ("CT9 6P")."""
    shorter = pl.when(pc_l.str.len_chars() < pc_r.str.len_chars()).then(pc_l).otherwise(pc_r)
    longer = pl.when(pc_l.str.len_chars() < pc_r.str.len_chars()).then(pc_r).otherwise(pc_l)
    truncated = (longer.str.len_chars() - shorter.str.len_chars() == 1) & (longer.str.head(-1) == shorter) & (
        longer.str.contains(POSTCODE_RE))
    return ((pc_l == pc_r) | truncated).fill_null(False)


def _expand_words(s: pl.Expr) -> pl.Expr:
    """Abbreviations written out (ADDRESS_WORDS), whole words only, in one pass over the
    text padded with spaces (twice, for two abbreviations in a row)."""
    words_from, words_to = [f" {a} " for a in ADDRESS_WORDS], [f" {w} " for w in ADDRESS_WORDS.values()]
    s = s.str.replace_all(", ", " , ").str.replace(r"^(.*)$", " ${1} ")
    s = s.str.replace_many(words_from, words_to).str.replace_many(words_from, words_to)
    return s.str.replace_all(" , ", ", ").str.strip_chars(" ")


def normalise_address(e: pl.Expr) -> pl.Expr:
    """A canonical address text: upper-case, words expanded, flats as 'FLAT 3 12 HIGH STREET'.

    Commas separate parts (premise/street, locality, town); a trailing postcode is dropped
    because the postcode is compared on its own. "No fixed abode" in any spelling is null.
    """
    s = (
        ascii_upper(e)
        .str.replace_all(r"['’`.]", "")
        .str.replace_all(r"[^A-Z0-9,/]+", " ")
        .str.replace_all(r" ?/ ?", "/")
        .str.replace_all(r",[ ,]*,", ",")
        .str.replace_all(r" ?, ?", ", ")
        .str.strip_chars(" ,")
    )
    s = s.str.replace(_NO_FIXED_ABODE_RE, "")
    slashed = s.str.contains("/")
    s = _expand_words(s)
    s = s.str.replace_all(r"\bFLAT NO\b", "FLAT")
    # Flat 3 of number 12: "3/12 High St", "Flat 3/12", "3, 12 High St" and "3 12 High St".
    s = s.str.replace(r"^(?:FLAT )?([0-9]+[A-Z]?)/([0-9]+[A-Z]?)\b", "FLAT ${1} ${2}")
    s = s.str.replace(r"^([0-9]+[A-Z]?),? ([0-9]+[A-Z]?) ([A-Z])", "FLAT ${1} ${2} ${3}")
    s = s.str.replace_all("/", " ").str.replace_all(r" +", " ").str.replace_all(r" ,", ",").str.strip_chars(" ,")
    s = pl.when(slashed).then(_expand_words(s)).otherwise(s)  # a word a slash hid ("/CL")
    # "18B High St" is flat B of 18, as "Flat B, 18 High St" is (at the start, where no
    # flat has been written before it).
    s = s.str.replace(r"^([0-9]+)([A-Z])( |,|$)", "FLAT ${2} ${1}${3}")
    # A number followed by a comma belongs with the street after it: "12, High St".
    s = s.str.replace_all(r"\b([0-9]+[A-Z]?), ", "${1} ")
    s = s.str.strip_chars(" ,").str.replace(_POSTCODE_IN_TEXT_RE, "")
    # A locality or town run onto the street without a comma takes one (before and after
    # ST is read, so that "HIGH ST MARGATE" and "CHURCH RD ST MARGARETS" both split).
    s = s.str.replace_all(_GLUED_PLACE_RE, "${1}, ${2}")
    # "ST": SAINT before a Saint place or a name at the start of a part ("12 St Peters
    # Road", "Church Road St Margarets"); STREET before a town or locality and elsewhere.
    s = s.str.replace_all(rf"\bST ((?:{_SAINT_PLACES})\b)", "SAINT ${1}")
    s = s.str.replace_all(rf"\bST ((?:{_PLACES})(?:,|$))", "STREET ${1}")
    s = s.str.replace_all(r"(^|, |[0-9][A-Z]? |[0-9] |FLAT [A-Z] )ST ([A-Z])", "${1}SAINT ${2}")
    s = s.str.replace_all(rf"\b({_TYPES}) ST ([A-Z])", "${1} SAINT ${2}")
    s = s.str.replace_all(rf"\bST ([A-Z]+ (?:{_TYPES})(?:,|$))", "SAINT ${1}")
    s = s.str.replace_all(r"\bST\b", "STREET")
    s = s.str.replace_all(_GLUED_PLACE_RE, "${1}, ${2}")
    s = (
        s.str.replace_all(r" +", " ")
        .str.replace_all(r"(, )+", ", ")
        .str.replace_all(r" ,", ",")
        .str.replace_all(r",,+", ",")
        .str.strip_chars(" ,")
    )
    return null_if_empty(s)


ADDRESS_PARTS = ("flat", "house", "premise", "street", "street_name", "street_type", "locality")


def add_address_parts(frame: pl.DataFrame, col: str = "addr") -> pl.DataFrame:
    """Add flat, house number, premise, street (and its name and type) and locality of
    the normalised address in `col`.

    With a house number, premise is the number and street the words after it up to the
    street type ("HIGH STREET"). Without one, a house name and its street are written
    with or without commas ("ROSE COTTAGE, MILL LANE" / "ROSE COTTAGE MILL LANE") and
    cannot be told apart reliably, so premise and street are both the whole first line:
    the name and the street up to its type word. Built in steps (each step reads the
    columns of the one before) so that no expression is evaluated twice.
    """
    types = rf"\b(?:{_TYPES})\b"
    flat_re = r"\bFLAT ([0-9]+[A-Z]?|[A-Z])\b"
    addr = pl.col(col)
    out = frame.with_columns(
        addr.str.extract(flat_re, 1).alias("flat"),
        addr.str.replace(flat_re + ",? ?", "").str.strip_chars(" ,").alias("_rest"),
    )
    rest = pl.col("_rest")
    out = out.with_columns(
        rest.str.extract(r"\b([0-9]+[A-Z]?)\b", 1).alias("house"),
        rest.str.extract(r"\b[0-9]+[A-Z]?\b ?(.*)$", 1).str.strip_chars(" ,").alias("_after"),
        rest.str.extract(r"^([^,]*(?:, [^,]*)?)", 1).str.replace_all(",", "").alias("_two"),
    )
    house, after = pl.col("house"), pl.col("_after")
    out = out.with_columns(
        pl.when(house.is_not_null())
        .then(pl.coalesce(after.str.extract(rf"(?:^|, )([^,]*{types})", 1), after.str.extract(r"^([^,]+)", 1)))
        .otherwise(pl.coalesce(pl.col("_two").str.extract(rf"^(.*{types})", 1), rest.str.extract(r"^([^,]+)", 1)))
        .str.strip_chars()
        .alias("_street"),
        # What follows the street (town, locality), when the street is at the front.
        pl.when(house.is_not_null()).then(after).otherwise(rest).str.replace_all(",", "").alias("_tail"),
    )
    street, tail = pl.col("_street"), pl.col("_tail")
    out = out.with_columns(
        pl.coalesce(house, street).alias("premise"),
        null_if_empty(street).alias("street"),
        pl.coalesce(street.str.extract(rf"^(.+) (?:{_TYPES})$", 1), null_if_empty(street))
        .alias("street_name"),
        street.str.extract(rf" ({_TYPES})$", 1).alias("street_type"),
        null_if_empty(
            pl.when(tail.str.starts_with(street)).then(tail.str.strip_prefix(street))
            .str.replace_all(r"\bKENT\b", "").str.replace_all(" +", " ").str.strip_chars()
        ).alias("locality"),
    )
    return out.drop("_rest", "_after", "_two", "_street", "_tail")
