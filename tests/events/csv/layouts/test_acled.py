"""The ACLED layout: an ACLED export imports as is — events with their ACLED ids, places matched
in their admin areas near ACLED's coordinates (or created under them, as for UCDP GED), actors,
and a claim by ACLED with its fatalities; idempotent, refused whole on a bad row."""

import pytest

from events.gazetteer import load_gazetteer
from events.models import CasualtyFigure, Claim, Event, EventActor, EventLocation, Location
from tests.events.csv.layouts.flat_helpers import FLAT, counts, rewrite, rows_of, run

FIXTURE = FLAT / "acled_syria_sample.csv"


@pytest.fixture
def gazetteer(db):
    load_gazetteer()


def test_an_acled_export_imports_as_is(gazetteer, data_manager):
    header, rows = rows_of(FIXTURE)
    outcome = run(FIXTURE, "acled", data_manager)
    assert outcome.errors == [] and outcome.counts["created"] == len(rows) == 15
    assert Event.objects.filter(external_id__startswith="acled:").count() == 15
    total = sum(f.low for f in CasualtyFigure.objects.filter(claim__claimant__name="ACLED"))
    assert total == sum(int(row["fatalities"]) for row in rows) == 69
    clash = Event.objects.get(acled_id="SYR130001")
    assert (clash.event_type, clash.sub_event_type, str(clash.date_start)) == ("battles", "armed_clash", "2024-11-27")
    sides = {link.role: link.actor.name for link in EventActor.objects.filter(event=clash).select_related("actor")}
    assert sides == {"side_a": "Military Forces of Syria (2000-2024)", "side_b": "Hayat Tahrir al-Sham"}
    where = EventLocation.objects.select_related("location").get(event=clash)
    assert where.location.name == "Arīḩā" and where.precision == "exact"


def test_precisions_zero_fatalities_and_a_blank_actor2(gazetteer, data_manager):
    run(FIXTURE, "acled", data_manager)
    protest = Event.objects.get(acled_id="SYR130005")
    assert protest.event_type == "protests" and not CasualtyFigure.objects.filter(claim__event=protest).exists()
    assert "no fatalities reported" in Claim.objects.get(event=protest).statement
    ied = Event.objects.get(acled_id="SYR130004")
    assert ied.sub_event_type == "remote_explosive_landmine_ied"
    assert list(EventActor.objects.filter(event=ied).values_list("role", flat=True)) == ["side_a"]
    assert Event.objects.get(acled_id="SYR130008").date_precision == "week"
    assert Event.objects.get(acled_id="SYR130011").date_precision == "month"
    region = EventLocation.objects.select_related("location").get(event__acled_id="SYR130011")
    assert (region.precision, region.location.kind) == ("admin2", "district")
    near = EventLocation.objects.get(event__acled_id="SYR130002")
    assert near.precision == "near" and near.location.name == "Sarmīn" or near.location.name.startswith("Sarm")
    strike = CasualtyFigure.objects.get(claim__event__acled_id="SYR130003")
    assert (strike.category, strike.outcome, strike.low) == ("civilian", "killed", 8)
    associated = EventActor.objects.get(event__acled_id="SYR130003", role="associated")
    assert associated.actor.name == "Military Forces of Syria (2000-2024)"
    assert associated.actor.kind == "state_forces" and associated.actor.inter_code == 1


def test_a_place_the_gazetteer_lacks_is_created_under_its_admin_area(gazetteer, data_manager):
    run(FIXTURE, "acled", data_manager)
    farm = Location.objects.get(external_id__startswith="acled-place:")
    assert farm.name == "Tall Sukkar Test Farm" and farm.parent.pcode == "SY0502"
    assert farm.coordinate_precision == "approximate" and "ACLED" in farm.attribution


def test_reimport_changes_nothing_and_a_corrected_file_updates(gazetteer, data_manager, tmp_path):
    run(FIXTURE, "acled", data_manager)
    before = counts()
    again = run(FIXTURE, "acled", data_manager)
    assert again.errors == [] and again.counts["unchanged"] == 15
    after = counts()
    assert after.pop("conflictdb.ImportBatch") == before.pop("conflictdb.ImportBatch") + 1 and after == before

    def correct(index, row):
        if index == 0:
            row["fatalities"] = "12"
        if index == 4:
            row["notes"] += " Corrected."

    outcome = run(rewrite(FIXTURE, tmp_path, correct), "acled", data_manager)
    assert outcome.errors == [] and outcome.counts["updated"] == 2 and outcome.counts["unchanged"] == 13
    assert CasualtyFigure.objects.get(claim__event__acled_id="SYR130001").low == 12


def test_bad_acled_rows_refuse_the_file(gazetteer, data_manager, tmp_path):
    def spoil(index, row):
        if index == 1:
            row["sub_event_type"] = "Orbital strike"
        if index == 2:
            row["geo_precision"] = "7"
        if index == 3:
            row["fatalities"] = "many"

    outcome = run(rewrite(FIXTURE, tmp_path, spoil), "acled", data_manager)
    assert outcome.refused and not Event.objects.exists()
    assert {(e.row, e.column) for e in outcome.errors} == {(3, "sub_event_type"), (4, "geo_precision"),
                                                            (5, "fatalities")}


def test_headers_in_another_case_are_read_and_a_missing_one_is_named(gazetteer, data_manager, tmp_path):
    upper = rewrite(FIXTURE, tmp_path, lambda i, r: None, header={"event_id_cnty": "EVENT_ID_CNTY",
                                                                   "sub_event_type": "Sub Event Type"})
    assert run(upper, "acled", data_manager).errors == []
    missing = rewrite(FIXTURE, tmp_path, lambda i, r: None, name="missing.csv", header={"fatalities": "deaths"})
    outcome = run(missing, "acled", data_manager)
    assert [(e.row, e.column) for e in outcome.errors] == [(1, "fatalities")]
