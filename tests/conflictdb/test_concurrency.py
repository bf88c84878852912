"""Optimistic concurrency through every door: two people edit the same record, the second save
is refused with who saved in between, when and which fields — never a silent overwrite.
Domain (conflictdb.concurrency, partial saves included), the admin change form (hidden version),
the API (ETag / If-Match, 412) and, on PostgreSQL, two real database connections at once."""

import threading

import pytest
from django.db import connection, connections
from django.urls import reverse
from rest_framework.test import APIClient

from conflictdb import concurrency, verification
from conflictdb.provenance import Channel, acting
from events.models import Claim
from tests.factories import make_world


@pytest.fixture
def world(as_editor):
    return make_world()


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def edit_meanwhile(claim, user, **values):
    """Another person's save, made from a fresh copy of the record."""
    theirs = Claim.objects.get(pk=claim.pk)
    with acting(user=user, channel=Channel.ADMIN):
        for name, value in values.items():
            setattr(theirs, name, value)
        theirs.save()
    return theirs


# --- domain ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_save_goes_through_when_nobody_saved_in_between(world, editor):
    claim = world["claim"]
    claim.statement = "Eleven fighters killed"
    with acting(user=editor, channel=Channel.ADMIN):
        concurrency.save_if_current(claim, 1)
    claim.refresh_from_db()
    assert (claim.statement, claim.version) == ("Eleven fighters killed", 2)


@pytest.mark.django_db
def test_second_save_is_refused_with_who_when_and_what(world, editor, other_editor):
    mine = Claim.objects.get(pk=world["claim"].pk)
    edit_meanwhile(mine, other_editor, statement="Twelve fighters killed", date_precision="week")
    mine.statement = "My rewrite"
    with acting(user=editor, channel=Channel.ADMIN), pytest.raises(concurrency.StaleVersion) as refused:
        concurrency.save_if_current(mine, 1)
    stale = refused.value
    assert stale.summary.startswith("Saved meanwhile by eric_editor at ")
    assert "statement, date precision. Reload to see their version" in stale.summary
    assert (stale.expected, stale.current, set(stale.fields)) == (1, 2, {"statement", "date_precision"})
    assert [save.user for save in stale.saves] == ["eric_editor"]
    stored = Claim.objects.get(pk=mine.pk)
    assert (stored.statement, stored.version) == ("Twelve fighters killed", 2)


@pytest.mark.django_db
def test_message_names_everyone_who_saved_in_between(world, editor, other_editor, verifier):
    mine = Claim.objects.get(pk=world["claim"].pk)
    edit_meanwhile(mine, other_editor, statement="Twelve")
    verification.transition(Claim.objects.get(pk=mine.pk), "disputed", user=verifier, reason="SANA disagrees")
    stale = concurrency.describe(mine, 1)
    assert "by eric_editor at " in stale.summary and " and vera_verifier at " in stale.summary
    assert ": verification status, statement. Reload" in stale.summary


@pytest.mark.django_db
def test_a_transition_on_a_stale_copy_is_refused_and_the_version_never_goes_back(world, editor, other_editor):
    stale_copy = Claim.objects.get(pk=world["claim"].pk)
    edit_meanwhile(stale_copy, other_editor, statement="Twelve")
    edit_meanwhile(stale_copy, other_editor, statement="Thirteen")
    with pytest.raises(concurrency.StaleVersion, match="Saved meanwhile by eric_editor"):
        verification.transition(stale_copy, "disputed", user=editor, reason="conflicts with SANA")
    stored = Claim.objects.get(pk=stale_copy.pk)
    assert (stored.verification_status, stored.version) == ("unverified", 3)
    verification.transition(stored, "disputed", user=editor, reason="conflicts with SANA")
    assert Claim.objects.get(pk=stored.pk).version == 4


@pytest.mark.django_db
def test_if_match_parsing(world):
    claim = world["claim"]
    assert concurrency.etag(claim) == f'W/"claim-{claim.pk}-v1"'
    assert concurrency.version_from_if_match(f'W/"claim-{claim.pk}-v7"', claim) == 7
    assert concurrency.version_from_if_match(f'"claim-{claim.pk}-v1", W/"claim-{claim.pk}-v0"', claim) == 1
    assert concurrency.version_from_if_match("*", claim) is None
    for foreign in ("bogus", f'W/"claim-{claim.pk + 1}-v1"', f'W/"source-{claim.pk}-v1"', '""'):
        with pytest.raises(ValueError, match="If-Match names no version of this record"):
            concurrency.version_from_if_match(foreign, claim)


# --- admin ----------------------------------------------------------------------------------------


def form_data(response):
    """What the browser would post back: every field of the change form and its inlines."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data.update({management.add_prefix(name): management[name].value() for name in management.fields})
        forms.extend(formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else value
    return data


@pytest.mark.django_db
def test_admin_change_form_carries_the_version_and_saves_when_current(client, world, editor):
    client.force_login(editor)
    url = reverse("admin:events_claim_change", args=[world["claim"].pk])
    page = client.get(url)
    assert 'name="expected_version" value="1"' in page.content.decode()
    data = {**form_data(page), "statement": "Eleven fighters killed"}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    claim = Claim.objects.get(pk=world["claim"].pk)
    assert (claim.statement, claim.version) == ("Eleven fighters killed", 2)


@pytest.mark.django_db
def test_admin_stale_form_is_refused_with_the_changes_and_keeps_what_was_typed(client, world, editor, other_editor):
    client.force_login(editor)
    url = reverse("admin:events_claim_change", args=[world["claim"].pk])
    page = client.get(url)  # the editor opens the form at version 1 …
    edit_meanwhile(world["claim"], other_editor, statement="Twelve fighters killed")  # … eric saves first
    data = {**form_data(page), "statement": "My careful rewrite"}
    response = client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Saved meanwhile by eric_editor at " in html and "statement. Reload to see their version" in html
    assert "My careful rewrite" in html  # what the editor typed is still in the form
    claim = Claim.objects.get(pk=world["claim"].pk)
    assert (claim.statement, claim.version) == ("Twelve fighters killed", 2)


# --- API ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_detail_carries_an_etag_and_if_match_guards_writes(world, editor, other_editor):
    api = api_for(editor)
    url = f"/api/v1/claims/{world['claim'].pk}/"
    first = api.get(url)
    assert first["ETag"] == f'W/"claim-{world["claim"].pk}-v1"'
    ok = api.patch(url, {"statement": "Eleven"}, format="json", HTTP_IF_MATCH=first["ETag"])
    assert ok.status_code == 200, ok.json()
    assert ok["ETag"] == f'W/"claim-{world["claim"].pk}-v2"'
    edit_meanwhile(world["claim"], other_editor, statement="Twelve")
    stale = api.patch(url, {"statement": "Mine"}, format="json", HTTP_IF_MATCH=ok["ETag"])
    assert stale.status_code == 412
    body = stale.json()
    assert body["detail"].startswith("Saved meanwhile by eric_editor at ")
    assert (body["current_version"], body["changed_fields"]) == (3, ["statement"])
    assert body["saved_by"][0]["user"] == "eric_editor" and body["saved_by"][0]["version"] == 3
    assert stale["ETag"] == f'W/"claim-{world["claim"].pk}-v3"'
    assert Claim.objects.get(pk=world["claim"].pk).statement == "Twelve"
    put = api.put(url, {**api.get(url).json(), "document": world["document"].pk, "claimant": world["source"].pk,
                        "event": world["event"].pk, "statement": "Mine"}, format="json", HTTP_IF_MATCH=ok["ETag"])
    assert put.status_code == 412


@pytest.mark.django_db
def test_api_if_match_that_names_no_version_is_412_and_absent_or_star_is_accepted(world, editor):
    api = api_for(editor)
    url = f"/api/v1/claims/{world['claim'].pk}/"
    bogus = api.patch(url, {"statement": "x"}, format="json", HTTP_IF_MATCH="bogus")
    assert bogus.status_code == 412 and "If-Match names no version" in bogus.json()["detail"]
    assert api.patch(url, {"statement": "y"}, format="json", HTTP_IF_MATCH="*").status_code == 200
    assert api.patch(url, {"statement": "z"}, format="json").status_code == 200
    assert Claim.objects.get(pk=world["claim"].pk).version == 3


@pytest.mark.django_db
def test_api_transition_honours_if_match_and_bumps_the_version(world, editor, other_editor):
    api = api_for(editor)
    claim = world["claim"]
    url = f"/api/v1/claims/{claim.pk}/transition/"
    edit_meanwhile(claim, other_editor, statement="Twelve")
    stale = api.post(url, {"to": "disputed", "reason": "SANA disagrees"}, format="json",
                     HTTP_IF_MATCH=f'W/"claim-{claim.pk}-v1"')
    assert stale.status_code == 412 and "statement" in stale.json()["detail"]
    ok = api.post(url, {"to": "disputed", "reason": "SANA disagrees"}, format="json",
                  HTTP_IF_MATCH=f'W/"claim-{claim.pk}-v2"')
    assert ok.status_code == 201
    assert Claim.objects.get(pk=claim.pk).version == 3
    assert api.get(f"/api/v1/claims/{claim.pk}/")["ETag"] == f'W/"claim-{claim.pk}-v3"'


@pytest.mark.django_db
def test_openapi_documents_if_match(editor):
    schema = api_for(editor).get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/claims/{id}/"]["patch"]
    assert any(p["name"] == "If-Match" and p["in"] == "header" for p in operation["parameters"])
    assert "ETag" in schema["paths"]["/api/v1/claims/{id}/"]["get"]["description"]


# --- PostgreSQL: two real connections at once -------------------------------------------------------

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs row locks between two real connections; SQLite serialises all writers in one file",
)


def _in_own_connection(target):
    """Run `target` in a thread, hence on its own database connection, and close it after."""
    errors = []

    def run():
        try:
            target()
        except BaseException as error:  # reported to the test thread
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_postgres_both_read_version_n_first_saves_second_is_refused(editor, other_editor):
    with acting(user=editor, channel=Channel.ADMIN):
        claim_pk = make_world()["claim"].pk
    both_read = threading.Barrier(2, timeout=60)
    first_saved = threading.Event()
    outcome = {}

    def first():
        with acting(user=other_editor, channel=Channel.API):
            mine = Claim.objects.get(pk=claim_pk)
            both_read.wait()
            mine.statement = "Twelve fighters killed"
            concurrency.save_if_current(mine, mine.version)
            first_saved.set()

    def second():
        with acting(user=editor, channel=Channel.API):
            mine = Claim.objects.get(pk=claim_pk)
            outcome["read"] = mine.version
            both_read.wait()
            assert first_saved.wait(timeout=60)
            mine.statement = "Ten fighters and a commander killed"
            try:
                concurrency.save_if_current(mine, mine.version)
            except concurrency.StaleVersion as refused:
                outcome["refused"] = refused.summary

    threads = [_in_own_connection(first), _in_own_connection(second)]
    for thread, errors in threads:
        thread.join(timeout=120)
        assert not errors, errors
    assert outcome["read"] == 1
    assert outcome["refused"].startswith("Saved meanwhile by eric_editor at ")
    assert "statement" in outcome["refused"]
    stored = Claim.objects.get(pk=claim_pk)
    assert (stored.statement, stored.version, stored.updated_by) == ("Twelve fighters killed", 2, other_editor)


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0] > 0


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_postgres_simultaneous_save_waits_for_the_first_then_is_refused(editor, other_editor):
    """The second save starts while the first holds the row: it waits, then sees it lost."""
    with acting(user=editor, channel=Channel.ADMIN):
        claim_pk = make_world()["claim"].pk
    both_read = threading.Barrier(2, timeout=60)
    first_locked, second_is_waiting = threading.Event(), threading.Event()
    outcome = {}

    def first():
        with acting(user=other_editor, channel=Channel.API):
            mine = Claim.objects.get(pk=claim_pk)
            both_read.wait()
            mine.statement = "Twelve fighters killed"
            with concurrency.editing(mine, mine.version):
                first_locked.set()
                outcome["second_waited"] = second_is_waiting.wait(timeout=60)
                mine.save()

    def second():
        with acting(user=editor, channel=Channel.API):
            mine = Claim.objects.get(pk=claim_pk)
            both_read.wait()
            assert first_locked.wait(timeout=60)
            mine.statement = "Ten fighters and a commander killed"
            try:
                concurrency.save_if_current(mine, mine.version)
            except concurrency.StaleVersion as refused:
                outcome["refused"] = refused.summary

    threads = [_in_own_connection(first), _in_own_connection(second)]
    lock_seen = False
    if first_locked.wait(timeout=60):
        for _attempt in range(600):  # wait (bounded) until the second connection blocks on the row lock
            lock_seen = _waiting_on_a_lock()
            if lock_seen:
                break
            threading.Event().wait(0.1)
    second_is_waiting.set()
    for thread, errors in threads:
        thread.join(timeout=120)
        assert not errors, errors
    assert lock_seen and outcome["second_waited"]
    assert outcome["refused"].startswith("Saved meanwhile by eric_editor at ")
    stored = Claim.objects.get(pk=claim_pk)
    assert (stored.statement, stored.version) == ("Twelve fighters killed", 2)
