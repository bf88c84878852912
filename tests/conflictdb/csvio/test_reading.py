"""Real-world input: encodings (UTF-8 with/without BOM, UTF-16, Windows-1256, declared),
delimiters, quoted newlines and tabs, XLSX, very large cells, streaming, and the cell readers
(dates, numbers as reported)."""

import datetime
import tracemalloc

import pytest

from conflictdb.csvio import reading
from conflictdb.csvio.importing import import_file
from conflictdb.csvio.values import CellError, parse_date
from events.quantities import QuantityError
from events.quantities import read_quantity as parse_quantity
from events.models import Actor
from sources.models import Document, Source
from tests.paths import FIXTURES

FIXTURES = FIXTURES / "import"
SNA_DESCRIPTION = 'Quoted "text", a semicolon; a comma,\na newline and a\ttab'


@pytest.mark.parametrize("fixture", ["actors_utf8.csv", "actors_utf8_bom_semicolon.csv", "actors_utf16_tab.csv",
                                     "actors_windows1256.csv", "actors.xlsx"])
def test_every_spreadsheet_flavour_imports_the_same_records(db, data_manager, fixture):
    outcome = import_file(FIXTURES / fixture, "actor", user=data_manager)
    assert outcome.errors == [] and outcome.counts["created"] == 3
    hts = Actor.objects.get(short_name="HTS")
    assert hts.name == "هيئة تحرير الشام" and hts.kind == "rebel_group" and hts.inter_code == 2
    sna = Actor.objects.get(short_name="SNA")
    assert sna.kind == "rebel_group"  # the label "Rebel group" is accepted for the value
    if fixture != "actors.xlsx":
        assert sna.description == SNA_DESCRIPTION
    assert Actor.objects.get(short_name="SAA").description == ""


def test_the_same_rows_in_another_encoding_are_unchanged(db, data_manager):
    import_file(FIXTURES / "actors_utf8.csv", "actor", user=data_manager)
    outcome = import_file(FIXTURES / "actors_utf16_tab.csv", "actor", user=data_manager)
    assert outcome.counts == {"created": 0, "updated": 0, "unchanged": 3, "refused": 0}


@pytest.mark.parametrize(("fixture", "encoding"), [("actors_windows1256.csv", "windows-1256"),
                                                   ("actors_utf8.csv", "utf-8")])
def test_a_declared_encoding_is_used(db, data_manager, fixture, encoding):
    outcome = import_file(FIXTURES / fixture, "actor", user=data_manager, encoding=encoding)
    assert outcome.errors == [] and Actor.objects.filter(name="هيئة تحرير الشام").exists()


def test_a_wrongly_declared_encoding_is_an_error_not_mojibake(db, data_manager):
    outcome = import_file(FIXTURES / "actors_windows1256.csv", "actor", user=data_manager, encoding="utf-8")
    assert outcome.refused and not Actor.objects.exists()
    assert "not valid utf-8" in outcome.errors[0].reason


def test_a_value_outside_the_vocabulary_names_the_allowed_values(db, data_manager):
    outcome = import_file(FIXTURES / "actors_bad_kind.csv", "actor", user=data_manager)
    assert outcome.refused and not Actor.objects.exists()
    (error,) = outcome.errors
    # Spreadsheet rows: the quoted newline in the row above does not start a new row.
    assert (error.row, error.column, error.value) == (4, "kind", "army")
    assert "allowed: state_forces, foreign_state_forces" in error.reason


def test_a_very_large_cell_is_read_whole(db, data_manager, tmp_path):
    source = Source.objects.create(name="Big outlet", kind=Source.Kind.NEWS_OUTLET)
    text = "نص طويل جدا، " * 200_000  # 2.6 million characters, above the csv module's default limit
    path = tmp_path / "documents.csv"
    path.write_text(f'external_id,title,publisher,text\ndoc-1,A long report,{source.name},"{text}"\n',
                    encoding="utf-8")
    outcome = import_file(path, "document", user=data_manager)
    assert outcome.errors == []
    assert Document.objects.get(external_id="doc-1").text == text


def test_rows_are_streamed_with_flat_memory(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("name,kind\n")
        for i in range(200_000):
            handle.write(f"Actor number {i},militia\n")
    tracemalloc.start()
    table = reading.open_table(path)
    count = sum(1 for _ in table.rows)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 200_000
    assert peak < 2_000_000  # bytes: a few buffers, not the 5 MB file


def test_an_empty_file_and_a_file_of_blank_lines_are_refused(tmp_path):
    for content in (b"", b"\xef\xbb\xbf", b"\r\n\r\n"):
        path = tmp_path / "empty.csv"
        path.write_bytes(content)
        with pytest.raises(reading.FileProblem, match="empty"):
            reading.open_table(path)


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-11-27", datetime.date(2024, 11, 27)),
    ("2011-10-02 00:00:00.000", datetime.date(2011, 10, 2)),
    ("27 November 2024", datetime.date(2024, 11, 27)),
    ("27 Nov 2024", datetime.date(2024, 11, 27)),
    ("November 27, 2024", datetime.date(2024, 11, 27)),
    ("", None),
])
def test_dates_as_written(text, expected):
    assert parse_date(text) == expected


def test_numeric_day_first_dates_only_when_declared():
    with pytest.raises(CellError, match="ambiguous"):
        parse_date("03/04/2024")
    assert parse_date("03/04/2024", dayfirst=True) == datetime.date(2024, 4, 3)
    with pytest.raises(CellError, match="not a real date"):
        parse_date("2024-02-30")


@pytest.mark.parametrize(("text", "low", "high", "qualifier"), [
    ("12", 12, 12, "exact"),
    ("1,200", 1200, 1200, "exact"),
    ("10-12", 10, 12, "range"),
    ("10 to 12", 10, 12, "range"),
    (">35", 36, None, "more_than"),
    ("more than 35", 36, None, "more_than"),
    ("أكثر من 35", 36, None, "more_than"),
    ("at least 4", 4, None, "at_least"),
    ("35+", 35, None, "at_least"),
    ("up to 20", None, 20, "at_most"),
    ("about 50", 50, 50, "about"),
    ("dozens", None, None, "dozens"),
    ("عشرات", None, None, "dozens"),
    ("several", None, None, "several"),
    ("unknown", None, None, "unknown"),
])
def test_numbers_as_reported(text, low, high, qualifier):
    assert parse_quantity(text) == {"low": low, "high": high, "qualifier": qualifier, "wording": text}


def test_a_number_that_cannot_be_read_says_what_is_expected():
    with pytest.raises(QuantityError, match='"more than 35"'):
        parse_quantity("a lot")
