"""The UCDP GED layout: each row an event with its place, actors, a claim from the GED source
fields and casualty figures per party; the sample imports with GED's totals, idempotently."""

import csv
import io
import re
from pathlib import Path

import pytest

from conflictdb.csvio.layouts import import_layout
from events.gazetteer import load_gazetteer
from events.models import CasualtyFigure, Claim, Event, EventActor, EventLocation, Location
from conflictdb.models import ImportBatch
from tests.paths import FIXTURES

# The whole 265-row sample ships with the tests (CC BY 4.0, see fixtures/import/README.md), so the
# totals are checked on every clone, not only where ../shared happens to exist.
SAMPLE = FIXTURES / "import" / "ucdp_ged231_sample_syria.csv"
FIXTURE = FIXTURES / "import" / "ucdp_ged_sample_20.csv"


def _rows(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _import(path, user, **options):
    with open(path, "rb") as handle:
        return import_layout(handle, "ucdp-ged", user=user, file_name=Path(path).name, **options)


@pytest.fixture
def gazetteer(db):
    load_gazetteer()


def _best(figure):
    """GED's best estimate a figure carries: its number, or the best named in a range's wording."""
    if figure.qualifier == "exact":
        return figure.low
    return int(re.match(r"best (\d+)", figure.wording).group(1))


def test_the_ged_sample_imports_with_geds_totals(gazetteer, data_manager):
    rows = _rows(SAMPLE)
    outcome = _import(SAMPLE, data_manager)
    assert outcome.errors == [] and outcome.counts["created"] == len(rows) == 265
    assert Event.objects.filter(external_id__startswith="ucdp-ged:").count() == 265
    figures = list(CasualtyFigure.objects.filter(claim__external_id__startswith="ucdp-ged:")
                   .select_related("claim", "affiliation"))
    assert sum(_best(figure) for figure in figures) == sum(int(row["best"]) for row in rows) == 948
    by_claim = {}
    for figure in figures:
        by_claim.setdefault(figure.claim.external_id, []).append(figure)
    for row in rows:
        claim_figures = by_claim.get(f"ucdp-ged:{row['id']}", [])
        parties = {"deaths_a": 0, "deaths_b": 0, "deaths_civilians": 0, "deaths_unknown": 0}
        assert sum(_best(f) for f in claim_figures) == int(row["best"]), row["id"]
        if sum(1 for name in parties if int(row[name])) == 1:
            (figure,) = claim_figures
            assert figure.low <= int(row["low"]) or figure.low == int(row["best"])
            assert figure.high >= int(row["high"]) or figure.high == int(row["best"])


def test_a_ged_row_becomes_event_place_actors_claim_and_figures(gazetteer, data_manager):
    _import(FIXTURE, data_manager)
    event = Event.objects.get(ucdp_id="186940")  # Rastan, 2011-10-02: 24 civilians (low 24, high 100)
    assert (str(event.date_start), event.event_type, event.sub_event_type) == ("2011-10-02", "battles", "armed_clash")
    place = EventLocation.objects.get(event=event)
    assert place.precision == "exact" and place.location.admin1.pcode == "SY04"
    sides = {link.role: link.actor.name for link in EventActor.objects.filter(event=event).select_related("actor")}
    assert sides == {"side_a": "Government of Syria", "side_b": "Syrian insurgents"}
    claim = Claim.objects.get(external_id="ucdp-ged:186940")
    assert claim.claimant.name == "UCDP GED" and "source_article: AFP 20111002" in claim.document.text
    assert "Syrian Observatory for HR" in claim.document.text
    (figure,) = claim.casualty_figures.all()
    assert (figure.category, figure.outcome, figure.low, figure.high, figure.qualifier) == (
        "civilian", "killed", 24, 100, "range")
    assert figure.import_row == 2 and figure.import_batch.layout == "ucdp-ged"
    vdc = Claim.objects.get(external_id="ucdp-ged:187382").document.text
    assert "Name\tAyman Al Hindi" in vdc  # embedded tabs and doubled quotes kept


def test_reimport_in_the_official_date_format_changes_nothing(gazetteer, data_manager, tmp_path):
    _import(FIXTURE, data_manager)
    history = CasualtyFigure.history.count() + Event.history.count() + Location.history.count()
    text = FIXTURE.read_text(encoding="utf-8")
    official = re.sub(r",(\d{4}-\d{2}-\d{2}),(\d{4}-\d{2}-\d{2}),", r",\1 00:00:00.000,\2 00:00:00.000,", text)
    assert official != text
    path = tmp_path / "ged_official_dates.csv"
    path.write_text(official, encoding="utf-8")
    outcome = _import(path, data_manager)
    assert outcome.errors == [] and outcome.counts["unchanged"] == len(_rows(FIXTURE))
    assert CasualtyFigure.history.count() + Event.history.count() + Location.history.count() == history


def test_a_bad_ged_row_refuses_the_file(gazetteer, data_manager, tmp_path):
    rows = _rows(FIXTURE)
    rows[3]["deaths_a"] = "many"
    rows[5]["adm_1"] = "Atlantis governorate"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "ged_bad.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    outcome = _import(path, data_manager)
    assert outcome.refused and Event.objects.count() == 0
    assert {(e.row, e.column) for e in outcome.errors} == {(5, "deaths_a"), (7, "adm_1")}
    assert ImportBatch.objects.get().status == "refused"
