"""On PostgreSQL a model export's CSV is written by the database (`COPY (SELECT …) TO STDOUT`):
the file must be byte for byte the one the Python rows give, formula safety, natural keys and
protection included; whatever the SELECT cannot say exactly (a mask for this user, date-times)
falls back to the Python rows."""

import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conflictdb.csvio import exporting
from conflictdb.csvio.exporting import export_for, write_csv
from conflictdb.protection import PLACEHOLDER
from conflictdb.provenance import Channel, acting
from events.models import Actor, CasualtyFigure, Claim, Event, Location
from sources.models import Document, Source
from tests.factories import make_world

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")

AWKWARD = ["=1+1", "+963 Media", "-2 dead", "@SUM(A1)", "\tHidden", "\rHidden", 'Say "hi", twice',
           "two\nlines", "crlf\r\nline", "trailing comma,", "ناحية سرمين", "'already quoted", " spaced ", "\\.",
           "'=quoted formula", "''-twice quoted"]


@pytest.fixture
def world(editor):
    with acting(user=editor, channel=Channel.ADMIN):
        world = make_world()
        anonymous = Source.objects.create(name="=Abu Khaled", kind="anonymous", protected=True,
                                          public_label="a local source")
        for number, text in enumerate(AWKWARD):
            actor = Actor.objects.create(name=f"{text} {number}", kind="militia", description=text)
            place = Location.objects.create(name=f"{text} place {number}", kind="community", pcode=text[:10] or "",
                                            geonames_id=None if number % 2 else 1000 + number,
                                            parent=world["governorate"], **({"latitude": Decimal("-33.86785"),
                                            "longitude": Decimal("151.2"), "coordinate_precision": "exact"}
                                                                          if number % 3 else {}))
            document = Document.objects.create(title=text, url="" if number % 2 else f"https://example.org/{number}",
                                               publisher=anonymous if number % 3 == 0 else world["source"],
                                               text=f"Report {number}: {text}")
            event = Event.objects.create(title=text, summary=text, event_type="battles",
                                         date_start=world["event"].date_start, date_end=world["event"].date_end,
                                         civilian_targeting=bool(number % 2), external_id=f"{text[:20]}-{number}")
            claim = Claim.objects.create(document=document, claimant=anonymous if number % 2 else world["source"],
                                         event=event, statement=text, external_id="" if number % 4 else f"c{number}")
            CasualtyFigure.objects.create(claim=claim, category="civilian", outcome="killed", low=number or None,
                                          high=number or None, qualifier="exact" if number else "dozens", wording=text, note=text, place=place if number % 5 else None,
                                          affiliation=actor, perpetrator=actor if number % 2 else None)
    return world


def exported(name, user, copy):
    exporting.COPY_ENABLED = copy
    try:
        out = io.StringIO()
        with CaptureQueriesContext(connection) as queries:
            write_csv(export_for(name, user), out)
    finally:
        exporting.COPY_ENABLED = True
    copied = any(query["sql"].startswith("COPY") for query in queries)
    return out.getvalue(), copied


@on_postgresql
@pytest.mark.parametrize("name", ["casualtyfigure", "claim", "event", "location", "actor", "source", "excerpt",
                                  "claimexcerpt", "eventlocation", "sourcealias", "locationalias", "equipmentloss"])
def test_copy_writes_the_python_file_byte_for_byte(world, data_manager, name):
    by_python, _ = exported(name, data_manager, copy=False)
    by_copy, copied = exported(name, data_manager, copy=True)
    assert copied
    assert by_copy == by_python


@on_postgresql
def test_the_awkward_cells_are_there(world, data_manager):
    text, copied = exported("casualtyfigure", data_manager, copy=True)
    assert copied
    assert "\"two\nlines\"" in text and "\"crlf\r\nline\"" in text and '"Say ""hi"", twice"' in text
    assert "'+963 Media 1" in text and "'\tHidden" in text
    assert "''=quoted formula" in text and "'''-twice quoted" in text and "'already quoted" in text


@on_postgresql
@pytest.mark.parametrize("name", ["claim", "casualtyfigure", "source", "document"])
def test_a_researcher_gets_the_python_rows_and_the_masks(world, researcher, name):
    """Protected sources are masked in Python (protection's masks); the SELECT never sees them."""
    text, copied = exported(name, researcher, copy=True)
    by_python, _ = exported(name, researcher, copy=False)
    assert text == by_python
    assert "=Abu Khaled" not in text and "'=Abu Khaled" not in text
    if name in ("claim", "document"):
        assert not copied  # the claimant's name, the publisher's URL: masked for this user
        assert "a local source" in text or PLACEHOLDER in text or name == "document"


def test_dates_with_times_and_other_databases_use_the_python_rows(world, data_manager):
    export = export_for("document", data_manager)  # retrieved_at: a date-time
    assert export.csv_text(100) is None
    if connection.vendor != "postgresql":
        assert export_for("casualtyfigure", data_manager).csv_text(100) is None


@on_postgresql
def test_copy_keeps_the_pieces_and_the_filter(world, data_manager):
    queryset = CasualtyFigure.objects.filter(low__gte=3)
    export = export_for("casualtyfigure", data_manager, queryset=queryset, limit=7)
    pieces = list(exporting.csv_chunks(export, rows_per_chunk=3, bom=False))
    assert len(pieces) == 3  # 3, 3 and 1 rows, the header with the first
    exporting.COPY_ENABLED = False
    try:
        expected = list(exporting.csv_chunks(export_for("casualtyfigure", data_manager, queryset=queryset, limit=7),
                                             rows_per_chunk=3, bom=False))
    finally:
        exporting.COPY_ENABLED = True
    assert pieces == expected


@on_postgresql
def test_a_distinct_queryset_uses_the_python_rows(world, data_manager):
    queryset = CasualtyFigure.objects.filter(claim__event__isnull=False).distinct()
    assert export_for("casualtyfigure", data_manager, queryset=queryset).csv_text(100) is None
