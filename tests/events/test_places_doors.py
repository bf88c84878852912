"""The place matcher and control over time through their doors: the API (resolve, location
filters that take names, control, changed hands) and the admin (autocomplete, resolve page with
alias learning, control on the place page, maps)."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from events.models import Location, LocationAlias

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db):
    call_command("load_seeds", verbosity=0)


@pytest.fixture
def api(seeded, researcher):
    client = APIClient()
    client.force_authenticate(researcher)
    return client


def place(spelling):
    return Location.objects.get(aliases__name=spelling)


# --- API --------------------------------------------------------------------------------------


def test_resolve_finds_a_variant_spelling_with_its_reason(api):
    body = api.get("/api/v1/locations/resolve/", {"name": "Orm al Sughra"}).json()
    assert body["status"] == "matched"
    assert body["match"]["location_id"] == place("Urum al-Sughra").pk
    assert body["match"]["reason"] and body["candidates"][0]["score"] >= 85


@pytest.mark.parametrize(("name", "label"), [
    ("Duma", "Dūmā (community, Duma district, Rural Damascus)"), ("Duma district", "Duma (district, Rural Damascus)"),
    ("Idleb city", "Idlib (community, Idleb district, Idleb)"), ("Damascus countryside", "Rural Damascus (governorate)"),
])
def test_resolve_applies_the_homonym_rule_and_labels(api, name, label):
    body = api.get("/api/v1/locations/resolve/", {"name": name}).json()
    assert body["status"] == "matched" and body["match"]["label"] == label


def test_resolve_never_guesses(api):
    body = api.get("/api/v1/locations/resolve/", {"name": "Xyzzy Town"}).json()
    assert body["status"] == "unknown" and body["match"] is None
    assert "not a known place" in body["message"]
    assert any(s["action"] == "create_place" for s in body["suggestions"])


def test_resolve_scoping_and_bad_parameters(api):
    scoped = api.get("/api/v1/locations/resolve/", {"name": "Neirab", "within": "SY07", "kind": "community"}).json()
    assert scoped["status"] == "matched"
    assert Location.objects.get(pk=scoped["match"]["location_id"]).governorate().pcode == "SY07"
    assert api.get("/api/v1/locations/resolve/", {"name": "x", "near": "91,0"}).status_code == 400
    assert api.get("/api/v1/locations/resolve/", {"name": "x", "kind": "planet"}).status_code == 400
    assert api.get("/api/v1/locations/resolve/").status_code == 400


def test_location_filters_accept_names_the_matcher_resolves(api):
    exact = api.get("/api/v1/territorial-changes/", {"location": "Urum al-Sughra"}).json()["count"]
    variant = api.get("/api/v1/territorial-changes/", {"location": "Orm al Sughra"}).json()["count"]
    assert exact == variant == 2  # captured, in both of the article's lists
    refused = api.get("/api/v1/territorial-changes/", {"location": "Xyzzy Town"})
    assert refused.status_code == 400 and "not a known place" in str(refused.json())


def test_who_controlled_a_place_on_a_date(api):
    bala = place("Bala")
    after = api.get(f"/api/v1/locations/{bala.pk}/control/", {"date": "2024-11-28"}).json()
    assert after["status"] == "controlled"
    assert after["controller"]["name"] in {"Syrian opposition factions", "Military Operations Department"}
    assert len(after["deciding"]) == 2 and all(c["quote"] for c in after["deciding"])
    before = api.get(f"/api/v1/locations/{bala.pk}/control/", {"date": "2024-11-01"}).json()
    assert before["status"] == "unknown" and before["controller"] is None
    assert api.get(f"/api/v1/locations/{bala.pk}/control/", {"date": "tomorrow"}).status_code == 400


def test_places_that_changed_hands(api):
    in_aleppo = api.get("/api/v1/territorial-changes/changed-hands/",
                        {"date_from": "2024-11-27", "date_to": "2024-11-27", "within": "SY02"}).json()
    places = {row["place"]["id"] for row in in_aleppo}
    assert place("Palau").pk in places and place("Ajel").pk in places
    assert api.get("/api/v1/territorial-changes/changed-hands/",
                   {"date_from": "2024-11-01", "date_to": "2024-11-26"}).json() == []
    assert api.get("/api/v1/territorial-changes/changed-hands/",
                   {"date_from": "2024-11-28", "date_to": "2024-11-27"}).status_code == 400


def test_place_endpoints_need_read_access(seeded, outsider):
    client = APIClient()
    client.force_authenticate(outsider)
    assert client.get("/api/v1/locations/resolve/", {"name": "Bala"}).status_code == 403
    assert APIClient().get("/api/v1/territorial-changes/changed-hands/").status_code == 401


# --- admin ------------------------------------------------------------------------------------


def test_admin_autocomplete_understands_spellings(client, seeded, editor):
    client.force_login(editor)
    response = client.get("/admin/autocomplete/", {
        "term": "Orm al Sughra", "app_label": "events", "model_name": "territorialchange", "field_name": "place"})
    assert response.status_code == 200
    assert str(place("Urum al-Sughra").pk) in {row["id"] for row in response.json()["results"]}


def test_admin_resolve_page_learns_a_confirmed_spelling(client, seeded, editor):
    client.force_login(editor)
    target = place("Urum al-Sughra")
    page = client.get("/admin/events/location/resolve/", {"name": "Oroum el Soughra"})
    assert page.status_code == 200 and "Urum" in page.content.decode()
    client.post("/admin/events/location/resolve/", {"name": "Oroum el Soughra", "learn": target.pk})
    alias = LocationAlias.objects.get(name="Oroum el Soughra")
    assert (alias.location, alias.origin, alias.created_by) == (target, "editor", editor)
    exact = client.get("/admin/events/location/resolve/", {"name": "Oroum el Soughra"}).content.decode()
    assert "Matched" in exact


def test_researcher_cannot_learn_spellings(client, seeded, researcher):
    client.force_login(researcher)
    target = place("Ajel")
    client.post("/admin/events/location/resolve/", {"name": "Ajeel", "learn": target.pk})
    assert not LocationAlias.objects.filter(name="Ajeel").exists()


def test_place_page_shows_map_and_control(client, seeded, editor):
    client.force_login(editor)
    located = place("Sarmin")
    page = client.get(f"/admin/events/location/{located.pk}/change/").content.decode()
    assert "events/vendor/leaflet-1.9.4/leaflet.js" in page and "conflictdb-map" in page
    captured = client.get(f"/admin/events/location/{place('Bala').pk}/change/").content.decode()
    assert "Captured" in captured and "Who held it" in captured
    unlocated = client.get(f"/admin/events/location/{place('Anjara').pk}/change/").content.decode()
    assert "coordinates are never invented" in unlocated


def test_event_changelist_has_a_map_of_the_filtered_events(client, seeded, researcher):
    client.force_login(researcher)
    page = client.get("/admin/events/event/", {"event_type__exact": "explosions_remote_violence"}).content.decode()
    assert 'id="events-map"' in page and "Map of the filtered events" in page


def test_changed_hands_page(client, seeded, researcher):
    client.force_login(researcher)
    page = client.get("/admin/events/location/changed-hands/",
                      {"date_from": "2024-11-27", "date_to": "2024-11-27"}).content.decode()
    assert "Ajel" in page and "Captured" in page
