"""Golden cases for the name forms of issue 11: forename/surname swaps, keyed forename
slips, non-English diminutives, and twins with close names (the twins guard kept honest).

Pairs are scored end to end with the same date of birth and home (support.matching), the
setting in which the twins guard decides; people are linked by link_persons on
hand-built households.
"""

from __future__ import annotations

from datetime import date

import pytest
from support.matching import HOME, persons_of, rec, records, scored_pair

from cohort.matching import cluster as clustering
from cohort.matching.pipeline import link_persons

# (description, record a, record b, forename level, guard)
PAIRS = [
    # swaps
    ("forename and surname keyed the wrong way round", {"forename": "PORTER", "surname": "ERIC"},
     {"forename": "Eric", "surname": "Porter"}, "name_swap", None),
    ("swapped, and the forename written by its nickname", {"forename": "Welton", "surname": "Jess"},
     {"forename": "Jessica", "surname": "Welton"}, "name_swap", None),
    ("swapped, with a nickname the other way round", {"forename": "Elliott", "surname": "Millie"},
     {"forename": "Amelia", "surname": "Elliott"}, "name_swap", None),
    # keyed slips: not twins
    ("a slip on the first letter (Rric for Eric)", {"forename": "Rric"}, {"forename": "Eric"}, "keyed", None),
    ("two slips in a longer name", {"forename": "Hbethxny"}, {"forename": "Bethany"}, "keyed", None),
    ("a letter doubled and one swapped", {"forename": "Sraat"}, {"forename": "Sarah"}, "keyed", None),
    ("a slip in a Polish name", {"forename": "Krzysztog"}, {"forename": "Krzysztof"}, "jw_high", None),
    # diminutives and the English forms non-English names are recorded under
    ("Krzyś is Krzysztof", {"forename": "Krzyś"}, {"forename": "Krzysztof"}, "nickname", None),
    ("Krzysiek is Krzysztof", {"forename": "Krzysiek"}, {"forename": "Krzysztof"}, "nickname", None),
    ("Chris is Krzysztof", {"forename": "Chris"}, {"forename": "Krzysztof"}, "nickname", None),
    ("Chris is still Christopher (a name in three groups)", {"forename": "Chris"}, {"forename": "Christopher"},
     "nickname", None),
    ("Gosia is Małgorzata", {"forename": "Gosia"}, {"forename": "Małgorzata"}, "nickname", None),
    ("Małgorzata written without its ł", {"forename": "MALGORZATA"}, {"forename": "Małgorzata"}, "exact", None),
    ("Tomek is Tomasz", {"forename": "Tomek"}, {"forename": "Tomasz"}, "nickname", None),
    ("Kuba is Jakub", {"forename": "Kuba"}, {"forename": "Jakub"}, "nickname", None),
    ("Kasia is Katarzyna", {"forename": "Kasia"}, {"forename": "Katarzyna"}, "nickname", None),
    ("Wojtek is Wojciech", {"forename": "Wojtek"}, {"forename": "Wojciech"}, "nickname", None),
    ("Seun is Oluwaseun", {"forename": "Seun"}, {"forename": "Oluwaseun"}, "nickname", None),
    ("Tunde is Babatunde", {"forename": "Tunde"}, {"forename": "Babatunde"}, "nickname", None),
    ("Kemi is Oluwakemi", {"forename": "Kemi"}, {"forename": "Oluwakemi"}, "nickname", None),
    ("Mohd is Mohammed", {"forename": "Mohd"}, {"forename": "Mohammed"}, "nickname", None),
    ("Jas is Jaswinder", {"forename": "Jas"}, {"forename": "Jaswinder"}, "nickname", None),
    # twins: two forenames far apart, or two known names, are two children
    ("twins named alike but three edits apart", {"forename": "Freddie"}, {"forename": "Frankie"},
     "different", "twins"),
    ("twins Daisy and Maisie", {"forename": "Daisy"}, {"forename": "Maisie"}, "different", "twins"),
    ("twins Oluwafemi and Oluwatobi, Jaro-Winkler close", {"forename": "Oluwafemi"}, {"forename": "Oluwatobi"},
     "different", "twins"),
    ("twins Tom and Tim: nicknames of different names, one edit apart", {"forename": "Tom"}, {"forename": "Tim"},
     "different", "twins"),
    ("twins Kuba and Tomek", {"forename": "Kuba"}, {"forename": "Tomek"}, "different", "twins"),
    ("twins Ola and Ala (Aleksandra, Alicja)", {"forename": "Ola"}, {"forename": "Ala"}, "different", "twins"),
    ("twins Seyi and Femi", {"forename": "Seyi"}, {"forename": "Femi"}, "different", "twins"),
    ("a swap is not a different forename", {"forename": "PORTER", "surname": "ERIC"},
     {"forename": "Eric", "surname": "Porter"}, "name_swap", None),
]


@pytest.mark.parametrize("description, a, b, level, guard", PAIRS, ids=[p[0] for p in PAIRS])
def test_name_forms(description, a, b, level, guard):
    for x, y in ((a, b), (b, a)):
        row = scored_pair(x, y)
        assert row["forename"] == level, description
        assert row["guard"] == guard, description
        if guard is None:
            assert row["probability"] >= 0.9, f"{description}: one person, same birthday and home"


TWIN_DOB, MUM_DOB = date(2005, 6, 1), date(1978, 2, 2)

# (description, records, expected persons as sets of record ids)
PEOPLE = [
    ("twins written by nicknames of different names (Tom and Tim)",
     [rec("school_census", "a1", "Thomas", "Hill", TWIN_DOB, upn="A123456789012", **HOME),
      rec("school_census", "a2", "Thomas", "Hill", TWIN_DOB, upn="A123456789012", **HOME),
      rec("health", "a3", "Tom", "Hill", TWIN_DOB, **HOME),
      rec("school_census", "b1", "Timothy", "Hill", TWIN_DOB, upn="B123456789013", **HOME),
      rec("school_census", "b2", "Timothy", "Hill", TWIN_DOB, upn="B123456789013", **HOME),
      rec("police", "b3", "Tim", "Hill", TWIN_DOB, **HOME)],
     [{"a1", "a2", "a3"}, {"b1", "b2", "b3"}]),
    ("Polish twins by their diminutives (Kuba, Tomek), names with and without ł",
     [rec("school_census", "a1", "Jakub", "Kozłowski", TWIN_DOB, **HOME),
      rec("health", "a2", "Kuba", "Kozlowski", TWIN_DOB, **HOME),
      rec("school_census", "b1", "Tomasz", "Kozłowski", TWIN_DOB, **HOME),
      rec("police", "b2", "TOMEK", "KOZLOWSKI", TWIN_DOB, **HOME)],
     [{"a1", "a2"}, {"b1", "b2"}]),
    ("a keyed slip joins its child; the twin stays apart",
     [rec("school_census", "a1", "Eric", "Porter", TWIN_DOB, **HOME),
      rec("health", "a2", "Rric", "Porter", TWIN_DOB, **HOME),
      rec("school_census", "b1", "Ian", "Porter", TWIN_DOB, **HOME),
      rec("police", "b2", "Ian", "Porter", TWIN_DOB, **HOME)],
     [{"a1", "a2"}, {"b1", "b2"}]),
    ("a forename/surname swap joins its person, the twin stays apart",
     [rec("dwp_benefits", "a1", "Eric", "Porter", TWIN_DOB, nino="AB123456C", **HOME),
      rec("housing", "a2", "PORTER", "ERIC", TWIN_DOB, **HOME),
      rec("dwp_benefits", "b1", "Ian", "Porter", TWIN_DOB, nino="CD654321A", **HOME)],
     [{"a1", "a2"}, {"b1"}]),
    ("Małgorzata, Gosia and MALGORZATA are one mother; her twins Daisy and Maisie two",
     [rec("health", "m1", "Małgorzata", "Wiśniewska", MUM_DOB, **HOME),
      rec("school_census", "m2", "Gosia", "Wiśniewska", MUM_DOB, **HOME),
      rec("dwp_benefits", "m3", "MALGORZATA", "WISNIEWSKA", MUM_DOB, **HOME),
      rec("school_census", "a1", "Daisy", "Wiśniewska", TWIN_DOB, **HOME),
      rec("health", "b1", "Maisie", "Wisniewska", TWIN_DOB, **HOME)],
     [{"m1", "m2", "m3"}, {"a1"}, {"b1"}]),
    ("Seun and Oluwaseun are one man",
     [rec("police", "a1", "Oluwaseun", "Adeyemi", MUM_DOB, **HOME),
      rec("dwp_benefits", "a2", "SEUN", "ADEYEMI", MUM_DOB, **HOME)],
     [{"a1", "a2"}]),
]


@pytest.mark.parametrize("description, rows, expected", PEOPLE, ids=[p[0] for p in PEOPLE])
def test_golden_people_with_name_forms(description, rows, expected):
    result = link_persons(records(*rows))
    assert persons_of(result) == {frozenset(e) for e in expected}, description


def test_a_certain_link_is_not_vetoed_by_a_twins_pair_elsewhere():
    """Profiles 0 and 2 are one person; 1 is a twins pair with 2. The pair 0-1 scored
    "1.0" on agreeing forenames: it joins, where without twins_override the twins pair
    between the clusters (names not overlapping: a swapped-name record) keeps it out."""
    import polars as pl

    edges = pl.DataFrame(
        {"pid_l": [0, 0, 1], "pid_r": [2, 1, 2], "probability": [0.99999, 0.99995, 0.001],
         "guard": [None, None, "twins"], "twins_override": [False, True, False]},
    )
    names = [["ERIC"], ["PORTER"], ["ERIC"]]
    assert len(set(clustering.cluster(3, edges, 0.9, names=names).tolist())) == 1
    vetoed = edges.with_columns(pl.lit(False).alias("twins_override"))
    assert len(set(clustering.cluster(3, vetoed, 0.9, names=names).tolist())) == 2


NAME_SETS = [
    ("a keying slip of a rare name overlaps", {"ERIC"}, {"RRIC"}, {"RRIC"}, True),
    ("two known names within two edits but far by Jaro-Winkler do not", {"TOM"}, {"TIM"}, set(), False),
    ("two names more than two edits apart do not, however alike", {"ISABELLA"}, {"ISOBEL"}, {"ISOBEL"}, False),
    ("a shared middle name overlaps", {"JACK", "THOMAS"}, {"THOMAS"}, set(), True),
    ("a spelling variant within one edit overlaps", {"JONATHAN"}, {"JONATHON"}, set(), True),
]


@pytest.mark.parametrize("description, a, b, rare, expected", NAME_SETS, ids=[n[0] for n in NAME_SETS])
def test_cluster_names_overlap_reads_names_as_the_comparison_does(description, a, b, rare, expected):
    assert clustering.names_overlap(a, b, rare) is expected, description
