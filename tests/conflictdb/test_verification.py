"""The verification workflow through every door: the domain function (the full role × from × to
matrix), the admin actions and the API; four eyes; reasons; all-or-nothing bulk changes."""

import itertools

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from conflictdb import verification
from conflictdb.models import VerificationStatus as S
from conflictdb.provenance import Channel, acting
from events.models import CasualtyFigure, Claim
from sources.models import Document, Source
from tests.factories import make_world

pytestmark = pytest.mark.django_db

ROLE_PERMS = {
    "editor": {verification.RETRACT},
    "verifier": {verification.RETRACT, verification.VERIFY},
    "researcher": set(),
}


@pytest.fixture
def world(as_editor):
    w = make_world()
    # A second, independent report of the world claim's figure, so claims about it can be
    # corroborated (events.consensus): the matrix below is about roles, not evidence.
    other = Source.objects.create(name="Independent monitor", kind=Source.Kind.MONITOR)
    document = Document.objects.create(publisher=other, title="Monitor bulletin", text="Ten fighters died.")
    second = Claim.objects.create(document=document, claimant=other, event=w["event"], statement="Ten died")
    CasualtyFigure.objects.create(claim=second, category="combatant", outcome="killed", low=10, high=10,
                                  affiliation=w["actor"])
    return w


def with_status(record, status):
    type(record).objects.filter(pk=record.pk).update(verification_status=status)
    record.refresh_from_db()
    return record


@pytest.mark.parametrize("role", list(ROLE_PERMS))
@pytest.mark.parametrize(("origin", "target"), list(itertools.product(S.values, S.values)))
def test_transition_matrix(request, world, role, origin, target):
    user = request.getfixturevalue(role)
    with acting(user=None, channel=Channel.SEED):  # created by nobody, so four eyes never interferes here
        claim = Claim.objects.create(document=world["document"], claimant=world["source"], statement="x",
                                     event=world["event"])
        CasualtyFigure.objects.create(claim=claim, category="combatant", outcome="killed", low=9, high=12,
                                      qualifier="range", affiliation=world["actor"])
    claim = with_status(claim, origin)
    Claim.objects.filter(pk=claim.pk).update(updated_by=None)
    claim.refresh_from_db()
    rule = verification.RULES.get((origin, target))
    expected = rule is not None and rule in ROLE_PERMS[role]
    try:
        verification.transition(claim, target, user=user, reason="matrix")
    except (ValidationError, verification.TransitionRefused):
        allowed = False
    else:
        allowed = True
    assert allowed == expected
    claim.refresh_from_db()
    assert claim.verification_status == (target if expected else origin)


def test_four_eyes_refuses_the_creator_with_a_clear_message(world, django_user_model):
    from django.contrib.auth.models import Group

    author = django_user_model.objects.create_user("victor_verifier_author", password="pw", is_staff=True)
    author.groups.add(Group.objects.get(name="verifiers"))
    with acting(user=author, channel=Channel.ADMIN):
        claim = Claim.objects.create(document=world["document"], claimant=world["source"], statement="mine")
    with pytest.raises(verification.TransitionRefused, match="Four-eyes rule: you created or last changed"):
        verification.transition(claim, S.VERIFIED, user=author, reason="looks right")


def test_four_eyes_counts_the_last_change_too(world, verifier):
    claim = world["claim"]
    with acting(user=verifier, channel=Channel.ADMIN):
        claim.statement = "edited by the verifier"
        claim.save()
    with pytest.raises(verification.TransitionRefused, match="Four-eyes"):
        verification.transition(claim, S.VERIFIED, user=verifier, reason="ok")


def test_reason_is_required(world, verifier):
    with pytest.raises(ValidationError, match="Give a reason"):
        verification.transition(world["claim"], S.CORROBORATED, user=verifier, reason="  ")


def test_impossible_transition_says_what_is_possible(world, verifier):
    claim = with_status(world["claim"], S.RETRACTED)
    with pytest.raises(ValidationError) as excinfo:
        verification.transition(claim, S.VERIFIED, user=verifier, reason="x")
    assert "is retracted; it cannot become verified. From retracted it can become: false, unverified" in str(
        excinfo.value)


def test_each_transition_is_kept_and_the_way_back_is_recorded(world, editor, verifier):
    claim = world["claim"]
    verification.transition(claim, S.RETRACTED, user=editor, reason="duplicate entry")
    verification.transition(claim, S.UNVERIFIED, user=verifier, reason="not a duplicate after all")
    kept = list(verification.transitions_of(claim))
    assert [(t.from_status, t.to_status, t.user, t.reason) for t in kept] == [
        ("retracted", "unverified", verifier, "not a duplicate after all"),
        ("unverified", "retracted", editor, "duplicate entry"),
    ]
    latest, changes = Claim.objects.get(pk=claim.pk).field_changes()[0]
    assert ("verification_status", "retracted", "unverified") in changes
    assert "not a duplicate after all" in latest.history_change_reason
    assert Claim.objects.filter(pk=claim.pk).exists()  # retracted records stay queryable


def test_bulk_is_all_or_nothing(world, verifier, django_user_model):
    others = [Claim.objects.create(document=world["document"], claimant=world["source"], statement=f"c{i}")
              for i in range(2)]
    with acting(user=verifier, channel=Channel.ADMIN):
        own = Claim.objects.create(document=world["document"], claimant=world["source"], statement="own")
    claims = [with_status(c, S.CORROBORATED) for c in [*others, own]]
    done, refusals = verification.transition_many(claims, S.VERIFIED, user=verifier, reason="two sources agree")
    assert done == [] and [r.record.pk for r in refusals] == [own.pk]
    assert set(Claim.objects.filter(pk__in=[c.pk for c in claims]).values_list("verification_status", flat=True)) == {
        "corroborated"}


# --- the admin door ---------------------------------------------------------------------------


def test_admin_action_asks_for_a_reason_then_applies(client, world, verifier):
    client.force_login(verifier)
    url = "/admin/events/claim/"
    data = {"action": "mark_corroborated", "_selected_action": [world["claim"].pk]}
    page = client.post(url, data)
    assert page.status_code == 200 and "Reason" in page.content.decode()
    done = client.post(url, {**data, "apply": "1", "to": "corroborated", "reason": "second outlet agrees"}, follow=True)
    assert "1 marked corroborated." in done.content.decode()
    world["claim"].refresh_from_db()
    assert world["claim"].verification_status == "corroborated"
    change_page = client.get(f"/admin/events/claim/{world['claim'].pk}/change/").content.decode()
    assert "second outlet agrees" in change_page  # the transition is shown on the record


def test_admin_four_eyes_refusal_changes_nothing(client, world, verifier):
    with acting(user=verifier, channel=Channel.ADMIN):
        own = Claim.objects.create(document=world["document"], claimant=world["source"], statement="own")
    with_status(own, S.CORROBORATED)
    client.force_login(verifier)
    response = client.post("/admin/events/claim/", {
        "action": "mark_verified", "_selected_action": [own.pk], "apply": "1", "to": "verified", "reason": "ok"},
        follow=True)
    text = response.content.decode()
    assert "Four-eyes rule" in text and "Nothing was changed." in text
    own.refresh_from_db()
    assert own.verification_status == "corroborated"


def test_researcher_has_no_transition_actions(client, world, researcher):
    client.force_login(researcher)
    assert "mark_verified" not in client.get("/admin/events/claim/").content.decode()


def test_status_is_not_editable_in_the_form(client, world, editor):
    client.force_login(editor)
    page = client.get(f"/admin/events/claim/{world['claim'].pk}/change/").content.decode()
    assert 'name="verification_status"' not in page


# --- the API door -----------------------------------------------------------------------------


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_transition_and_log(world, verifier):
    api = api_for(verifier)
    response = api.post(f"/api/v1/claims/{world['claim'].pk}/transition/",
                        {"to": "corroborated", "reason": "SOHR reports the same"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()[0]["to_status"] == "corroborated"
    log = api.get(f"/api/v1/claims/{world['claim'].pk}/transitions/").json()
    assert log[0]["reason"] == "SOHR reports the same" and log[0]["channel"] == "api"


def test_api_four_eyes_is_a_403_with_the_rule(world, editor, verifier):
    with acting(user=verifier, channel=Channel.API):
        own = Claim.objects.create(document=world["document"], claimant=world["source"], statement="own")
    with_status(own, S.CORROBORATED)
    response = api_for(verifier).post(f"/api/v1/claims/{own.pk}/transition/", {"to": "verified", "reason": "ok"},
                                      format="json")
    assert response.status_code == 403
    assert "Four-eyes rule" in str(response.json())


def test_api_roles(world, editor, researcher):
    url = f"/api/v1/claims/{world['claim'].pk}/transition/"
    assert api_for(researcher).post(url, {"to": "disputed", "reason": "x"}, format="json").status_code == 403
    assert api_for(editor).post(url, {"to": "verified", "reason": "x"}, format="json").status_code == 403
    assert api_for(editor).post(url, {"to": "disputed", "reason": "conflicts with SANA"},
                                format="json").status_code == 201
    missing_reason = api_for(editor).post(url, {"to": "retracted"}, format="json")
    assert missing_reason.status_code == 400 and "reason" in missing_reason.json()


def test_api_bulk_transition_all_or_nothing(world, verifier):
    claims = [Claim.objects.create(document=world["document"], claimant=world["source"], statement=f"c{i}")
              for i in range(3)]
    retracted = with_status(claims[0], S.RETRACTED)
    response = api_for(verifier).post("/api/v1/claims/bulk-transition/", {
        "ids": [c.pk for c in claims], "to": "disputed", "reason": "contradicted"}, format="json")
    assert response.status_code == 400
    assert str(retracted.pk) in response.json()["refused"]
    assert not Claim.objects.filter(pk__in=[c.pk for c in claims], verification_status="disputed").exists()
    ok = api_for(verifier).post("/api/v1/claims/bulk-transition/", {
        "ids": [c.pk for c in claims[1:]], "to": "disputed", "reason": "contradicted"}, format="json")
    assert ok.status_code == 201 and len(ok.json()) == 2


def test_import_cannot_set_a_verification_status(world, data_manager):
    """Through the CSV import door the status is not importable: it moves only by transitions."""
    import csv
    import io

    from conflictdb.csvio.exporting import export_for, write_csv
    from conflictdb.csvio.importing import import_file

    Claim.objects.filter(pk=world["claim"].pk).update(external_id="claim-1")
    stream = io.StringIO()
    write_csv(export_for("claim", data_manager), stream)
    rows = list(csv.DictReader(io.StringIO(stream.getvalue().lstrip("\ufeff"))))
    for row in rows:
        row["verification_status"] = "verified"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    outcome = import_file(io.BytesIO(out.getvalue().encode()), "claim", user=data_manager, file_name="claims.csv")
    assert outcome.counts["updated"] == 0
    assert not Claim.objects.filter(verification_status="verified").exists()
