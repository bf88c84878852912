"""Exports stream: rows are read through one chunked cursor and written as they come, so the number
of queries, and the rows held at once, do not grow with the table."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conflictdb.csvio import exporting
from conflictdb.csvio.exporting import export_for, write_csv
from conflictdb.provenance import Channel, acting
from events.models import CasualtyFigure, Event, EventActor, EventLocation
from tests.factories import make_world


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
def test_a_model_export_is_one_query_however_many_rows(world, data_manager, count):
    add_figures(world, count)
    export = export_for("casualtyfigure", data_manager, chunk_size=50)
    with CaptureQueriesContext(connection) as queries:
        rows = write_csv(export, io.StringIO())
    assert rows == count + 1  # make_world's figure too
    assert len(queries) == 1, [query["sql"] for query in queries]


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
