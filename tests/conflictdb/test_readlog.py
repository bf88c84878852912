"""The read log (conflictdb.readlog): who was shown a protected identity, through which door.

Each door is visited by an editor (who sees protected sources and personal data: logged) and by a
researcher (who sees placeholders: nothing revealed, nothing logged); the log itself is for
administrators only and downloads as CSV."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from conflictdb import readlog
from conflictdb.csvio.exporting import export_for, rows_of
from conflictdb.models import ProtectedRead
from conflictdb.provenance import Channel, acting
from events.models import Casualty, Claim
from sources.models import Document, Source
from tests.factories import DAY, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(editor):
    with acting(user=editor, channel=Channel.ADMIN):
        world = make_world()
        informant = Source.objects.create(name="Abu Kestrel, informant", kind=Source.Kind.ANONYMOUS, protected=True,
                                          public_label="Local source", reliability="C")
        post = Document.objects.create(publisher=informant, title="Channel post", url="https://t.me/kestrel/1",
                                       text="Two civilians were killed.", published_on=DAY)
        told = Claim.objects.create(document=world["document"], claimant=informant, event=world["event"],
                                    statement="A local source said two civilians were killed", date_start=DAY)
        victim = Casualty.objects.create(claim=told, name="Named Victim", age=40, category="civilian",
                                         outcome="killed", place=world["location"])
        unnamed = Casualty.objects.create(claim=told, category="civilian", outcome="killed", place=world["location"])
    world.update(informant=informant, post=post, told=told, victim=victim, unnamed=unnamed)
    return world


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def reads(**filters):
    return set(ProtectedRead.objects.filter(**filters).values_list("content_type__model", "object_id", "door", "kind"))


def admin_url(record, view="change"):
    return reverse(f"admin:{record._meta.app_label}_{record._meta.model_name}_{view}", args=[record.pk])


# --- the rule -----------------------------------------------------------------------------------


def test_what_showing_a_record_reveals(world, editor, researcher):
    informant, told, post = world["informant"], world["told"], world["post"]
    # A claim shows its claimant (protected) and its document (its publisher is not protected).
    assert readlog.revealed(editor, Claim, [told.pk]) == [(Source, informant.pk)]
    # A document of a protected publisher shows its address and by-line, and the publisher.
    assert set(readlog.revealed(editor, Document, [post.pk])) == {(Document, post.pk), (Source, informant.pk)}
    # Personal data: only casualties that hold some ("sex: unknown" is no one's); their claim's
    # protected claimant is shown beside them.
    assert set(readlog.revealed(editor, Casualty, [world["victim"].pk, world["unnamed"].pk])) == {
        (Casualty, world["victim"].pk), (Source, informant.pk)}
    # An unprotected source reveals nothing; a researcher is shown nothing to reveal.
    assert readlog.revealed(editor, Source, [world["source"].pk]) == []
    assert readlog.revealed(researcher, Claim, [told.pk]) == []


def test_system_work_and_anonymous_visitors_are_not_readers(world):
    from django.contrib.auth.models import AnonymousUser

    from conflictdb.protection import SYSTEM

    assert readlog.note(SYSTEM, Source, [world["informant"].pk], readlog.Door.EXPORT) == 0
    assert readlog.note(AnonymousUser(), Source, [world["informant"].pk], readlog.Door.API) == 0
    assert not ProtectedRead.objects.exists()


# --- the doors ----------------------------------------------------------------------------------


def test_admin_change_form_history_and_changelist(world, editor, researcher):
    informant, told = world["informant"], world["told"]
    editing = logged_in(editor)
    assert editing.get(admin_url(informant)).status_code == 200
    assert reads(user=editor) == {("source", informant.pk, "admin", "source")}
    ProtectedRead.objects.all().delete()

    # The claim's page shows its claimant and, in its inline, the named victim.
    assert editing.get(admin_url(told)).status_code == 200
    assert reads(user=editor) >= {("source", informant.pk, "admin", "source"),
                                   ("casualty", world["victim"].pk, "admin", "personal")}
    assert ("casualty", world["unnamed"].pk, "admin", "personal") not in reads(user=editor)
    ProtectedRead.objects.all().delete()

    assert editing.get(admin_url(informant, "history")).status_code == 200
    assert reads(user=editor) == {("source", informant.pk, "admin", "source")}
    ProtectedRead.objects.all().delete()

    assert editing.get(reverse("admin:sources_source_changelist")).status_code == 200
    assert ("source", informant.pk, "admin", "source") in reads(user=editor)

    # A researcher sees the public label on the same pages: nothing is logged.
    browsing = logged_in(researcher)
    for url in (admin_url(told), admin_url(told, "history"), reverse("admin:events_claim_changelist"),
                reverse("admin:sources_document_changelist")):
        assert browsing.get(url).status_code == 200, url
    assert not ProtectedRead.objects.filter(user=researcher).exists()


def test_api_detail_list_and_csv(world, editor, researcher):
    informant, told = world["informant"], world["told"]
    editing = logged_in(editor)
    assert editing.get(f"/api/v1/sources/{informant.pk}/").status_code == 200
    assert reads(user=editor) == {("source", informant.pk, "api", "source")}
    ProtectedRead.objects.all().delete()

    for format_ in ("json", "csv"):
        response = editing.get("/api/v1/claims/", {"format": format_})
        assert response.status_code == 200
        assert ("source", informant.pk, "api", "source") in reads(user=editor), format_
        ProtectedRead.objects.all().delete()

    assert editing.get("/api/v1/casualties/").status_code == 200
    assert reads(user=editor, kind="personal") == {("casualty", world["victim"].pk, "api", "personal")}
    path = ProtectedRead.objects.filter(user=editor).values_list("path", flat=True).first()
    assert path == "/api/v1/casualties/"

    browsing = logged_in(researcher)
    for url in (f"/api/v1/claims/{told.pk}/", "/api/v1/claims/", "/api/v1/casualties/", "/api/v1/documents/"):
        assert browsing.get(url).status_code == 200, url
    assert not ProtectedRead.objects.filter(user=researcher).exists()


def test_file_exports(world, editor, data_manager, researcher):
    export = export_for("sources", data_manager)
    assert any("Abu Kestrel" in " ".join(map(str, row)) for row in rows_of(export))
    assert reads(user=data_manager) == {("source", world["informant"].pk, "export", "source")}

    rows_of(export_for("sources", researcher))
    assert not ProtectedRead.objects.filter(user=researcher).exists()


# --- who may read the log -----------------------------------------------------------------------


def test_the_log_is_for_administrators_and_exports_as_csv(world, editor, verifier, researcher, data_manager,
                                                           django_user_model):
    logged_in(editor).get(admin_url(world["informant"]))
    changelist = reverse("admin:conflictdb_protectedread_changelist")
    for persona in (editor, verifier, researcher, data_manager):
        assert not persona.has_perm("conflictdb.view_protectedread")
        assert logged_in(persona).get(changelist).status_code == 403

    admin_user = django_user_model.objects.create_superuser("ada_admin", password="pw")
    administering = logged_in(admin_user)
    page = administering.get(changelist)
    assert page.status_code == 200 and "edna_editor" in page.content.decode()
    assert not ProtectedRead.objects.filter(user=admin_user).exists()  # reading the log is not a read

    response = administering.post(changelist, {"action": "export_csv", "_selected_action": list(
        ProtectedRead.objects.values_list("pk", flat=True))})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["user"], r["door"], r["model"], r["object_id"]) for r in rows] == [
        ("edna_editor", "admin", "sources.source", str(world["informant"].pk))]

    # A staff member given the view permission alone may read it; nobody may change or add reads.
    auditor = django_user_model.objects.create_user("audrey_auditor", password="pw", is_staff=True)
    auditor.user_permissions.add(Permission.objects.get(
        content_type=ContentType.objects.get_for_model(ProtectedRead), codename="view_protectedread"))
    assert logged_in(auditor).get(changelist).status_code == 200
    read = ProtectedRead.objects.first()
    assert logged_in(admin_user).post(admin_url(read), {"door": "api"}).status_code == 403


def test_the_desk(world, editor):
    post = world["post"]
    with acting(user=editor, channel=Channel.ADMIN):
        Claim.objects.create(document=post, claimant=world["informant"], event=world["event"], statement="Post",
                             date_start=DAY)
    response = logged_in(editor).get(reverse("admin:events_claim_desk", args=[post.pk]))
    assert response.status_code == 200
    assert reads(user=editor) == {("document", post.pk, "desk", "source"),
                                  ("source", world["informant"].pk, "desk", "source")}
    assert set(ProtectedRead.objects.values_list("path", flat=True)) == {f"/admin/events/claim/desk/{post.pk}/"}


def test_the_protected_reads_command(world, editor, researcher, tmp_path):
    from django.core.management import CommandError, call_command

    logged_in(editor).get(admin_url(world["informant"]))
    logged_in(editor).get(f"/api/v1/sources/{world['informant'].pk}/")
    out = tmp_path / "reads.csv"
    call_command("protected_reads", "--record", f"sources.source:{world['informant'].pk}", "--user", "edna_editor",
                 "--since", "2000-01-01", "-o", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["user"], r["door"], r["path"]) for r in rows] == [
        ("edna_editor", "admin", admin_url(world["informant"])),
        ("edna_editor", "api", f"/api/v1/sources/{world['informant'].pk}/")]
    call_command("protected_reads", "--until", "2000-01-01", "-o", str(out))
    assert out.read_text(encoding="utf-8").splitlines() == [",".join(readlog.CSV_HEADER)]
    for bad, message in ((["--since", "yesterday"], "not a day"), (["--record", "nope.model:1"], "no model"),
                         (["--record", "sources.source:x"], "not a record id")):
        with pytest.raises(CommandError, match=message):
            call_command("protected_reads", *bad)
