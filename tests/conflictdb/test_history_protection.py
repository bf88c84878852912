"""Protection follows the record's current state into every past version (issue 16): a source
protected after it was written, an alias, URL, author or description written before, a source
unprotected and protected again, a casualty's personal data before and after a change, a document
whose publisher became protected — through the admin history list, each version's page, the
restore preview, the API history and the API restore's answers, for readers who may not see them;
and an editor, who may, still sees and restores the real values. Rules: conflictdb.protection
(`_live_flags`, `past_version`, `kept_by_restore`, `refuse_hidden_restore`)."""

import json

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from conflictdb import protection
from conflictdb.provenance import Channel, acting
from conflictdb.restore import preview, restore
from conflictdb.roles import EDITORS
from events.models import Casualty
from sources.models import Document, Source, SourceAlias
from tests.factories import make_world

pytestmark = pytest.mark.django_db

LABEL = "Anonymous local source"
# One made-up word per value written before protection (or personal), so a leak names itself.
SECRETS = {
    "source name": "Hyacinth",
    "source description": "Brennock",
    "source url": "hyacinthmarlow",
    "source alias": "Vaneric",
    "publisher name": "Quillfeather",
    "document url": "quillpost",
    "document author": "Vantablem",
    "name protected again": "Pellinore",
    "description written while unprotected": "Stowick",
    "url under a protected publisher": "dravenmoor",
    "casualty name": "Karravan",
    "earlier casualty name": "Ysoldine",
}


@pytest.fixture
def masked_editor(db, django_user_model):
    """An editor's permissions without seeing protected sources or personal data (a volunteer
    given write access): may restore, so reaches the restore pages, but may not see the values."""
    user = django_user_model.objects.create_user(username="mo_maskededitor", password="pw", is_staff=True)
    granted = Group.objects.get(name=EDITORS).permissions.exclude(
        codename__in=["view_protected_source", "view_personal_data"])
    user.user_permissions.set(granted)
    assert not protection.sees_protected_sources(user) and not protection.sees_personal_data(user)
    return user


@pytest.fixture
def world(editor):
    with acting(user=editor, channel=Channel.ADMIN):
        world = make_world()
        # Protected after creation, then renamed: every version before v2 was "unprotected".
        contact = Source.objects.create(name="Hyacinth Marlow Contact", kind=Source.Kind.INDIVIDUAL,
                                        description="Cousin of the Brennock family.",
                                        url="https://t.me/hyacinthmarlow")
        alias = SourceAlias.objects.create(source=contact, name="Vaneric Marlow")
        contact.protected, contact.public_label = True, LABEL
        contact.save()
        contact.name = "Hyacinth Marlow (contact)"
        contact.save()
        # Protected, unprotected, described while unprotected, protected again.
        witness = Source.objects.create(name="Pellinore Stowe", kind=Source.Kind.INDIVIDUAL, protected=True,
                                        public_label="Anonymous eyewitness")
        witness.protected = False
        witness.save()
        witness.description = "Brother-in-law of the Stowick mayor."
        witness.save()
        witness.protected = True
        witness.save()
        # A document whose publisher became protected after the document was written.
        channel = Source.objects.create(name="Quillfeather Channel", kind=Source.Kind.SOCIAL_MEDIA)
        post = Document.objects.create(publisher=channel, title="Channel post 12", url="https://t.me/quillpost/12",
                                       author="Osric Vantablem", text="Three civilians were killed.")
        post.author = "O. Vantablem"
        post.save()
        channel.protected, channel.public_label = True, "Anonymous channel"
        channel.save()
        # A document moved off a protected publisher: its earlier URL named that publisher.
        relayed = Document.objects.create(publisher=channel, title="Relayed post", url="https://t.me/dravenmoor/1",
                                          text="Two civilians were killed.")
        relayed.publisher, relayed.url = world["source"], "https://example.org/relayed"
        relayed.save()
        # Personal data before and after a change.
        victim = Casualty.objects.create(claim=world["claim"], name="Ysoldine Karravan", age=41, sex="female",
                                         category="civilian", outcome="killed")
        victim.name, victim.age, victim.sex = "Ysoldine Karravan-Tell", 42, "unknown"
        victim.save()
    world.update(contact=contact, alias=alias, witness=witness, channel=channel, post=post, relayed=relayed,
                 victim=victim)
    return world


def records(world):
    return [world[name] for name in ("contact", "witness", "channel", "post", "relayed", "victim")]


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def admin_url(record, view, *args):
    info = record._meta.app_label, record._meta.model_name
    return reverse(f"admin:{info[0]}_{info[1]}_{view}", args=[record.pk, *args])


def api_url(record, action):
    route = {"source": "sources", "document": "documents", "casualty": "casualties",
             "sourcealias": "source-aliases"}[record._meta.model_name]
    return f"/api/v1/{route}/{record.pk}/{action}/"


def versions(record):
    return list(record.history.order_by("history_id").values_list("history_id", flat=True))


def delta_changes(history_page):
    """{field label: (old, new)} over a history page's versions, as the page shows them."""
    return {change["field"]: (change["old"], change["new"])
            for record in history_page.context["page_obj"] for change in getattr(record, "history_delta_changes", [])}


def leaks(*responses):
    text = " ".join(response.content.decode() + json.dumps(dict(response.headers)) for response in responses)
    return [what for what, word in SECRETS.items() if word.lower() in text.lower()]


def every_door(user, record):
    """Each page and answer showing a past version of `record` to `user` (restores refused or
    previewed: nothing is written, so every door sees the same history)."""
    admin, api = logged_in(user), api_for(user)
    yield admin.get(admin_url(record, "history"))
    for history_id in versions(record):
        yield admin.get(admin_url(record, "simple_history", history_id))
        yield admin.get(admin_url(record, "restore", history_id))
    yield api.get(api_url(record, "history"))
    yield api.post(api_url(record, "restore"), {"history_id": versions(record)[0], "reason": "undo"}, format="json")
    yield api.post(api_url(record, "restore"), {"history_id": 10**12, "reason": "undo"}, format="json")


# --- the reported leak ----------------------------------------------------------------------------


def test_reported_leak_a_source_protected_after_creation(world, researcher):
    page = logged_in(researcher).get(admin_url(world["contact"], "history"))
    assert page.status_code == 200
    assert "Hyacinth" not in page.content.decode() and LABEL in page.content.decode()


# --- every door, every case -----------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["researcher", "masked_editor"])
def test_no_door_shows_a_past_version_unmasked(request, world, persona):
    user = request.getfixturevalue(persona)
    for record in records(world):
        responses = list(every_door(user, record))
        assert all(response.status_code < 500 for response in responses)
        assert leaks(*responses) == [], record


def test_an_editor_sees_every_past_value(world, editor):
    """No over-masking: the same doors show an editor every value (so the test above can fail)."""
    responses = [response for record in records(world) for response in every_door(editor, record)]
    assert leaks(*responses) == list(SECRETS)


def test_history_list_names_and_diffs_by_current_protection(world, researcher, editor):
    contact = world["contact"]
    page = logged_in(researcher).get(admin_url(contact, "history"))
    assert {str(record.history_object) for record in page.context["page_obj"]} == {LABEL}
    assert delta_changes(page)["Name"] == (protection.PLACEHOLDER, protection.PLACEHOLDER)
    assert delta_changes(page)["Protected"] == ("False", "True")  # the flag itself is no secret
    assert delta_changes(logged_in(editor).get(admin_url(contact, "history")))["Name"] == (
        "Hyacinth Marlow Contact", "Hyacinth Marlow (contact)")
    as_editor = logged_in(editor).get(admin_url(contact, "history")).context["page_obj"]
    assert {str(record.history_object) for record in as_editor} == {"Hyacinth Marlow Contact",
                                                                    "Hyacinth Marlow (contact)"}


def test_version_pages_show_the_label_and_placeholders(world, researcher):
    client = logged_in(researcher)
    first_contact = client.get(admin_url(world["contact"], "simple_history", versions(world["contact"])[0]))
    assert LABEL in first_contact.content.decode() and protection.PLACEHOLDER in first_contact.content.decode()
    first_post = client.get(admin_url(world["post"], "simple_history", versions(world["post"])[0]))
    assert protection.PLACEHOLDER in first_post.content.decode() and leaks(first_post) == []


def test_personal_data_in_every_version_of_a_casualty(world, researcher, editor):
    victim = world["victim"]
    changes = delta_changes(logged_in(researcher).get(admin_url(victim, "history")))
    assert {changes[field] for field in ("Name", "Age", "Sex")} == {(protection.PLACEHOLDER,) * 2}
    for history_id in versions(victim):
        version = logged_in(researcher).get(admin_url(victim, "simple_history", history_id)).content.decode()
        assert ">41<" not in version and ">42<" not in version and protection.PLACEHOLDER in version
    changes = delta_changes(logged_in(editor).get(admin_url(victim, "history")))
    assert changes["Age"] == ("41", "42") and changes["Name"] == ("Ysoldine Karravan", "Ysoldine Karravan-Tell")


def test_an_alias_written_before_protection_is_not_found_in_any_history(world, researcher, editor):
    alias = world["alias"]
    assert logged_in(researcher).get(admin_url(alias, "history")).status_code == 404
    assert logged_in(researcher).get(admin_url(alias, "simple_history", versions(alias)[0])).status_code == 404
    assert api_for(researcher).get(api_url(alias, "history")).status_code == 404
    assert logged_in(editor).get(admin_url(alias, "history")).status_code == 200
    assert api_for(editor).get(api_url(alias, "history")).status_code == 200


def test_past_versions_are_judged_by_the_record_now_not_by_their_own_flags(world, researcher):
    """The domain rule every door calls."""
    contact, post = world["contact"], world["post"]
    first = contact.history.earliest("history_id")
    assert first.protected is False  # as it was then
    assert protection.hidden_fields(researcher, first.instance) == {"name", "description", "url"}
    assert protection.past_version(researcher, first).name == LABEL
    with acting(user=researcher, channel=Channel.ADMIN):
        assert str(first.instance) == LABEL
        assert str(first.history_object) == LABEL and str(first).startswith(LABEL + " as of ")
    assert protection.hidden_fields(researcher, post.history.earliest("history_id").instance) == {
        "url", "archive_url", "author"}
    witness = world["witness"].history.order_by("history_id")[1]  # unprotected then
    assert protection.past_version(researcher, witness).name == "Anonymous eyewitness"


# --- restoring ------------------------------------------------------------------------------------


def test_restore_refusals_name_no_protected_value(world, researcher, masked_editor):
    contact = world["contact"]
    first = versions(contact)[0]
    refused = api_for(researcher).post(api_url(contact, "restore"), {"history_id": first, "reason": "undo"},
                                       format="json")
    assert refused.status_code == 403 and leaks(refused) == []
    hidden = api_for(masked_editor).post(api_url(contact, "restore"), {"history_id": first, "reason": "undo"},
                                         format="json")
    assert hidden.status_code == 400 and "protected data you may not see" in str(hidden.json())
    admin = logged_in(masked_editor).post(admin_url(contact, "restore", first),
                                          {"reason": "undo", "expected_version": contact.version})
    assert admin.status_code == 200 and "protected data you may not see" in admin.content.decode()
    assert leaks(hidden, admin) == []
    contact.refresh_from_db()
    assert contact.name == "Hyacinth Marlow (contact)"  # nothing written


def test_an_editor_restores_a_version_from_before_protection_and_it_stays_protected(world, editor, researcher):
    contact = world["contact"]
    page = logged_in(editor).get(admin_url(contact, "restore", versions(contact)[0])).content.decode()
    assert "Hyacinth Marlow Contact" in page and "Hyacinth Marlow (contact)" in page
    done = logged_in(editor).post(admin_url(contact, "restore", versions(contact)[0]),
                                  {"reason": "the rename was a mistake", "expected_version": contact.version})
    assert done.status_code == 302
    contact.refresh_from_db()
    assert (contact.name, contact.protected, contact.public_label) == ("Hyacinth Marlow Contact", True, LABEL)
    assert api_for(researcher).get(f"/api/v1/sources/{contact.pk}/").json()["name"] == LABEL


def test_an_editor_restores_personal_data_and_a_protected_documents_author(world, editor):
    victim, post = world["victim"], world["post"]
    response = api_for(editor).post(api_url(victim, "restore"), {"history_id": versions(victim)[0], "reason": "typo"},
                                    format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["name"], response.json()["age"]) == ("Ysoldine Karravan", 41)
    response = api_for(editor).post(api_url(post, "restore"), {"history_id": versions(post)[0], "reason": "typo"},
                                    format="json")
    assert response.status_code == 200 and response.json()["author"] == "Osric Vantablem"


def test_a_restore_never_lifts_protection(world, editor):
    """A version from before protection brings back its content, not its lack of protection;
    and a document does not move back to the unprotected publisher it once had."""
    contact = world["contact"]
    _row, differences = preview(contact, versions(contact)[0])
    assert {d.field for d in differences} == {"name"}
    with acting(user=editor, channel=Channel.ADMIN):
        moved = Document.objects.create(publisher=world["source"], title="Forwarded post", text="Two killed.",
                                        author="Osric Vantablem")
        moved.publisher = world["channel"]
        moved.save()
    assert protection.kept_by_restore(moved, moved.history.earliest("history_id").instance) == {"publisher"}
    _row, differences = preview(moved, versions(moved)[0])
    assert differences == []
    witness = world["witness"]
    unprotected = versions(witness)[1]  # unprotected, not yet described
    restored = restore(witness, unprotected, user=editor, reason="the description names him")
    assert (restored.description, restored.protected) == ("", True)
