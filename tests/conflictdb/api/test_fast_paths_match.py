"""Where two paths must give the same output, they are compared over everything that has both,
found from the registries (not a list kept by hand), on data with protected sources and personal
data, for each way a reader can see them:

- the API's fast list path (conflictdb.api.fast) against the DRF serializers, on every router
  route whose viewset has the fast path, JSON and CSV;
- the CSV export written by PostgreSQL (`COPY (SELECT …)`) against the Python rows, for every
  model with CSV columns.

A route or model added later is compared without touching this file."""

import io

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from conflictdb import protection
from conflictdb.api import fast
from conflictdb.urls import api_router as router
from conflictdb.csvio import columns, exporting
from conflictdb.provenance import Channel, acting
from events.models import Casualty, CasualtyFigure, Claim, ClaimInclusion, SourceAffiliation
from sources.models import Document, Source, SourceAlias
from tests.factories import fill, make_world

pytestmark = pytest.mark.django_db

FAST_ROUTES = [(prefix, viewset.queryset.model) for prefix, viewset, _ in router.registry
               if issubclass(viewset, fast.FastListMixin)]


def _csv_models():
    found = []
    for model in apps.get_models():
        try:
            found.append((columns.spec_for(model).name, model))
        except KeyError:  # no CSV columns
            pass
    return found


CSV_MODELS = _csv_models()
SECRETS = ("Zorvath", "vexmirra", "Drubakh", "Zulqarnix", "Brasquell", "plonvitt", "Quennix", "يارا")


def test_the_registries_have_something_to_compare():
    assert len(FAST_ROUTES) == len(router.registry) > 20
    assert len(CSV_MODELS) > 10


def protected_world(model):
    """Rows of `model` resting on an open source and on a protected one (name, URL, description,
    alias, affiliation; its documents' author and archive), with casualties' names, ages and sex."""
    open_world, hidden = make_world(), make_world()
    Source.objects.filter(pk=hidden["source"].pk).update(
        name="Abu Zorvath, informant", protected=True, public_label="Anonymous local source",
        url="https://t.me/vexmirra_7731", description="Nephew of the Drubakh mukhtar.")
    Document.objects.filter(pk=hidden["document"].pk).update(
        author="Brasquell", archive_url="https://archive.example/plonvitt", url="https://t.me/vexmirra_7731/55")
    hidden["source"].refresh_from_db()
    hidden["document"].refresh_from_db()
    SourceAlias.objects.create(source=hidden["source"], name="Zulqarnix")
    SourceAffiliation.objects.create(source=hidden["source"], actor=hidden["actor"], note="speaks for the faction")
    Claim.objects.create(document=open_world["document"], claimant=hidden["source"], event=open_world["event"],
                         statement="A local source said four civilians were killed")  # protected claimant only
    # A claim that includes another event's figures (a many-to-many of ids).
    ClaimInclusion.objects.create(claim=open_world["claim"], event=hidden["event"])
    for world in (open_world, hidden):
        fill(model, 3, world)
        Casualty.objects.create(claim=world["claim"], name="Yara Quennix", name_ar="يارا حداد", age=97, sex="female",
                                category="civilian", outcome="killed", place=world["location"])
        CasualtyFigure.objects.create(claim=world["claim"], category="civilian", outcome="killed", low=4, high=4,
                                      place=world["location"])
    return open_world, hidden


@pytest.fixture
def readers(researcher, data_manager, django_user_model):
    """One reader per sight: nothing, everything, and each of the two permissions alone."""

    def researcher_who_may(codename, username):
        user = django_user_model.objects.create_user(username=username, password="pw", is_staff=True)
        user.groups.set(researcher.groups.all())
        user.user_permissions.add(Permission.objects.get(codename=codename))
        return user

    found = {
        "researcher": researcher,
        "data manager": data_manager,
        "personal data only": researcher_who_may("view_personal_data", "pia_personal"),
        "protected sources only": researcher_who_may("view_protected_source", "sol_sources"),
    }
    sights = {name: protection.sight(django_user_model.objects.get(pk=user.pk)) for name, user in found.items()}
    assert len(set(sights.values())) == 4, sights
    return found


def test_the_data_holds_what_protection_hides(as_editor, readers):
    """So the comparisons below see masked and unmasked values."""
    protected_world(Casualty)
    for prefix in ("sources", "documents", "casualties"):
        shown = {}
        for reader, user in readers.items():
            client = APIClient()
            client.force_authenticate(user)
            text = client.get(f"/api/v1/{prefix}/", {"limit": 1000}).content.decode()
            shown[reader] = {secret for secret in SECRETS if secret in text}
        assert shown["data manager"] and not shown["researcher"], (prefix, shown)


# --- the API: fast list path against the serializers -----------------------------------------------


def _responses(client, monkeypatch, url, params):
    rendered = []
    render = fast.Plan.render
    with monkeypatch.context() as patch:
        patch.setattr(fast.Plan, "render", lambda self, rows: rendered.append(len(rows)) or render(self, rows))
        fast_response = client.get(url, params)
    with monkeypatch.context() as patch:
        patch.setattr(fast.FastListMixin, "fast_formats", ())
        drf_response = client.get(url, params)
    assert fast_response.status_code == drf_response.status_code == 200, fast_response.content[:300]
    return fast_response, drf_response, bool(rendered)


@pytest.mark.parametrize(("prefix", "model"), FAST_ROUTES, ids=[prefix for prefix, _ in FAST_ROUTES])
def test_fast_list_path_gives_the_serializers_output_whoever_reads(monkeypatch, as_editor, readers, prefix, model):
    protected_world(model)
    for reader, user in readers.items():
        client = APIClient()
        client.force_authenticate(user)
        used_fast_path = False
        for params in ({"limit": 1000}, {"limit": 1000, "brief": "1"}, {"format": "csv", "limit": 1000}):
            fast_response, drf_response, rendered = _responses(client, monkeypatch, f"/api/v1/{prefix}/", params)
            assert fast_response.content == drf_response.content, (reader, params)
            used_fast_path |= rendered
        if not used_fast_path:  # a fallback must be the compiler's decision, not an accident
            view = dict((p, v) for p, v, _ in router.registry)[prefix]
            serializer = view.serializer_class(many=True, context={"request": None}).child
            with pytest.raises(fast.Unsupported):
                fast.Plan(serializer, model, sight=protection.sight(user))


# --- exports: COPY against the Python rows ------------------------------------------------------------


def exported(name, user, copy):
    exporting.COPY_ENABLED = copy
    try:
        out = io.StringIO()
        with CaptureQueriesContext(connection) as queries:
            exporting.write_csv(exporting.export_for(name, user), out)
    finally:
        exporting.COPY_ENABLED = True
    return out.getvalue(), any(query["sql"].startswith("COPY") for query in queries)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
@pytest.mark.parametrize(("name", "model"), CSV_MODELS, ids=[name for name, _ in CSV_MODELS])
def test_copy_export_gives_the_python_file_whoever_exports(editor, readers, name, model):
    with acting(user=editor, channel=Channel.ADMIN):
        protected_world(model)
    for reader, user in readers.items():
        user.user_permissions.add(Permission.objects.get(codename="export_data"))
        user = type(user).objects.get(pk=user.pk)  # a fresh permission cache
        by_python, _ = exported(name, user, copy=False)
        by_copy, _ = exported(name, user, copy=True)
        assert by_copy == by_python, reader
