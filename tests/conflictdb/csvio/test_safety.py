"""Formula safety (conflictdb.csvio.safety): cells a spreadsheet would run are neutralised in every
export path — the exporter, the API CSV renderer and django-import-export's formats — while
numbers in numeric columns, negative ones included, stay numbers."""

import csv
import io
from decimal import Decimal

import pytest
import tablib

from conflictdb.api import renderers
from conflictdb.csvio import safety
from conflictdb.csvio.admin_export import SafeCSV
from conflictdb.csvio.exporting import export_for, write_csv
from conflictdb.provenance import Channel, acting
from events.models import Location
from sources.models import Source

DANGEROUS = ["=1+1", "+963 Media", "-2 dead", "@SUM(A1)", "\tHidden", "\rHidden"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_formula_starts_are_neutralised(text):
    assert safety.neutralise(text) == "'" + text
    assert safety.unneutralise(safety.neutralise(text)) == text


@pytest.mark.parametrize("text", ["'=1+1", "''-2 dead", "'''@x"])
def test_apostrophes_before_a_formula_start_get_one_more_and_come_back_exactly(text):
    assert safety.neutralise(text) == "'" + text
    assert safety.unneutralise(safety.neutralise(text)) == text


@pytest.mark.parametrize("text", ["Aleppo", "3 killed", "", "'quoted", "a=b", "''", "' =x"])
def test_ordinary_text_is_left_alone(text):
    assert safety.neutralise(text) == text
    assert safety.unneutralise(text) == text


def test_numbers_stay_numbers():
    assert safety.safe_cell(-5) == -5
    assert safety.safe_cell(Decimal("-36.5")) == Decimal("-36.5")
    assert safety.safe_cell("-5") == "'-5"  # a text column holding "-5" is text
    assert safety.safe_cell(None) == ""
    assert safety.safe_cell(True) == "true"


def test_the_api_renderer_uses_the_same_function():
    assert renderers.safe_cell is safety.safe_cell


@pytest.fixture
def dangerous_rows(editor):
    with acting(user=editor, channel=Channel.ADMIN):
        for number, text in enumerate(DANGEROUS):
            Source.objects.create(name=f"{text} {number}", kind="news_outlet", description=text)
        Location.objects.create(name="-West of nowhere", kind="area", latitude=Decimal("-33.86785"),
                                longitude=Decimal("-151.20732"), coordinate_precision="exact")


def exported(name, user):
    out = io.StringIO()
    write_csv(export_for(name, user), out, bom=False)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_exporter_neutralises_text_and_keeps_negative_numbers(dangerous_rows, data_manager):
    sources = exported("source", data_manager)
    assert sorted(row["description"] for row in sources) == sorted("'" + text for text in DANGEROUS)
    assert all(row["name"].startswith("'") for row in sources)
    [place] = exported("location", data_manager)
    assert place["name"] == "'-West of nowhere"
    assert (place["latitude"], place["longitude"]) == ("-33.86785", "-151.20732")


def test_the_librarys_format_neutralises_more_than_equals():
    dataset = tablib.Dataset(*[(text, -5, Decimal("-1.5")) for text in DANGEROUS], headers=["text", "n", "d"])
    text = SafeCSV().export_data(dataset)
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert [row[0] for row in rows] == ["'" + text for text in DANGEROUS]
    assert {(row[1], row[2]) for row in rows} == {("-5", "-1.5")}


def test_a_value_beginning_with_an_apostrophe_and_a_formula_start_round_trips(editor, data_manager):
    from conflictdb.csvio.importing import import_file
    from events.models import Actor

    with acting(user=editor, channel=Channel.ADMIN):
        Actor.objects.create(name="'=Quoted militia", kind="militia", description="''-twice")
    out = io.StringIO()
    write_csv(export_for("actor", data_manager), out, bom=False)
    row = next(row for row in csv.DictReader(io.StringIO(out.getvalue())) if "Quoted" in row["name"])
    assert (row["name"], row["description"]) == ("''=Quoted militia", "'''-twice")
    outcome = import_file(io.BytesIO(out.getvalue().encode()), "actor", user=data_manager, file_name="a.csv")
    assert outcome.errors == [] and outcome.counts["unchanged"] == Actor.objects.count()
    assert Actor.objects.get(name="'=Quoted militia").description == "''-twice"
