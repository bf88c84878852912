"""Filters that read like the data: every foreign-key filter of every FilterSet takes an id or a
name (conflictdb.filtersets.NamedFilter), a protected source is matched by its public label
only, `q` is never ignored, and a protected number is an empty CSV cell."""

import csv
import io

import pytest
from django.urls import get_resolver
from rest_framework.test import APIClient

from conflictdb.filtersets import NamedFilter
from conflictdb.models import ImportBatch
from conflictdb.registry import registry
from conflictdb.urls import api_router
from events.models import Actor, Casualty, Claim, EquipmentType, Event, Location
from sources.models import Document, Source
from tests.factories import fill, make_world

pytestmark = pytest.mark.django_db

# Every list endpoint outside the router, with what it needs besides filters.
EXTRA_LISTS = {
    "aggregates/casualties": {"group_by": "category"},
    "aggregates/equipment": {"group_by": "category"},
    "consensus-figures": {},
}
ROUTER_LISTS = {prefix: viewset for prefix, viewset, _ in api_router.registry}


def _extra_views():
    views = {}
    for pattern in get_resolver().url_patterns:
        for inner in getattr(pattern, "url_patterns", []):
            route = str(inner.pattern).removeprefix("v1/").rstrip("/")
            if route in EXTRA_LISTS:
                views[route] = inner.callback.view_class
    return views


LISTS = {**ROUTER_LISTS, **_extra_views()}

# Every NamedFilter of every endpoint's FilterSet, read from the FilterSets themselves.
NAMED_FILTERS = sorted(
    (prefix, param, named.target)
    for prefix, view in LISTS.items()
    if getattr(view, "filterset_class", None) is not None
    for param, named in view.filterset_class.base_filters.items()
    if isinstance(named, NamedFilter)
)

# How the test names a record of each model a resolver is registered for.
NAME_OF = {
    Actor: lambda record: record.name,
    Location: lambda record: record.name,
    EquipmentType: lambda record: record.name,
    Event: lambda record: record.external_id,
    Claim: lambda record: record.external_id,
    Source: lambda record: record.name,
    Document: lambda record: record.url,
}


@pytest.fixture
def world(as_editor):
    world = make_world()
    world["document"].url = "https://example.org/report-1"
    world["document"].save()
    world["import_batch"] = ImportBatch.objects.create(file_name="claims.csv", sha256="0" * 64, layout="claims")
    return world


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def get(client, prefix, **params):
    return client.get(f"/api/v1/{prefix}/", {"limit": 1000, **params})


def rows(response):
    assert response.status_code == 200, response.content
    body = response.json()
    return body["results"] if isinstance(body, dict) else body


def test_every_foreign_key_filter_is_found_and_every_resolver_is_named():
    """The generated list is the real one (not empty), and a new resolver needs a name here."""
    assert len(NAMED_FILTERS) > 40
    assert {model for _, _, model in NAMED_FILTERS} >= set(registry["name_resolvers"])
    assert set(NAME_OF) == set(registry["name_resolvers"])


@pytest.mark.parametrize(("prefix", "param", "model"), NAMED_FILTERS,
                         ids=[f"{prefix}?{param}" for prefix, param, _ in NAMED_FILTERS])
def test_foreign_key_filter_takes_an_id_or_a_name(world, researcher, prefix, param, model):
    api = client_for(researcher)
    extra = EXTRA_LISTS.get(prefix, {})
    record = model.objects.order_by("pk").first()
    by_id = get(api, prefix, **extra, **{param: record.pk})
    assert by_id.status_code == 200, by_id.content
    if model in NAME_OF:
        by_name = get(api, prefix, **extra, **{param: NAME_OF[model](record)})
        assert by_name.status_code == 200, by_name.content
        assert by_name.json() == by_id.json()
    else:  # a record with no name to filter by: an id is asked for, clearly
        refused = get(api, prefix, **extra, **{param: "no such name"})
        assert refused.status_code == 400
        assert "id" in refused.json()[param]


def test_names_narrow_the_list_to_the_records_they_name(world, researcher):
    api = client_for(researcher)
    claim = world["claim"]
    assert {r["id"] for r in rows(get(api, "claims", source=world["source"].name.upper()))} == {claim.pk}
    assert {r["id"] for r in rows(get(api, "claims", document=world["document"].url))} == {claim.pk}
    assert {r["id"] for r in rows(get(api, "claims", event=world["event"].external_id))} == {claim.pk}
    assert {r["id"] for r in rows(get(api, "casualty-figures", claim=claim.external_id))} == {world["figure"].pk}
    assert {r["id"] for r in rows(get(api, "documents", publisher=world["source"].name))} == {world["document"].pk}


def test_an_unknown_name_or_id_is_a_400_that_says_what_to_give(world, researcher):
    api = client_for(researcher)
    unknown = get(api, "claims", source="Nobody Ever")
    assert unknown.status_code == 400
    assert unknown.json()["source"] == ("No source is called 'Nobody Ever' (give an id, or its name, an alias, "
                                        "or the public label of a protected source).")
    missing = get(api, "claims", source=999999)
    assert missing.status_code == 400 and missing.json()["source"] == "No source has id 999999."


def test_a_protected_source_is_matched_by_its_public_label_only(world, researcher, editor, as_editor):
    source = world["source"]
    source.protected, source.public_label = True, "Source 7"
    source.save()
    source.aliases.create(name="Secret Alias")
    claims = {world["claim"].pk}

    reader = client_for(researcher)
    for real_name in (source.name, "Secret Alias"):
        refused = get(reader, "claims", source=real_name)
        assert refused.status_code == 400  # the same answer as for a name nobody has
        assert refused.json()["source"].startswith(f"No source is called {real_name!r}")
    assert {r["id"] for r in rows(get(reader, "claims", source="Source 7"))} == claims

    insider = client_for(editor)
    for real_name in (source.name, "Secret Alias", "Source 7"):
        assert {r["id"] for r in rows(get(insider, "claims", source=real_name))} == claims


@pytest.fixture
def one_of_each(world, as_editor):
    for viewset in ROUTER_LISTS.values():
        model = viewset.queryset.model
        if not model.objects.exists():
            fill(model, 1, world)
    return world


@pytest.mark.parametrize("prefix", sorted(LISTS))
def test_q_filters_or_is_refused_never_ignored(one_of_each, researcher, prefix):
    api = client_for(researcher)
    extra = EXTRA_LISTS.get(prefix, {})
    everything = get(api, prefix, **extra)
    searched = get(api, prefix, q="zzqx-matches-nothing", **extra)
    if searched.status_code == 400:
        assert searched.json() == {"q": "This endpoint has no text search."}
        return
    assert len(rows(searched)) < len(rows(everything))


def test_a_protected_number_is_an_empty_csv_cell(world, researcher, editor, as_editor):
    casualty = Casualty.objects.create(claim=world["claim"], category="civilian", outcome="killed", age=34,
                                       name="Named Person")

    def csv_row(user):
        response = client_for(user).get("/api/v1/casualties/", {"format": "csv", "id": casualty.pk})
        assert response.status_code == 200
        [row] = csv.DictReader(io.StringIO(response.content.decode()))
        return row

    seen_by_researcher = csv_row(researcher)
    assert seen_by_researcher["age"] == ""  # the column stays numbers
    assert seen_by_researcher["name"] == "[protected]"  # a text column says why it is empty
    assert csv_row(editor)["age"] == "34"


def test_every_model_has_a_proper_plural():
    from django.apps import apps

    assert apps.get_model("events", "EquipmentLoss")._meta.verbose_name_plural == "equipment losses"
    for model in apps.get_models():
        assert not model._meta.verbose_name_plural.endswith("ss"), model
