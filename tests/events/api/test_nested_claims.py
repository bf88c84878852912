"""Stance and grade wherever a claim appears: the claim nested in every record a claim states
(casualty figures, casualties, equipment losses, territorial changes, attacks, displacements)
carries its stance and grade in JSON (fast list path and serializers), brief, CSV, GeoJSON and the
file export, so a denial never reads as a second source confirming."""

import csv
import io

import pytest
from rest_framework.test import APIClient

from conflictdb.csvio.exporting import export_for, write_csv
from events.models import (
    Actor,
    Attack,
    Casualty,
    CasualtyFigure,
    Claim,
    Displacement,
    EquipmentLoss,
    EquipmentType,
    Event,
    Location,
    TerritorialChange,
)
from sources.models import Document, Source

pytestmark = pytest.mark.django_db

ENDPOINTS = ("casualty-figures", "casualties", "equipment-losses", "territorial-changes", "attacks", "displacements")
FILE_MODELS = ("casualtyfigure", "casualty", "equipmentloss", "territorialchange", "attack", "displacement")


def states_everything(claim, place, actor, tank):
    """One record of every kind on the claim."""
    figure = CasualtyFigure.objects.create(claim=claim, category="civilian", outcome="killed", low=3, high=3,
                                           qualifier="exact", place=place)
    Casualty.objects.create(claim=claim, figure=figure, category="civilian", outcome="killed", place=place)
    EquipmentLoss.objects.create(claim=claim, equipment_type=tank, status="destroyed", owner=actor, low=1, high=1,
                                 qualifier="exact", place=place)
    TerritorialChange.objects.create(claim=claim, place=place, kind="captured", gaining=actor)
    Attack.objects.create(claim=claim, kind="air_strike", perpetrator=actor, place=place, low=1, high=1,
                          qualifier="exact")
    Displacement.objects.create(claim=claim, unit="families", low=40, high=40, qualifier="exact")


@pytest.fixture
def asserted_and_denied(as_editor):
    """A monitor (B, claim credibility 2) reports a strike on Kafr Nabl and what followed; state
    media (D, credibility 4) denies every word of it, record for record."""
    event = Event.objects.create(title="Strike on Kafr Nabl", event_type="explosions_remote_violence",
                                 sub_event_type="air_drone_strike", date_start="2024-12-05", date_end="2024-12-05")
    place = Location.objects.create(name="Kafr Nabl", kind="community", latitude=35.61, longitude=36.56)
    actor = Actor.objects.create(name="Air force", kind="state_forces")
    tank = EquipmentType.objects.create(name="T-72", category="tank")
    claims = {}
    for key, name, reliability, stance, credibility in (("asserts", "Monitor", "B", "asserts", 2),
                                                        ("denies", "State news agency", "D", "denies", 4)):
        source = Source.objects.create(name=name, kind="monitor", reliability=reliability)
        document = Document.objects.create(publisher=source, title=f"{key} report", text=f"The {key} report.")
        claims[key] = Claim.objects.create(document=document, claimant=source, event=event, stance=stance,
                                           statement=f"It {key} the strike.", credibility=credibility)
        states_everything(claims[key], place, actor, tank)
    return claims


EXPECTED = {"It asserts the strike.": ("asserts", "B2"), "It denies the strike.": ("denies", "D4")}


@pytest.fixture
def api(researcher):
    client = APIClient()
    client.force_authenticate(researcher)
    return client


def stance_and_grade(claim):
    return claim["statement"], (claim["stance"], claim["grade"])


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_json_list_and_detail_carry_stance_and_grade(asserted_and_denied, api, endpoint):
    rows = api.get(f"/api/v1/{endpoint}/").json()["results"]  # the compiled fast list path
    assert dict(stance_and_grade(row["claim"]) for row in rows) == EXPECTED
    for row in rows:  # the serializer's own path
        detail = api.get(f"/api/v1/{endpoint}/{row['id']}/").json()
        assert detail["claim"] == row["claim"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_brief_carries_the_claim_with_stance_and_grade(asserted_and_denied, api, endpoint):
    rows = api.get(f"/api/v1/{endpoint}/", {"brief": "1"}).json()["results"]
    assert dict(stance_and_grade(row["claim"]) for row in rows) == EXPECTED
    assert "provenance" not in rows[0]


def test_claims_brief_carries_stance(asserted_and_denied, api):
    rows = api.get("/api/v1/claims/", {"brief": "1"}).json()["results"]
    assert {row["statement"]: (row["stance"], row["grade"]) for row in rows} == EXPECTED


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_csv_carries_stance_and_grade(asserted_and_denied, api, endpoint):
    text = api.get(f"/api/v1/{endpoint}/", {"format": "csv"}).content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["claim.statement"]: (row["claim.stance"], row["claim.grade"]) for row in rows} == EXPECTED


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_geojson_carries_stance_and_grade(asserted_and_denied, api, endpoint):
    response = api.get(f"/api/v1/{endpoint}/", {"format": "geojson"})
    assert response.status_code == 200
    features = response.json()["features"]
    assert dict(stance_and_grade(f["properties"]["claim"]) for f in features) == EXPECTED
    if endpoint != "displacements":  # the record's own place is the point (a displacement has places, not one)
        assert {tuple(f["geometry"]["coordinates"]) for f in features} == {(36.56, 35.61)}


@pytest.mark.parametrize("name", FILE_MODELS)
def test_the_file_export_carries_stance_and_grade(asserted_and_denied, data_manager, name):
    stream = io.StringIO()
    write_csv(export_for(name, data_manager), stream, bom=False)
    rows = list(csv.DictReader(io.StringIO(stream.getvalue())))
    by_claim = {row["claim"]: (row["claim_stance"], row["claim_source_reliability"] + row["claim_credibility"])
                for row in rows}
    assert by_claim == {claim.external_id: EXPECTED[claim.statement] for claim in asserted_and_denied.values()}
