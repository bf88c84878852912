"""conflictdb.csvio.headers: a flat layout's header read by names and synonyms (case, spaces and
underscores folded), the user's mapping first, and every problem named; the flat layouts' columns
are documented in docs/csv-import.md."""

from pathlib import Path

import pytest
from django.conf import settings

from conflictdb.csvio.headers import IGNORE, HeaderField, fold, match_header, parse_mapping
from conflictdb.registry import registry

FIELDS = (HeaderField("party", ("affiliation", "side")), HeaderField("count", ("number",), required=True),
          HeaderField("document_url", ("url",)))


def test_names_and_synonyms_are_folded():
    assert fold(" Document URL ") == fold("document_url") == fold("Document-Url") == "documenturl"
    match = match_header(["Affiliation", "NUMBER", "Document URL", "Extra"], FIELDS)
    assert match.problems == [] and match.columns == {"party": 0, "count": 1, "document_url": 2}
    assert [(r.field, r.how) for r in match.readings] == [("party", "synonym"), ("count", "synonym"),
                                                          ("document_url", "name"), (None, "not read")]


def test_a_mapping_comes_first_and_may_leave_columns_unread():
    match = match_header(["Side", "Affiliation", "n", "url"], FIELDS,
                         parse_mapping(["party=Affiliation", "count=n", "-=url"]))
    assert match.problems == [] and match.columns == {"party": 1, "count": 2}
    assert [r.how for r in match.readings] == ["not read", "mapped", "mapped", "ignored"]


def test_problems_are_named():
    match = match_header(["Side", "Affiliation"], FIELDS)
    reasons = " | ".join(reason for _column, reason in match.problems)
    assert "would both be read as party" in reasons and "required column missing (also read from: number)" in reasons
    match = match_header(["count"], FIELDS, {"colour": "count", "party": "Nope"})
    reasons = " | ".join(reason for _column, reason in match.problems)
    assert "names no field" in reasons and "names a column the file does not have" in reasons
    with pytest.raises(ValueError, match="FIELD=COLUMN"):
        parse_mapping(["party"])
    assert parse_mapping(["-=a", "-=b"]) == {IGNORE: ["a", "b"]}


@pytest.mark.parametrize("layout, title", [("casualty-figures", "### Casualty figures"),
                                           ("equipment-losses", "### Equipment losses"), ("acled", "### ACLED")])
def test_every_field_of_a_flat_layout_is_documented(layout, title):
    text = (Path(settings.BASE_DIR) / "docs" / "csv-import.md").read_text(encoding="utf-8")
    section = text.split(title, 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
    for field in registry["import_layouts"][layout].fields:
        assert field.name in section, (layout, field.name)
        for synonym in field.synonyms:
            assert f"`{synonym}`" in section, (layout, synonym)
