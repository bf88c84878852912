"""The admin door of importing: upload → preview (dry run) → confirm, the button only for data
managers, errors shown and nothing changed, and the import batch's rollback action."""


import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from events.models import Actor, CasualtyFigure, Claim, Location
from conflictdb.models import ImportBatch
from tests.factories import make_world
from tests.paths import FIXTURES

FIXTURES = FIXTURES / "import"
IMPORT_URL = "admin:events_casualtyfigure_import"
CHANGELIST = "admin:events_casualtyfigure_changelist"


@pytest.fixture
def world(db):
    world = make_world()
    Claim.objects.filter(pk=world["claim"].pk).update(external_id="CLM-1")
    Actor.objects.filter(pk=world["actor"].pk).update(name="Faction Hoor")
    Actor.objects.filter(pk=world["actor2"].pk).update(name="Army Hoor")
    Location.objects.filter(pk=world["location"].pk).update(name="Hoor Village")
    return world


def _upload(client, fixture, **fields):
    content = (FIXTURES / fixture).read_bytes()
    return client.post(reverse(IMPORT_URL), {"file": SimpleUploadedFile(fixture, content), **fields})


def test_preview_then_confirm_imports_the_file_as_one_batch(world, client, data_manager):
    client.force_login(data_manager)
    page = client.get(reverse(CHANGELIST))
    assert reverse(IMPORT_URL) in page.content.decode()
    preview = _upload(client, "figures_good.csv")
    assert preview.status_code == 200
    assert "5</strong> to create" in preview.content.decode() and "Confirm import" in preview.content.decode()
    assert CasualtyFigure.objects.count() == 1 and not ImportBatch.objects.exists()  # the preview changed nothing
    response = client.post(reverse(IMPORT_URL), {"token": preview.context["token"], "confirm": "1"})
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert (batch.file_name, batch.user, batch.created_count) == ("figures_good.csv", data_manager, 5)
    assert CasualtyFigure.objects.filter(import_batch=batch, channel="import").count() == 5
    again = client.post(reverse(IMPORT_URL), {"token": preview.context["token"], "confirm": "1"})
    assert again.status_code == 302 and ImportBatch.objects.count() == 1  # a preview is confirmed once


def test_a_bad_file_shows_every_error_and_cannot_be_confirmed(world, client, data_manager):
    client.force_login(data_manager)
    preview = _upload(client, "figures_bad.csv")
    body = preview.content.decode()
    assert "The file cannot be imported" in body and "Confirm import" not in body
    assert preview.context["token"] is None
    assert {error.row for error in preview.context["errors"]} == {2, 3, 4, 5, 6, 7, 9}
    assert "Faction Hor" in body and "closest: &#x27;Faction Hoor&#x27;" in body
    assert CasualtyFigure.objects.count() == 1 and not ImportBatch.objects.exists()


def test_a_declared_encoding_reaches_the_engine(db, client, data_manager):
    client.force_login(data_manager)
    content = (FIXTURES / "actors_windows1256.csv").read_bytes()
    preview = client.post(reverse("admin:events_actor_import"),
                          {"file": SimpleUploadedFile("actors.csv", content), "encoding": "windows-1256"})
    assert preview.context["outcome"].errors == []
    client.post(reverse("admin:events_actor_import"), {"token": preview.context["token"], "confirm": "1"})
    assert Actor.objects.filter(name="هيئة تحرير الشام").exists()


@pytest.mark.parametrize("persona", ["editor", "verifier", "researcher"])
def test_only_data_managers_see_and_use_the_import(world, client, request, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    page = client.get(reverse(CHANGELIST))
    assert reverse(IMPORT_URL) not in page.content.decode()
    assert _upload(client, "figures_good.csv").status_code == 403
    assert CasualtyFigure.objects.count() == 1


def test_derived_consensus_figures_have_no_import(db, client, data_manager):
    client.force_login(data_manager)
    page = client.get(reverse("admin:events_consensusfigure_changelist"))
    assert page.status_code == 200 and "Import CSV" not in page.content.decode()


def test_the_batch_rollback_action_asks_for_a_reason_and_retracts(world, client, data_manager):
    client.force_login(data_manager)
    preview = _upload(client, "figures_good.csv")
    client.post(reverse(IMPORT_URL), {"token": preview.context["token"], "confirm": "1"})
    batch = ImportBatch.objects.get()
    url = reverse("admin:conflictdb_importbatch_changelist")
    ask = client.post(url, {"action": "roll_back", ACTION_CHECKBOX_NAME: [batch.pk]})
    assert ask.status_code == 200 and "Reason" in ask.content.decode()
    done = client.post(url, {"action": "roll_back", ACTION_CHECKBOX_NAME: [batch.pk], "apply": "1",
                             "reason": "uploaded the wrong file"}, follow=True)
    assert "rolled back: retracted: 5 casualty figures" in done.content.decode()
    batch.refresh_from_db()
    assert batch.status == "rolled_back" and batch.rolled_back_by == data_manager
    assert CasualtyFigure.objects.filter(import_batch=batch, verification_status="retracted").count() == 5
