"""The filters every endpoint shares, on every route, plus the claim-level filters not covered
on the seed data: each narrows the list to exactly the records it names."""

import datetime

import pytest
from rest_framework.test import APIClient

from conflictdb.urls import api_router
from conflictdb.provenance import Channel, acting
from events.models import Claim
from conflictdb.models import ImportBatch
from sources.models import Document
from tests.factories import fill, make_world

pytestmark = pytest.mark.django_db

ROUTES = [(prefix, viewset.queryset.model) for prefix, viewset, _ in api_router.registry]


@pytest.fixture
def world(as_editor):
    return make_world()


@pytest.fixture
def api(researcher):
    client = APIClient()
    client.force_authenticate(researcher)
    return client


def ids(api, prefix, **params):
    response = api.get(f"/api/v1/{prefix}/", {"limit": 1000, **params})
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize(("prefix", "model"), ROUTES, ids=[p for p, _ in ROUTES])
def test_shared_filters(api, world, prefix, model):
    by_admin = fill(model, 2, world)
    batch = ImportBatch.objects.create(file_name="f.csv", sha256="0" * 64, layout="test")
    with acting(user=None, channel=Channel.IMPORT, batch=batch, row=7):
        imported = fill(model, 1, world)
    everything = set(model.objects.values_list("id", flat=True))
    assert ids(api, prefix, channel="import") == {imported[0].pk}
    assert ids(api, prefix, import_batch=batch.pk) == {imported[0].pk}
    assert ids(api, prefix, id=f"{by_admin[0].pk},{by_admin[1].pk}") == {by_admin[0].pk, by_admin[1].pk}
    future = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)).isoformat()
    assert ids(api, prefix, created_since=future) == set()
    assert ids(api, prefix, updated_since="2000-01-01T00:00:00Z") == everything
    assert ids(api, prefix, verification_status="unverified") == everything
    assert ids(api, prefix, verification_at_least="corroborated") == set()
    ordered = [row["id"] for row in api.get(f"/api/v1/{prefix}/", {"ordering": "-id"}).json()["results"]]
    assert ordered == sorted(ordered, reverse=True)


def test_claim_filters_by_document_source_and_event(api, world):
    other_document = Document.objects.create(publisher=world["source"], title="Other", text="x")
    other = Claim.objects.create(document=other_document, claimant=world["source"], statement="other")
    assert ids(api, "claims", document=other_document.pk) == {other.pk}
    assert ids(api, "claims", source=world["source"].pk) == {world["claim"].pk, other.pk}
    assert ids(api, "claims", event=world["event"].pk) == {world["claim"].pk}
    assert ids(api, "casualty-figures", claim=world["claim"].pk) == {world["figure"].pk}
    assert ids(api, "claims", stance="denies") == set()


def test_bad_filter_values_are_named(api, world):
    response = api.get("/api/v1/claims/", {"credibility": "9"})
    assert response.status_code == 400 and "credibility" in response.json()
    response = api.get("/api/v1/claims/", {"created_since": "yesterday"})
    assert response.status_code == 400 and "created_since" in response.json()
