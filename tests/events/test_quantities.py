"""The one quantity reader (events.quantities): a whole text, a phrase, and the parts stated
separately, as the import, the desk and the seed loader read them."""

import pytest

from events.quantities import QuantityError, find_quantity, quantity_from_parts, read_quantity


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
