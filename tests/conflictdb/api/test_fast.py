"""The fast list path (conflictdb.api.fast) gives byte-for-byte the output of the DRF serializers:
every route, JSON and CSV, brief and field selection, browse and cursor pages, ordering; on the
factory world, on the seed article, and on the edge cases (empty foreign keys, derivation chains
deeper than the columns read)."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from conflictdb.api import fast
from conflictdb.urls import api_router
from events.models import CasualtyFigure, Claim
from sources.models import Document
from tests.factories import fill, make_world

pytestmark = pytest.mark.django_db

ROUTES = [(prefix, viewset.queryset.model) for prefix, viewset, _ in api_router.registry]
ROUTE_IDS = [prefix for prefix, _ in ROUTES]
# Routes whose serializers the fast path must handle (the others may fall back to DRF).
FAST_ROUTES = {"casualty-figures", "casualties", "equipment-losses", "territorial-changes", "attacks", "claims",
               "claim-excerpts", "documents", "excerpts", "event-locations", "event-actors"}
VARIANTS = [
    {},
    {"brief": "1"},
    {"fields": "id,claim,provenance"},
    {"ordering": "-id", "limit": 3, "offset": 1},
    {"paginate": "cursor", "limit": 2},
    {"format": "csv"},
    {"format": "csv", "brief": "1"},
]


@pytest.fixture
def api(researcher):
    client = APIClient()
    client.force_authenticate(researcher)
    return client


@pytest.fixture
def uses(monkeypatch):
    """Counts the pages rendered by the fast path."""
    calls = []
    render = fast.Plan.render

    def counting(self, rows):
        calls.append(len(rows))
        return render(self, rows)

    monkeypatch.setattr(fast.Plan, "render", counting)
    return calls


def both(api, monkeypatch, url, params):
    """The response through the fast path, and the same request through DRF."""
    fast_response = api.get(url, params)
    with monkeypatch.context() as patch:
        patch.setattr(fast.FastListMixin, "fast_formats", ())
        drf_response = api.get(url, params)
    assert fast_response.status_code == drf_response.status_code == 200, fast_response.content[:300]
    return fast_response, drf_response


def assert_same(api, monkeypatch, url, params):
    fast_response, drf_response = both(api, monkeypatch, url, params)
    assert fast_response.content == drf_response.content
    if fast_response["Content-Type"].startswith("application/json"):
        body = fast_response.json()
        if isinstance(body, dict) and body.get("next"):  # and the page the (equal) next links lead to
            fast_next, drf_next = both(api, monkeypatch, body["next"], None)
            assert fast_next.content == drf_next.content


@pytest.mark.parametrize(("prefix", "model"), ROUTES, ids=ROUTE_IDS)
def test_every_route_gives_the_serializers_output(api, monkeypatch, uses, as_editor, prefix, model):
    world = make_world()
    fill(model, 5, world)
    for params in VARIANTS:
        assert_same(api, monkeypatch, f"/api/v1/{prefix}/", params)
    if prefix in FAST_ROUTES:
        assert uses, f"{prefix} fell back to DRF"


def test_seed_article_through_both_paths(api, monkeypatch, uses):
    call_command("load_seeds", verbosity=0)
    for prefix in sorted(FAST_ROUTES):
        for params in ({"limit": 1000}, {"paginate": "cursor", "limit": 7}, {"format": "csv", "limit": 1000}):
            assert_same(api, monkeypatch, f"/api/v1/{prefix}/", params)
    figures = api.get("/api/v1/casualty-figures/", {"limit": 1000}).json()["results"]
    assert any(row["claim"]["document"]["derived_from_chain"] for row in figures)  # a translation's origin
    assert any(row["claim"]["quotes"] for row in figures)
    assert uses


def test_empty_relations_and_deep_derivation_chains(api, monkeypatch, uses, as_editor):
    world = make_world()
    publisher = world["source"]
    chain = [Document.objects.create(publisher=publisher, title="Original", text="Original text")]
    for k in range(4):  # a translation of a republication of … four levels deep
        chain.append(Document.objects.create(publisher=publisher, title=f"Derived {k}", text=f"Text {k}",
                                             derived_from=chain[-1], derivation="translation"))
    for document in chain:
        claim = Claim.objects.create(document=document, claimant=publisher, statement="x")  # no event
        CasualtyFigure.objects.create(claim=claim, category="civilian", outcome="killed", qualifier="unknown")
    for prefix in ("casualty-figures", "claims", "documents"):
        for params in ({"limit": 100}, {"format": "csv", "limit": 100}):
            assert_same(api, monkeypatch, f"/api/v1/{prefix}/", params)
    deepest = api.get("/api/v1/documents/", {"limit": 100}).json()["results"][-1]
    assert [link["title"] for link in deepest["derived_from_chain"]] == ["Derived 2", "Derived 1", "Derived 0",
                                                                          "Original"]
    assert uses


def test_query_count_stays_flat_with_deep_chains_absent(api, django_assert_max_num_queries, as_editor):
    world = make_world()
    fill(CasualtyFigure, 60, world)
    api.get("/api/v1/casualty-figures/", {"limit": 1})
    # auth/permissions, count, page, then one query per related model — whatever the page size
    with django_assert_max_num_queries(12):
        assert api.get("/api/v1/casualty-figures/", {"limit": 60}).status_code == 200
