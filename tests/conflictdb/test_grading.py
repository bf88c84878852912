"""Grading (conflictdb.grading) through every door: the domain function, the guard that holds
for every save, the admin action and the API; who and why kept; "B2" shown with the claim."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from conflictdb import grading
from conflictdb.provenance import Channel, acting
from conflictdb.verification import TransitionRefused
from events.models import Claim
from conflictdb.models import GradeChange
from sources.models import Source
from tests.factories import make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(as_editor):
    return make_world()


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_verifier_regrades_a_source_and_the_change_is_kept(world, verifier):
    source = world["source"]
    change = grading.regrade(source, "b", user=verifier, reason="Track record over 40 reports")
    source.refresh_from_db()
    assert source.reliability == "B"
    assert (change.field, change.from_value, change.to_value, change.user, change.reason) == (
        "reliability", "F", "B", verifier, "Track record over 40 reports")
    latest = source.history.latest()
    assert latest.history_user == verifier and "Track record" in latest.history_change_reason
    assert list(grading.grade_changes_of(source)) == [change]


def test_claim_grade_reads_reliability_then_credibility(world, verifier):
    grading.regrade(world["source"], "B", user=verifier, reason="reliable")
    claim = Claim.objects.get(pk=world["claim"].pk)
    grading.regrade(claim, 2, user=verifier, reason="two other reports agree")
    claim.refresh_from_db()
    assert claim.grade == "B2"


@pytest.mark.parametrize(("value", "message"), [("G", "Unknown reliability"), ("F", "already F")])
def test_bad_grades_are_refused_with_what_was_expected(world, verifier, value, message):
    with pytest.raises(ValidationError, match=message):
        grading.regrade(world["source"], value, user=verifier, reason="x")


def test_a_reason_is_required(world, verifier):
    with pytest.raises(ValidationError, match="Give a reason"):
        grading.regrade(world["source"], "A", user=verifier, reason=" ")


@pytest.mark.parametrize("persona", ["editor", "researcher"])
def test_only_verifiers_grade(request, world, persona):
    with pytest.raises(TransitionRefused, match="Only verifiers may change a reliability"):
        grading.regrade(world["source"], "A", user=request.getfixturevalue(persona), reason="x")
    assert not GradeChange.objects.exists()


def test_a_save_that_changes_a_grade_behind_regrade_is_refused(world, editor):
    claim = Claim.objects.get(pk=world["claim"].pk)
    claim.credibility = 1
    with acting(user=editor, channel=Channel.ADMIN), pytest.raises(ValidationError, match="Change grade"):
        claim.save()
    source = Source.objects.get(pk=world["source"].pk)
    source.reliability = "A"
    with pytest.raises(ValidationError, match="cannot be edited here"):
        source.save()


def test_a_grade_is_set_freely_when_the_record_is_created(world):
    source = Source.objects.create(name="New monitor", kind="monitor", reliability="C")
    assert source.reliability == "C" and not GradeChange.objects.exists()


# --- API ---------------------------------------------------------------------------------------

def test_api_grade_endpoint(world, verifier, editor):
    claim = world["claim"]
    refused = api_for(editor).post(f"/api/v1/claims/{claim.pk}/grade/", {"value": "2", "reason": "x"}, format="json")
    assert refused.status_code == 403
    response = api_for(verifier).post(f"/api/v1/claims/{claim.pk}/grade/",
                                      {"value": "2", "reason": "agrees with the monitor"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["to_value"] == "2" and response.json()["user"] == "vera_verifier"
    log = api_for(editor).get(f"/api/v1/claims/{claim.pk}/grades/").json()
    assert [(g["from_value"], g["to_value"], g["reason"]) for g in log] == [("6", "2", "agrees with the monitor")]
    assert api_for(editor).get(f"/api/v1/claims/{claim.pk}/").json()["grade"] == "F2"


def test_api_grade_needs_a_reason_and_a_valid_value(world, verifier):
    source = world["source"]
    api = api_for(verifier)
    missing = api.post(f"/api/v1/sources/{source.pk}/grade/", {"value": "B", "reason": ""}, format="json")
    assert missing.status_code == 400
    wrong = api.post(f"/api/v1/sources/{source.pk}/grade/", {"value": "Z", "reason": "x"}, format="json")
    assert wrong.status_code == 400 and "Unknown reliability" in str(wrong.json())


def test_api_patch_cannot_change_a_grade(world, verifier):
    response = api_for(verifier).patch(f"/api/v1/claims/{world['claim'].pk}/", {"credibility": 1}, format="json")
    assert response.status_code == 400
    assert "Change grade" in str(response.json())


# --- admin -------------------------------------------------------------------------------------

def test_admin_change_grade_action(client, world, verifier):
    client.force_login(verifier)
    url = reverse("admin:sources_source_changelist")
    form = client.post(url, {"action": "change_grade", "_selected_action": [world["source"].pk]})
    assert form.status_code == 200 and b"Change reliability" in form.content
    done = client.post(url, {"action": "change_grade", "_selected_action": [world["source"].pk], "apply": "1",
                             "value": "B", "reason": "UN cross-checks"}, follow=True)
    assert done.status_code == 200
    world["source"].refresh_from_db()
    assert world["source"].reliability == "B"
    page = client.get(reverse("admin:sources_source_change", args=[world["source"].pk])).content.decode()
    assert "grade changes" in page.lower() and "UN cross-checks" in page


def test_admin_editor_has_no_grade_action_and_grade_is_read_only(client, world, editor):
    client.force_login(editor)
    listing = client.get(reverse("admin:events_claim_changelist"))
    assert b'value="change_grade"' not in listing.content
    page = client.get(reverse("admin:events_claim_change", args=[world["claim"].pk]))
    assert 'name="credibility"' not in page.content.decode()
    assert 'name="credibility"' in client.get(reverse("admin:events_claim_add")).content.decode()


def test_admin_claim_list_shows_the_grade(client, world, researcher):
    client.force_login(researcher)
    listing = client.get(reverse("admin:events_claim_changelist")).content.decode()
    assert ">F6<" in listing


# --- CSV import ----------------------------------------------------------------------------------

def _claims_csv(user):
    import io

    from conflictdb.csvio.exporting import export_for, write_csv

    stream = io.StringIO()
    write_csv(export_for("claim", user), stream)
    return stream.getvalue()


def test_import_cannot_change_a_grade(world, data_manager):
    """An import is one more door: a changed credibility is a row error, and nothing is written."""
    import csv
    import io

    from conflictdb.csvio.importing import import_file

    Claim.objects.filter(pk=world["claim"].pk).update(external_id="claim-1")
    rows = list(csv.DictReader(io.StringIO(_claims_csv(data_manager).lstrip("\ufeff"))))
    assert rows[0]["credibility"] == "6"
    rows[0]["credibility"] = "1"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    outcome = import_file(io.BytesIO(out.getvalue().encode()), "claim", user=data_manager, file_name="claims.csv")
    assert outcome.errors, "a changed grade must be refused"
    assert any("Change grade" in str(error) for error in outcome.errors), outcome.errors[:3]
    assert Claim.objects.get(pk=world["claim"].pk).credibility == 6
    assert not GradeChange.objects.exists()
