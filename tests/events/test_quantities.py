"""The one quantity reader (events.quantities): a whole text, a phrase, and the parts stated
separately, as the import, the desk and the seed loader read them."""

import pytest

from events.quantities import QuantityError, best_estimate, find_counts, find_quantity, quantity_from_parts, read_quantity


@pytest.mark.parametrize("text, expected", [
    ("12", (12, 12, "exact")), ("1,200", (1200, 1200, "exact")), ("١٢", (12, 12, "exact")),
    ("thirteen", (13, 13, "exact")), ("a dozen", (12, 12, "exact")), ("10 to 12", (10, 12, "range")),
    ("12-10", (10, 12, "range")), (">35", (36, None, "more_than")), (">=35", (35, None, "at_least")),
    ("35+", (35, None, "at_least")), ("no more than 5", (None, 5, "at_most")), ("about 50 people", (50, 50, "about")),
    ("scores", (None, None, "dozens")), ("?", (None, None, "unknown")),
])
def test_a_whole_text_is_read_as_reported(text, expected):
    value = read_quantity(text)
    assert (value["low"], value["high"], value["qualifier"], value["wording"]) == (*expected, text)


def test_a_whole_text_that_is_not_a_number_is_refused_and_an_empty_one_is_none():
    assert read_quantity("  ") is None
    for text in ("a tank", "lots", "ten fighters"):
        with pytest.raises(QuantityError, match='"more than 35"'):
            read_quantity(text)


@pytest.mark.parametrize("phrase, expected", [
    ("a tank", (1, 1, "exact")), ("three tanks", (3, 3, "exact")), ("a dozen fighters", (12, 12, "exact")),
    ("more than 35 soldiers", (36, None, "more_than")), ("between two and four", (2, 4, "range")),
    ("some 20 fighters", (20, 20, "about")), ("dozens of fighters", (None, None, "dozens")),
    ("a large displacement", (None, None, "unknown")), ("under 10", (None, 10, "at_most")),
])
def test_a_phrase_is_read_for_the_number_it_states(phrase, expected):
    value = find_quantity(phrase)
    assert (value["low"], value["high"], value["qualifier"], value["wording"]) == (*expected, phrase)


def test_a_phrase_without_a_number_is_refused():
    for phrase in ("", "lots and lots", "some fighters"):
        with pytest.raises(QuantityError, match='"a tank"'):
            find_quantity(phrase)


@pytest.mark.parametrize("parts, expected", [
    ({"low": "12"}, {"low": 12, "high": 12, "qualifier": "exact"}),
    ({"low": "10", "high": ""}, {"low": 10, "high": None, "qualifier": "at_least"}),
    ({"low": "10", "high": "12"}, {"low": 10, "high": 12, "qualifier": "range"}),
    ({"high": "20"}, {"low": None, "high": 20, "qualifier": "at_most"}),
    ({"low": "", "high": ""}, {"low": None, "high": None, "qualifier": "unknown"}),
    ({"low": "1,200", "qualifier": "At least"}, {"low": 1200, "high": None, "qualifier": "at_least"}),
    ({"low": 36, "qualifier": "more_than", "wording": "more than 35"},
     {"low": 36, "high": None, "qualifier": "more_than", "wording": "more than 35"}),
    ({"low": "more than 35", "wording": ""}, {"low": 36, "high": None, "qualifier": "more_than", "wording": "more than 35"}),
    ({"low": "", "wording": "dozens"}, {"low": None, "high": None, "qualifier": "dozens", "wording": "dozens"}),
])
def test_parts_stated_separately(parts, expected):
    assert quantity_from_parts(**parts) == expected


@pytest.mark.parametrize("parts, part", [
    ({"low": "more than 35", "high": "40"}, "low"), ({"low": "1", "high": "many"}, "high"),
    ({"low": "1,2"}, "low"), ({"low": -1, "qualifier": "exact"}, "low"), ({"low": True, "qualifier": "exact"}, "low"),
    ({"qualifier": "roughly"}, "qualifier"), ({"wording": "lots"}, "wording"),
])
def test_a_part_that_cannot_be_read_is_named(parts, part):
    with pytest.raises(QuantityError) as refused:
        quantity_from_parts(**parts, labels={"low": "killed_low"})
    assert refused.value.part == part


def test_a_low_that_needs_to_stand_alone_names_its_column():
    with pytest.raises(QuantityError, match="as reported in killed_low alone"):
        quantity_from_parts(low="more than 35", high="40", labels={"low": "killed_low"})


# --- counts in running text: the table of phrasings (docs/editors-desk.md "How numbers are read") ---

COUNTS_IN_TEXT = [
    # text, [(wording, low, high, qualifier)] of each count found
    ("two destroyed BMP-1 vehicles", [("two", 2, 2, "exact")]),
    ("a T-72 and three BM-21 launchers", [("a", 1, 1, "exact"), ("three", 3, 3, "exact")]),
    ("ZU-23-2 guns, Su-24 jets and Mi-8 helicopters", []),
    ("about 4,500 families", [("about 4,500", 4500, 4500, "about")]),
    ("more than 300 fighters", [("more than 300", 301, None, "more_than")]),
    ("over 1,000 people", [("over 1,000", 1001, None, "more_than")]),
    ("at least 11 civilians", [("at least 11", 11, None, "at_least")]),
    ("no fewer than 40", [("no fewer than 40", 40, None, "at_least")]),
    ("dozens of fighters", [("dozens", None, None, "dozens")]),
    ("several houses", [("several", None, None, "several")]),
    ("a dozen soldiers", [("a dozen", 12, 12, "exact")]),
    ("hundreds of families", [("hundreds", None, None, "hundreds")]),
    ("nearly 50 people", [("nearly 50", 50, 50, "about")]),
    ("up to 20 fighters", [("up to 20", None, 20, "at_most")]),
    ("between 12 and 15 people", [("between 12 and 15", 12, 15, "range")]),
    ("12-15 people", [("12-15", 12, 15, "range")]),
    ("two or three vehicles", [("two or three", 2, 3, "range")]),
    ("twenty-seven people", [("twenty-seven", 27, 27, "exact")]),
    ("eleven children and one hundred and fifty families", [("eleven", 11, 11, "exact"),
                                                           ("one hundred and fifty", 150, 150, "exact")]),
    ("٢٧ شخصاً", [("٢٧", 27, 27, "exact")]),
    ("35+ fighters", [("35+", 35, None, "at_least")]),
    ("2,000 people fled", [("2,000", 2000, 2000, "exact")]),
    ("27 people: 14 civilians, among them 5 children", [("27", 27, 27, "exact"), ("14", 14, 14, "exact"),
                                                       ("5", 5, 5, "exact")]),
    # not counts
    ("in 2024 the group", []), ("since 2011,", []), ("on 13 March", []), ("March 13, 2024", []),
    ("on 13/03/2024", []), ("at 10:30", []), ("at 10 am", []), ("a 12-year-old boy", [("a", 1, 1, "exact")]),
    ("aged 12", []), ("12 years old", []), ("Omar Khalil, 8, and", []), ("40% of homes", []),
    ("40 percent", []), ("call +963 11 234 5678", []), ("0944123456", []), ("Resolution 2254", []),
    ("Article 3", []), ("the 46th Regiment", []), ("1.5 million", []), ("5 km away", []), ("a 23-caliber cannon",
                                                                                          [("a", 1, 1, "exact")]),
]


@pytest.mark.parametrize("text, expected", COUNTS_IN_TEXT, ids=[text for text, _ in COUNTS_IN_TEXT])
def test_counts_in_running_text(text, expected):
    found = find_counts(text)
    assert [(count["wording"], count["low"], count["high"], count["qualifier"]) for count in found] == expected
    assert all(text[count["start"]:count["end"]] == count["wording"] for count in found)


@pytest.mark.parametrize("phrase, expected", [
    ("two destroyed BMP-1 vehicles", (2, 2, "exact")), ("a T-72 tank", (1, 1, "exact")),
    ("about 4,500 families", (4500, 4500, "about")), ("twenty-seven people", (27, 27, "exact")),
    ("between 12 and 15 people", (12, 15, "range")), ("Dozens of militants", (None, None, "dozens")),
])
def test_a_phrase_is_read_by_the_same_count_reader(phrase, expected):
    value = find_quantity(phrase)
    assert (value["low"], value["high"], value["qualifier"]) == expected


@pytest.mark.parametrize("quantity, best", [
    ((12, 12, "exact"), 12), ((12, 15, "range"), 13), ((301, None, "more_than"), 301), ((11, None, "at_least"), 11),
    ((50, 50, "about"), 50), ((None, 20, "at_most"), None), ((None, None, "dozens"), None),
])
def test_best_estimate(quantity, best):
    assert best_estimate(*quantity) == best
