"""Exports stream: rows are read through one chunked cursor and written as they come, so the number
of queries, and the rows held at once, do not grow with the table."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conflictdb.csvio import exporting
from conflictdb.csvio.exporting import export_for, write_csv
from conflictdb.provenance import Channel, acting
from events.models import Actor, CasualtyFigure, Event, EventActor, EventLocation, Location
from tests.factories import make_world


@pytest.fixture
def python_rows(monkeypatch):
    """The Python row path, which these tests are about (PostgreSQL would otherwise COPY)."""
    monkeypatch.setattr(exporting, "COPY_ENABLED", False)


@pytest.fixture
def world(editor):
    with acting(user=editor, channel=Channel.ADMIN):
        return make_world()


def add_figures(world, count):
    with acting(channel=Channel.IMPORT):
        CasualtyFigure.objects.bulk_create(
            CasualtyFigure(claim=world["claim"], category="civilian", outcome="killed", low=n, high=n,
                           place=world["location"], affiliation=world["actor"]) for n in range(count))


@pytest.mark.parametrize("count", [10, 500])
def test_a_model_export_is_one_query_however_many_rows(world, data_manager, count, python_rows):
    add_figures(world, count)
    export = export_for("casualtyfigure", data_manager, chunk_size=50)
    with CaptureQueriesContext(connection) as queries:
        rows = write_csv(export, io.StringIO())
    assert rows == count + 1  # make_world's figure too
    # The rows, plus one read of each small reference table (places, actors) their keys come from.
    assert len(queries) == 3, [query["sql"] for query in queries]


def test_rows_are_produced_before_the_table_is_read(world, data_manager):
    """A generator fed by fetchmany: the first row comes after the first chunk, not the whole table."""
    add_figures(world, 300)
    fetched = []
    export = export_for("casualtyfigure", data_manager, chunk_size=100)
    real = connection.chunked_cursor

    def spying_cursor():
        cursor = real()
        fetchmany = cursor.fetchmany

        def counting(size=None):
            chunk = fetchmany(size)
            fetched.append(len(chunk))
            return chunk

        cursor.fetchmany = counting
        return cursor

    connection.chunked_cursor = spying_cursor
    try:
        rows = export.rows()
        next(rows)
        assert sum(fetched) == 100  # one chunk in memory, not 301 rows
        assert sum(1 for _ in rows) == 300
    finally:
        del connection.chunked_cursor


def test_a_layout_costs_a_fixed_number_of_queries_per_chunk(world, researcher, editor):
    with acting(user=editor, channel=Channel.ADMIN):
        for n in range(9):
            event = Event.objects.create(title=f"Clash {n}", event_type="battles", date_start=world["event"].date_start,
                                         date_end=world["event"].date_end)
            EventActor.objects.create(event=event, actor=world["actor"], role="side_a")
            EventLocation.objects.create(event=event, location=world["location"])
    export = export_for("ucdp-ged", researcher, chunk_size=4)  # reads the user's permissions once
    with CaptureQueriesContext(connection) as queries:
        rows = list(export.rows())
    assert len(rows) == 10
    chunks = 3  # 10 events, 4 per chunk
    assert len(queries) <= 1 + chunks * 5  # events; actors, places, sources, parts and consensus per chunk


def test_the_csv_is_written_in_pieces(world, data_manager):
    add_figures(world, 250)
    pieces = list(exporting.csv_chunks(export_for("casualtyfigure", data_manager), rows_per_chunk=100))
    assert len(pieces) == 3  # 100, 100, 51 rows: never the whole file in one string


def exported_text(name, user):
    out = io.StringIO()
    write_csv(export_for(name, user), out)
    return out.getvalue()


@pytest.mark.parametrize("name", ["casualtyfigure", "locationalias", "equipmentloss", "location", "eventlocation"])
def test_keys_from_reference_tables_are_the_joined_keys(world, data_manager, monkeypatch, name, python_rows):
    """Places, actors and equipment types are read once and looked up by foreign key; the file is
    byte for byte the one the joins write (formula starts and empty keys included)."""
    with acting(channel=Channel.IMPORT):
        risky_place = Location.objects.create(name="=HYPERLINK(1)", kind="community", pcode="-SY99",
                                              parent=world["location"])
        risky_actor = Actor.objects.create(name="+963 Brigade", kind="militia")
        geonames_place = Location.objects.create(name="Tall, \"Big\"", kind="community", geonames_id=170063)
        for place, actor in ((risky_place, risky_actor), (geonames_place, None), (None, world["actor"])):
            CasualtyFigure.objects.create(claim=world["claim"], category="civilian", outcome="killed", low=1, high=1,
                                          place=place, affiliation=actor, perpetrator=risky_actor)
    looked_up = exported_text(name, data_manager)
    monkeypatch.setattr(exporting, "REFERENCE_TABLE_MAX", 0)  # every key joined, as before
    assert exported_text(name, data_manager) == looked_up
    if name == "casualtyfigure":
        assert "'=HYPERLINK(1),'-SY99" in looked_up and "'+963 Brigade" in looked_up
        assert '"Tall, ""Big""",geonames:170063' in looked_up


def test_a_place_added_while_exporting_is_still_named(world, data_manager, python_rows):
    export = export_for("casualtyfigure", data_manager)
    export._reference_rows(Location)  # read before the new place exists
    with acting(channel=Channel.IMPORT):
        late = Location.objects.create(name="Late Village", kind="community", pcode="C9999")
        CasualtyFigure.objects.create(claim=world["claim"], category="civilian", outcome="killed", low=2, high=2,
                                      place=late)
    out = io.StringIO()
    write_csv(export, out)
    assert "Late Village,C9999" in out.getvalue()


@pytest.mark.parametrize("copy", [True, False], ids=["copy-if-postgresql", "python-rows"])
def test_an_export_of_nothing_is_the_header_alone(world, data_manager, monkeypatch, copy):
    """filter(pk__in=[]) makes Django skip the query altogether (EmptyResultSet)."""
    monkeypatch.setattr(exporting, "COPY_ENABLED", copy)
    text = exported_text_of(CasualtyFigure.objects.filter(pk__in=[]), data_manager)
    assert len(text.strip().splitlines()) == 1


def exported_text_of(queryset, user):
    out = io.StringIO()
    write_csv(export_for("casualtyfigure", user, queryset=queryset), out)
    return out.getvalue()
