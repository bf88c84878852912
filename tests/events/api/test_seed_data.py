"""The API on the seed article: aggregate numbers against hand-computed values, and each filter
family answering the questions a researcher asks of that report."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from conflictdb.names import normalise_name

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(researcher):
    call_command("load_seeds", verbosity=0)
    client = APIClient()
    client.force_authenticate(researcher)
    return client


def cells(api, path, **params):
    response = api.get(f"/api/v1/aggregates/{path}/", params)
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def results(api, path, **params):
    response = api.get(f"/api/v1/{path}/", {"limit": 1000, **params})
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def test_casualty_totals_by_outcome_and_category(api):
    by_key = {(c["outcome"], c["category"]): c for c in cells(api, "casualties", group_by="outcome,category")}
    # Killed combatants: "dozens" (outlet), 10 opposition (exact), more than 35 government soldiers,
    # "including officers" (part of the 35+, so not added again). Low = 10 + 36; high unknown.
    killed = by_key[("killed", "combatant")]
    assert (killed["sum_low"], killed["sum_high"]) == (46, None)
    assert (killed["records"], killed["parts"], killed["open_ended"], killed["unknown"]) == (4, 1, 2, 1)
    # The outlet and the military source it quotes, in one article: one source group (derivation-aware,
    # events.consensus's rule: claims resting on the same document are not independent).
    assert (killed["claims"], killed["independent_sources"]) == (3, 1)
    # The child killed; four wounded, "including a woman" (part of the four).
    assert (by_key[("killed", "civilian")]["sum_low"], by_key[("killed", "civilian")]["sum_high"]) == (1, 1)
    wounded = by_key[("injured", "civilian")]
    assert (wounded["sum_low"], wounded["sum_high"], wounded["parts"]) == (4, 4, 1)
    # Five soldiers captured on the 46th Regiment front.
    assert (by_key[("captured", "combatant")]["sum_low"], by_key[("captured", "combatant")]["sum_high"]) == (5, 5)
    # "The families of six others": unknown stays unknown, never zero.
    families = by_key[("killed", "unknown")]
    assert (families["sum_low"], families["sum_high"], families["unknown"]) == (None, None, 1)


def test_casualty_totals_by_admin_area(api):
    aleppo = [c for c in cells(api, "casualties", group_by="admin1") if c["admin1"] and c["admin1"]["pcode"] == "SY02"]
    # Placed figures: "dozens ... in Aleppo governorate" and the five captured at the 46th Regiment base.
    assert len(aleppo) == 1
    assert (aleppo[0]["records"], aleppo[0]["sum_low"], aleppo[0]["sum_high"]) == (2, 5, None)


def test_equipment_totals_by_type_and_status(api):
    by_key = {(c["type"]["name"], c["status"]): c for c in cells(api, "equipment", group_by="type,status")}
    # A tank in Hoor, a tank in al-Hota, three tanks in Ajel.
    assert (by_key[("Tank", "captured")]["sum_low"], by_key[("Tank", "captured")]["records"]) == (5, 3)
    assert by_key[("BMP infantry fighting vehicle", "captured")]["sum_low"] == 2  # Hoor and Ajel
    assert by_key[("23 mm autocannon", "captured")]["sum_low"] == 1
    assert by_key[("Kornet ATGM depot", "captured")]["sum_low"] == 1
    assert by_key[("Artillery piece", "damaged")]["sum_high"] is None  # "several", at least one


def test_equipment_per_place_via_filter(api):
    ajel = cells(api, "equipment", group_by="type", location="Ajel")
    # The launchers have no place of their own, so their event's places (Ajel among them) count.
    assert {(c["type"]["name"], c["sum_low"]) for c in ajel} == {
        ("Tank", 3), ("BMP infantry fighting vehicle", 1), ("23 mm autocannon", 1),
        ("Artillery piece", 1), ("Drone launcher", 1)}
    hoor = cells(api, "equipment", group_by="type", location="Hoor", status="captured")
    assert {(c["type"]["name"], c["sum_low"]) for c in hoor} == {("Tank", 1), ("BMP infantry fighting vehicle", 1)}


def test_bad_group_by_names_the_choices(api):
    response = api.get("/api/v1/aggregates/casualties/", {"group_by": "month,colour"})
    assert response.status_code == 400
    assert "group_by must name one or more of" in str(response.json())


def test_location_filter_accepts_any_spelling(api):
    by_bala = results(api, "territorial-changes", location="Bala")
    by_palau = results(api, "territorial-changes", location="Palau")
    assert by_bala and {r["id"] for r in by_bala} == {r["id"] for r in by_palau}
    assert {r["id"] for r in results(api, "territorial-changes", location="Orm al-Sughra")} == {
        r["id"] for r in results(api, "territorial-changes", location="Urum al-Sughra")}


def test_location_filter_covers_an_admin_area(api):
    idleb = results(api, "attacks", location="SY07")
    places = {normalise_name(r["place"]["name"]) for r in idleb if r["place"]}  # GeoNames spells "Sarmīn"
    assert {"sarmin", "qaminas", "taftanaz"} <= places
    assert not places & {"darat azza", "darat izzah"}  # Aleppo governorate


def test_actor_filter_includes_coalition_members(api):
    mod = results(api, "territorial-changes", actor="Military Operations Department")
    factions = results(api, "territorial-changes", actor="Syrian opposition factions")
    assert {r["id"] for r in factions} <= {r["id"] for r in mod}
    assert len(results(api, "territorial-changes")) == len(mod)  # every capture is by the coalition's side


def test_unknown_place_or_actor_is_a_clear_400(api):
    response = api.get("/api/v1/claims/", {"location": "Atlantis"})
    assert response.status_code == 400
    assert "'Atlantis' is not a known place" in str(response.json())
    response = api.get("/api/v1/claims/", {"actor": "Nobody"})
    assert "No actor is called 'Nobody'" in str(response.json())


def test_figures_by_party_outcome_and_qualifier(api):
    government = results(api, "casualty-figures", party="Syrian government forces", outcome="killed")
    assert {(r["low"], r["high"], r["qualifier"]) for r in government} == {(36, None, "more_than"), (2, None, "at_least")}
    assert all(r["claim"]["grade"] == "F4" for r in government)
    assert results(api, "casualty-figures", subgroup="child")[0]["claim"]["quotes"][0]["text"].startswith("A child")


def test_grades_sources_and_documents(api):
    claims = results(api, "claims")
    assert len(claims) == 25
    translation = next(c["document"] for c in claims)
    assert translation["derived_from_chain"][0]["publisher"] == "+963 Media"
    assert len(results(api, "claims", credibility=4)) == len([c for c in claims if c["credibility"] == 4])
    assert results(api, "claims", source_reliability="A") == []
    assert len(results(api, "claims", verification_status="verified")) == 0  # nothing in one report is verified
    assert len(results(api, "claims", verification_at_least="unverified")) == 25


def test_dates_and_event_types(api):
    assert len(results(api, "events", date_from="2024-11-27", date_to="2024-11-27")) == 8
    assert results(api, "events", date_from="2024-11-28") == []
    air = results(api, "events", sub_event_type="air_drone_strike")
    assert [e["title"] for e in air] == ["Russian and Syrian government air strikes on the western Aleppo and Idlib countrysides"]
    strikes = results(api, "attacks", event_type="explosions_remote_violence")
    assert strikes and all(r["kind"] != "ground_attack" for r in strikes)


def test_geojson_and_bbox(api):
    response = api.get("/api/v1/locations/", {"format": "geojson", "limit": 1000, "geonames_id__isnull": ""})
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    located = [f for f in collection["features"] if f["geometry"]]
    assert located and all(f["geometry"]["type"] == "Point" for f in located)
    # A box around Idlib city holds Idlib's located places and none of Aleppo's.
    inside = results(api, "locations", bbox="36.5,35.8,36.8,36.0")
    assert inside and all(r["latitude"] is not None for r in inside)


def test_bad_bbox_is_explained(api):
    response = api.get("/api/v1/events/", {"bbox": "1,2,3"})
    assert response.status_code == 400
    assert "min_lon,min_lat,max_lon,max_lat" in str(response.json())
