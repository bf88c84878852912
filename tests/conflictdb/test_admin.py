"""The admin door: every page renders for an editor, permissions hold, and every changelist
keeps a fixed query budget however many rows it holds."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conflictdb.models import TrackedModel
from conflictdb.models import ImportBatch
from conflictdb.roles import ADMINISTRATORS_ONLY
from tests.factories import fill, make_world

pytestmark = pytest.mark.django_db

DOMAIN_MODELS = sorted(
    (m for m in admin.site._registry if m._meta.app_label in {"conflictdb", "sources", "events"}),
    key=lambda m: m._meta.label,
)
TRACKED_MODELS = [m for m in DOMAIN_MODELS if issubclass(m, TrackedModel)]


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def ids(model):
    return model._meta.label


@pytest.fixture
def world(as_editor):
    return make_world()


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def reader_client(request, client, editor, django_user_model):
    """An editor, or an administrator for the tables no working role reads (conflictdb.roles)."""
    model = request.node.callspec.params["model"]
    codename = f"view_{model._meta.model_name}"
    if codename in ADMINISTRATORS_ONLY:
        client.force_login(django_user_model.objects.create_superuser("ada_admin", password="pw"))
    else:
        client.force_login(editor)
    return client


@pytest.mark.parametrize("model", DOMAIN_MODELS, ids=ids)
def test_changelist_renders_for_editor(reader_client, world, model):
    editor_client = reader_client
    fill(model, 3, world)
    response = editor_client.get(url(model, "changelist"))
    assert response.status_code == 200
    response = editor_client.get(url(model, "changelist"), {"q": "a"})
    assert response.status_code == 200


@pytest.mark.parametrize("model", TRACKED_MODELS, ids=ids)
def test_add_and_change_pages_render_for_editor(editor_client, world, model):
    record = fill(model, 1, world)[0]
    assert editor_client.get(url(model, "add")).status_code == 200
    response = editor_client.get(url(model, "change", record.pk))
    assert response.status_code == 200
    assert b"Provenance" in response.content
    assert editor_client.get(url(model, "history", record.pk)).status_code == 200


@pytest.mark.parametrize("model", TRACKED_MODELS, ids=ids)
def test_editor_cannot_delete(editor_client, world, model):
    record = fill(model, 1, world)[0]
    assert editor_client.get(url(model, "delete", record.pk)).status_code == 403
    assert editor_client.post(url(model, "delete", record.pk), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=record.pk).exists()
    response = editor_client.get(url(model, "changelist"))
    assert b'value="delete_selected"' not in response.content


@pytest.mark.parametrize("model", TRACKED_MODELS, ids=ids)
def test_researcher_can_view_but_not_change_or_add(client, researcher, world, model):
    record = fill(model, 1, world)[0]
    client.force_login(researcher)
    assert client.get(url(model, "changelist")).status_code == 200
    assert client.get(url(model, "change", record.pk)).status_code == 200  # read-only view
    assert client.post(url(model, "change", record.pk), {}).status_code == 403
    assert client.get(url(model, "add")).status_code == 403


def test_outsider_sees_nothing(client, outsider):
    client.force_login(outsider)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302  # not staff: back to the login page


def test_nobody_types_an_import_batch(client, editor, verifier):
    client.force_login(verifier)
    assert client.get(url(ImportBatch, "add")).status_code == 403


def test_editor_saves_through_the_admin_with_provenance(editor_client, editor, world):
    from events.models import Actor

    response = editor_client.post(
        url(Actor, "add"),
        {
            "name": "Hay’at Tahrir al-Sham", "short_name": "HTS", "kind": "rebel_group", "inter_code": "2",
            "country": "SY", "description": "", "verification_status": "unverified",
            "aliases-TOTAL_FORMS": "1", "aliases-INITIAL_FORMS": "0", "aliases-0-name": "Jabhat al-Nusra",
            "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
            "affiliated_sources-TOTAL_FORMS": "0", "affiliated_sources-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    actor = Actor.objects.get(short_name="HTS")
    assert (actor.created_by, actor.channel) == (editor, "admin")
    alias = actor.aliases.get()
    assert (alias.normalised, alias.created_by, alias.channel) == ("jabhat al nusra", editor, "admin")


def test_constraint_errors_are_shown_in_the_form(editor_client, world):
    from events.models import CasualtyFigure

    response = editor_client.post(
        url(CasualtyFigure, "add"),
        {"claim": world["claim"].pk, "category": "combatant", "outcome": "killed", "low": "12", "high": "10",
         "qualifier": "range", "verification_status": "unverified"},
    )
    assert response.status_code == 200
    assert "The low figure must not exceed the high figure." in response.content.decode()


@pytest.mark.parametrize("model", DOMAIN_MODELS, ids=ids)
def test_changelist_query_count_stays_flat_from_10_to_1000_rows(reader_client, world, model,
                                                                 django_assert_max_num_queries):
    editor_client = reader_client
    fill(model, 10, world)
    with CaptureQueriesContext(connection) as small:
        assert editor_client.get(url(model, "changelist")).status_code == 200
    fill(model, 990, world)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert editor_client.get(url(model, "changelist")).status_code == 200


def test_duplicate_alias_is_a_form_error_not_a_crash(editor_client, world):
    from events.models import LocationAlias

    LocationAlias.objects.create(location=world["location"], name="Orm al-Sughra")
    response = editor_client.post(
        url(LocationAlias, "add"),
        {"location": world["location"].pk, "name": "Orm al Sughra", "language": "en", "origin": "editor",
         "verification_status": "unverified"},
    )
    assert response.status_code == 200
    assert "This place already has this spelling." in response.content.decode()
