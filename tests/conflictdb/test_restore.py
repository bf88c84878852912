"""Restore from history through every door: the domain function (a new version, history kept,
provenance and reason stamped, the model's rules obeyed, verification status and grade left to
their workflows), the admin history page and the API; and nothing is hard-deleted by anyone."""

import datetime

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from conflictdb import concurrency, grading, verification
from conflictdb.models import TrackedModel
from conflictdb.provenance import Channel, acting
from conflictdb.restore import RestoreRefused, preview, restore
from events.models import Claim
from sources.models import Document, Excerpt, Source
from tests.factories import fill, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(as_editor):
    return make_world()


@pytest.fixture
def edited_claim(world, editor, other_editor):
    """A claim at version 3: created by the editor, then rewritten twice by another editor."""
    claim = world["claim"]
    with acting(user=other_editor, channel=Channel.ADMIN):
        claim.statement = "Twelve fighters killed"
        claim.save()
        claim.statement = "Twelve fighters and two civilians killed"
        claim.date_precision = "week"
        claim.save()
    assert claim.version == 3
    return claim


def first_version(record):
    return record.history.order_by("history_id").first()


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- domain ---------------------------------------------------------------------------------------


def test_restore_writes_the_old_content_as_a_new_version(edited_claim, editor):
    restored = restore(edited_claim, first_version(edited_claim).history_id, user=editor,
                       reason="the rewrite misread the report")
    assert restored.statement == "Ten fighters killed" and restored.date_precision == "day"
    edited_claim.refresh_from_db()
    assert (edited_claim.statement, edited_claim.version, edited_claim.updated_by) == ("Ten fighters killed", 4, editor)
    assert edited_claim.history.count() == 4  # nothing rewound: the rewrites stay in the history
    latest, changes = edited_claim.field_changes()[0]
    assert latest.history_user == editor
    assert latest.history_change_reason == "restored version 1 (history #%d): the rewrite misread the report" % (
        first_version(edited_claim).history_id)
    assert {field for field, _old, _new in changes} >= {"statement", "date_precision"}


def test_restore_by_date_takes_the_version_current_then(edited_claim, editor):
    second = edited_claim.history.get(version=2)
    restore(edited_claim, second.history_date + datetime.timedelta(microseconds=1), user=editor, reason="back to v2")
    edited_claim.refresh_from_db()
    assert edited_claim.statement == "Twelve fighters killed"
    with pytest.raises(ValidationError, match="did not exist yet"):
        restore(edited_claim, datetime.date(2000, 1, 1), user=editor, reason="too early")


def test_preview_lists_what_would_change_and_writes_nothing(edited_claim):
    row, differences = preview(edited_claim, first_version(edited_claim).history_id)
    assert row.version == 1
    assert {(d.field, d.current, d.restored) for d in differences} == {
        ("statement", "Twelve fighters and two civilians killed", "Ten fighters killed"),
        ("date_precision", "week", "day"),
    }
    edited_claim.refresh_from_db()
    assert edited_claim.version == 3


def test_verification_status_is_not_restored(edited_claim, editor):
    verification.transition(edited_claim, "disputed", user=editor, reason="SANA reports otherwise")
    restore(edited_claim, first_version(edited_claim).history_id, user=editor, reason="undo the rewrite")
    edited_claim.refresh_from_db()
    assert edited_claim.verification_status == "disputed"
    assert edited_claim.statement == "Ten fighters killed"


def test_grade_is_not_restored(world, verifier, editor):
    claim = world["claim"]
    grading.regrade(claim, 2, user=verifier, reason="confirmed by a second monitor")
    with acting(user=editor, channel=Channel.ADMIN):
        claim.statement = "edited"
        claim.save()
    restore(claim, first_version(claim).history_id, user=editor, reason="undo")
    claim.refresh_from_db()
    assert (claim.statement, claim.credibility) == ("Ten fighters killed", 2)


def test_document_text_cannot_be_restored_once_quoted(as_editor, editor):
    source = Source.objects.create(name="Outlet R", kind=Source.Kind.NEWS_OUTLET)
    document = Document.objects.create(publisher=source, title="Report", text="First draft of the text.")
    document.text = "Ten fighters were killed."
    document.save()
    Excerpt.objects.create(document=document, start=0, end=3, text="Ten")
    with pytest.raises(ValidationError) as refused:
        restore(document, first_version(document).history_id, user=editor, reason="the draft was right")
    assert refused.value.message_dict["text"] == [
        "The text cannot change: excerpts are anchored in it. Create a new document version instead."]
    document.refresh_from_db()
    assert (document.text, document.version) == ("Ten fighters were killed.", 2)


def test_restored_values_are_validated_like_any_save(as_editor, editor):
    source = Source.objects.create(name="Monitor A", kind=Source.Kind.MONITOR)
    source.name = "Monitor A (renamed)"
    source.save()
    Source.objects.create(name="Monitor A", kind=Source.Kind.MONITOR)  # the old name is taken now
    with pytest.raises(ValidationError) as refused:
        restore(source, first_version(source).history_id, user=editor, reason="undo rename")
    assert "name" in refused.value.message_dict
    source.refresh_from_db()
    assert source.name == "Monitor A (renamed)"


def test_reason_permission_and_version_are_required(edited_claim, editor, researcher):
    first = first_version(edited_claim).history_id
    with pytest.raises(ValidationError, match="Give a reason"):
        restore(edited_claim, first, user=editor, reason="  ")
    with pytest.raises(RestoreRefused, match="Only those who may change claims"):
        restore(edited_claim, first, user=researcher, reason="x")
    with pytest.raises(ValidationError, match="is not a version of"):
        restore(edited_claim, 10**9, user=editor, reason="x")
    with pytest.raises(ValidationError, match="nothing to restore"):
        restore(edited_claim, edited_claim.history.get(version=3).history_id, user=editor, reason="x")


def test_restore_from_a_stale_version_is_refused_with_what_changed(edited_claim, editor, other_editor):
    with pytest.raises(concurrency.StaleVersion) as refused:
        restore(edited_claim, first_version(edited_claim).history_id, user=editor, reason="undo",
                expected_version=2)
    assert "Saved meanwhile by eric_editor" in refused.value.summary
    assert "statement" in refused.value.summary and "date precision" in refused.value.summary
    edited_claim.refresh_from_db()
    assert edited_claim.version == 3


# --- nothing is hard-deleted; retracted records stay queryable ------------------------------------

TRACKED = sorted((m for m in admin.site._registry if issubclass(m, TrackedModel)), key=lambda m: m._meta.label)


@pytest.mark.parametrize("persona", ["editor", "verifier", "data_manager"])
def test_no_persona_may_delete_in_admin_or_api(request, client, world, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    api = api_for(user)
    for model in TRACKED:
        assert not user.has_perm(f"{model._meta.app_label}.delete_{model._meta.model_name}"), model
    claim = world["claim"]
    delete_url = reverse("admin:events_claim_delete", args=[claim.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert api.delete(f"/api/v1/claims/{claim.pk}/").status_code == 403
    assert Claim.objects.filter(pk=claim.pk).exists()


def test_retracted_records_stay_in_the_api_lists_and_can_be_filtered_out(world, editor, researcher):
    kept = Claim.objects.create(document=world["document"], claimant=world["source"], statement="kept")
    verification.transition(world["claim"], "retracted", user=editor, reason="the outlet withdrew it")
    api = api_for(researcher)
    every = {row["id"] for row in api.get("/api/v1/claims/").json()["results"]}
    assert {world["claim"].pk, kept.pk} <= every  # lists do not hide retracted records
    only_retracted = api.get("/api/v1/claims/", {"verification_status": "retracted"}).json()["results"]
    assert [row["id"] for row in only_retracted] == [world["claim"].pk]
    assert api.get(f"/api/v1/claims/{world['claim'].pk}/").json()["verification_status"] == "retracted"


# --- admin ----------------------------------------------------------------------------------------


def restore_url(record, history_id):
    return reverse("admin:events_claim_restore", args=[record.pk, history_id])


def test_admin_history_offers_restore_to_editors_only(client, edited_claim, editor, researcher):
    history_url = reverse("admin:events_claim_history", args=[edited_claim.pk])
    first = first_version(edited_claim).history_id
    client.force_login(editor)
    page = client.get(history_url).content.decode()
    assert page.count("Restore this version") == 2 and "current version" in page
    assert restore_url(edited_claim, first) in page
    client.force_login(researcher)
    page = client.get(history_url).content.decode()
    assert "Restore this version" not in page
    assert client.get(restore_url(edited_claim, first)).status_code == 403
    assert client.post(restore_url(edited_claim, first), {"reason": "x", "expected_version": 3}).status_code == 403


def test_admin_restore_shows_the_difference_asks_a_reason_then_restores(client, edited_claim, editor):
    client.force_login(editor)
    url = restore_url(edited_claim, first_version(edited_claim).history_id)
    page = client.get(url).content.decode()
    assert "Twelve fighters and two civilians killed" in page and "Ten fighters killed" in page
    assert 'name="expected_version" value="3"' in page
    missing = client.post(url, {"reason": "", "expected_version": 3})
    assert missing.status_code == 200 and "This field is required" in missing.content.decode()
    done = client.post(url, {"reason": "the rewrite misread the report", "expected_version": 3})
    assert done.status_code == 302
    edited_claim.refresh_from_db()
    assert (edited_claim.statement, edited_claim.version, edited_claim.last_channel) == (
        "Ten fighters killed", 4, "admin")
    assert edited_claim.history.first().history_change_reason.endswith("the rewrite misread the report")


def test_admin_restore_from_a_stale_page_is_refused_on_the_form(client, edited_claim, editor):
    client.force_login(editor)
    url = restore_url(edited_claim, first_version(edited_claim).history_id)
    refused = client.post(url, {"reason": "undo", "expected_version": 2})
    assert refused.status_code == 200
    assert "Saved meanwhile by eric_editor" in refused.content.decode()
    edited_claim.refresh_from_db()
    assert edited_claim.version == 3


def test_admin_document_restore_refusal_names_the_rule(client, as_editor, editor):
    source = Source.objects.create(name="Outlet S", kind=Source.Kind.NEWS_OUTLET)
    document = Document.objects.create(publisher=source, title="Report", text="Draft.")
    document.text = "Ten fighters were killed."
    document.save()
    Excerpt.objects.create(document=document, start=0, end=3, text="Ten")
    client.force_login(editor)
    url = reverse("admin:sources_document_restore", args=[document.pk, first_version(document).history_id])
    refused = client.post(url, {"reason": "undo", "expected_version": 2})
    assert refused.status_code == 200
    assert "The text cannot change: excerpts are anchored in it." in refused.content.decode()


def test_simple_history_version_page_cannot_save_old_values(client, edited_claim, editor):
    """simple-history's own per-version form would save an old version (status included) on POST."""
    verification.transition(edited_claim, "disputed", user=editor, reason="conflicts with SANA")
    client.force_login(editor)
    url = reverse("admin:events_claim_simple_history", args=[edited_claim.pk, first_version(edited_claim).history_id])
    assert client.get(url).status_code == 200
    assert client.post(url, {"statement": "x"}).status_code == 403
    edited_claim.refresh_from_db()
    assert (edited_claim.verification_status, edited_claim.version) == ("disputed", 4)


@pytest.mark.parametrize("model", TRACKED, ids=lambda m: m._meta.label)
def test_every_history_page_renders_with_restore_buttons(client, world, editor, model):
    record = fill(model, 1, world)[0]
    client.force_login(editor)
    info = model._meta.app_label, model._meta.model_name
    assert client.get(reverse(f"admin:{info[0]}_{info[1]}_history", args=[record.pk])).status_code == 200
    first = record.history.order_by("history_id").first()
    response = client.get(reverse(f"admin:{info[0]}_{info[1]}_restore", args=[record.pk, first.history_id]))
    assert response.status_code == 200


# --- API ------------------------------------------------------------------------------------------


def test_api_history_lists_versions_newest_first(edited_claim, researcher):
    body = api_for(researcher).get(f"/api/v1/claims/{edited_claim.pk}/history/").json()
    assert [entry["version"] for entry in body] == [3, 2, 1]
    assert body[0]["user"] == "eric_editor" and body[0]["kind"] == "changed"
    assert set(body[0]["changed_fields"]) == {"statement", "date_precision"}
    assert body[-1]["kind"] == "created" and body[-1]["user"] == "edna_editor"


def test_api_restore(edited_claim, editor):
    first = first_version(edited_claim).history_id
    response = api_for(editor).post(f"/api/v1/claims/{edited_claim.pk}/restore/",
                                    {"history_id": first, "reason": "the rewrite misread the report"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["statement"] == "Ten fighters killed"
    assert response.json()["provenance"]["version"] == 4
    assert response["ETag"] == f'W/"claim-{edited_claim.pk}-v4"'
    edited_claim.refresh_from_db()
    assert (edited_claim.last_channel, edited_claim.updated_by) == ("api", editor)


def test_api_restore_refusals(edited_claim, editor, researcher, as_editor):
    url = f"/api/v1/claims/{edited_claim.pk}/restore/"
    first = first_version(edited_claim).history_id
    assert api_for(researcher).post(url, {"history_id": first, "reason": "x"}, format="json").status_code == 403
    no_reason = api_for(editor).post(url, {"history_id": first}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    foreign = Claim.objects.create(document=edited_claim.document, claimant=edited_claim.claimant, statement="other")
    wrong = api_for(editor).post(url, {"history_id": first_version(foreign).history_id, "reason": "x"}, format="json")
    assert wrong.status_code == 400 and "is not a version of" in str(wrong.json())
    stale = api_for(editor).post(url, {"history_id": first, "reason": "x"}, format="json",
                                 HTTP_IF_MATCH=f'W/"claim-{edited_claim.pk}-v2"')
    assert stale.status_code == 412
    assert set(stale.json()["changed_fields"]) == {"statement", "date_precision"}


def test_api_document_text_restore_is_a_400_with_the_rule(as_editor, editor):
    source = Source.objects.create(name="Outlet T", kind=Source.Kind.NEWS_OUTLET)
    document = Document.objects.create(publisher=source, title="Report", text="Draft.")
    document.text = "Ten fighters were killed."
    document.save()
    Excerpt.objects.create(document=document, start=0, end=3, text="Ten")
    response = api_for(editor).post(f"/api/v1/documents/{document.pk}/restore/",
                                    {"history_id": first_version(document).history_id, "reason": "undo"},
                                    format="json")
    assert response.status_code == 400
    assert "The text cannot change: excerpts are anchored in it." in str(response.json()["text"])
