"""Writes through the API use the same domain rules as the admin: validation with the model's
messages, provenance stamped with channel "api", history kept, no hard delete."""

import pytest
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.test import APIClient

from events.models import CasualtyFigure, Claim, LocationAlias
from tests.factories import make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(as_editor):
    return make_world()


@pytest.fixture
def api(client, editor):
    client = APIClient()
    client.force_authenticate(editor)
    return client


def test_editor_creates_a_claim_with_provenance(api, editor, world):
    response = api.post("/api/v1/claims/", {
        "document": world["document"].pk, "claimant": world["source"].pk, "event": world["event"].pk,
        "statement": "More than 35 soldiers killed", "credibility": 3,
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["provenance"]["channel"] == "api"
    assert body["provenance"]["created_by"] == editor.username
    assert body["claimant"]["name"] == world["source"].name  # written as an id, read nested
    assert body["grade"] == "F3"
    assert body["verification_status"] == "unverified"
    claim = Claim.objects.get(pk=body["id"])
    assert claim.history.get().history_user == editor


def test_model_constraint_message_comes_back_as_a_400(api, world):
    response = api.post("/api/v1/casualty-figures/", {
        "claim": world["claim"].pk, "category": "combatant", "outcome": "killed", "low": 12, "high": 10,
        "qualifier": "range",
    }, format="json")
    assert response.status_code == 400
    assert "The low figure must not exceed the high figure." in str(response.json())
    assert not CasualtyFigure.objects.filter(low=12).exists()


def test_duplicate_alias_is_a_400_naming_the_rule(api, world):
    LocationAlias.objects.create(location=world["location"], name="Bala")
    response = api.post("/api/v1/location-aliases/", {"location": world["location"].pk, "name": "BALA"},
                        format="json")
    assert response.status_code == 400
    assert "This place already has this spelling." in str(response.json())


def test_quote_must_match_the_document(api, world):
    response = api.post("/api/v1/excerpts/", {
        "document": world["document"].pk, "start": 0, "end": 12, "text": "Twelve tanks",
    }, format="json")
    assert response.status_code == 400
    assert "does not match the document" in str(response.json())


def test_update_bumps_version_and_keeps_history(api, editor, world):
    response = api.patch(f"/api/v1/claims/{world['claim'].pk}/", {"statement": "Twelve fighters killed"},
                         format="json")
    assert response.status_code == 200
    assert response.json()["provenance"]["version"] == 2
    assert response.json()["provenance"]["last_channel"] == "api"
    latest, changes = Claim.objects.get(pk=world["claim"].pk).field_changes()[0]
    assert ("statement", "Ten fighters killed", "Twelve fighters killed") in changes


def test_verification_status_cannot_be_set_directly(api, world):
    response = api.patch(f"/api/v1/claims/{world['claim'].pk}/", {"verification_status": "verified"},
                         format="json")
    assert response.status_code == 200
    assert response.json()["verification_status"] == "unverified"


def test_token_for_scripts(client, researcher, world):
    response = client.post("/api/token/", {"username": researcher.username, "password": "pw"})
    assert response.status_code == 200
    token = response.json()["token"]
    assert AuthToken.objects.get(user=researcher).digest == hash_token(token)  # only its digest is kept
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/claims/").status_code == 200
    assert api.post("/api/v1/claims/", {}, format="json").status_code == 403


def test_schema_and_offline_docs(client, researcher):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "/api/v1/claims/" in text and "verification_at_least" in text and "group_by" in text
    client.force_login(researcher)
    docs = client.get("/api/docs/").content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist" in docs
    assert "cdn" not in docs.lower() and "unpkg" not in docs.lower()


def test_requests_are_throttled_per_user(researcher, world):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import UserRateThrottle

    original = UserRateThrottle.THROTTLE_RATES
    UserRateThrottle.THROTTLE_RATES = {**api_settings.DEFAULT_THROTTLE_RATES, "user": "2/minute"}
    try:
        api = APIClient()
        api.force_authenticate(researcher)
        statuses = [api.get("/api/v1/claims/").status_code for _ in range(3)]
    finally:
        UserRateThrottle.THROTTLE_RATES = original
    assert statuses == [200, 200, 429]


def test_odd_but_valid_inputs_are_not_server_errors(researcher, world):
    api = APIClient()
    api.force_authenticate(researcher)
    # An offset PostgreSQL would refuse is compared in UTC; a NUL character is refused politely.
    assert api.get("/api/v1/events/", {"created_since": "1435-03-20T07:13:20+21:53"}).status_code == 200
    assert api.get("/api/v1/claims/", {"q": "a\x00b"}).status_code in (200, 400)
