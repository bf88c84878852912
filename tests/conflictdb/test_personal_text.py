"""Personal data in text (conflictdb.protection.mask_personal_text, sources.personal,
events.personal_text): passages marked (or suggested from recorded victims) are masked, same
length, in document text, quotes and statements for readers without `view_personal_data`, in
every door, and never matched by their searches. The leak crawl over every door with names
planted in text is in tests/conflictdb/test_protection.py."""

import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from conflictdb import protection
from conflictdb.csvio import columns as cols
from conflictdb.csvio.exporting import ModelExport
from conflictdb.provenance import Channel, acting
from events.models import Casualty, CasualtyFigure, Claim, ClaimExcerpt
from sources.models import Document, Excerpt, PersonalSpan
from tests.factories import DAY, make_world

pytestmark = pytest.mark.django_db

M = protection.TEXT_MASK
TEXT = ("On Tuesday Hamid al-Rawas, aged 41, was killed with his cousin Samira Oudeh near the mill. "
        "Relatives said HAMID   AL-RAWAS had returned that week.")


@pytest.fixture
def story(editor):
    with acting(user=editor, channel=Channel.ADMIN):
        world = make_world()
        document = Document.objects.create(publisher=world["source"], title="Mill report", text=TEXT, published_on=DAY)
        quote = Excerpt.for_quote(document, "Hamid al-Rawas, aged 41, was killed")
        quote.save()
        claim = Claim.objects.create(document=document, claimant=world["source"], event=world["event"],
                                     statement="Hamid al-Rawas and Samira Oudeh were killed", date_start=DAY)
        ClaimExcerpt.objects.create(claim=claim, excerpt=quote)
        CasualtyFigure.objects.create(claim=claim, category="civilian", outcome="killed", low=2, high=2)
    return {**world, "doc": document, "quote": quote, "statement_claim": claim}


def test_the_rule_masks_same_length_case_and_space_insensitive_at_word_boundaries():
    masked = protection.mask_personal_text("Ali met ALI  Hassan and Alice; ali-hassan.", ["ali hassan", "Ali"])
    assert len(masked) == len("Ali met ALI  Hassan and Alice; ali-hassan.")
    assert masked == f"{M * 3} met {M * 11} and Alice; {M * 3}-hassan."
    assert protection.mask_personal_text("", ["x"]) == ""
    assert protection.mask_personal_text("nothing here", []) == "nothing here"
    # An Arabic name, right to left, is masked the same way.
    assert protection.mask_personal_text("قتل يارا حداد أمس", ["يارا حداد"]) == f"قتل {M * 9} أمس"


def test_a_recorded_victim_is_suggested_and_masked_everywhere(story, editor, researcher):
    document, quote, claim = story["doc"], story["quote"], story["statement_claim"]
    with acting(user=editor, channel=Channel.ADMIN):
        Casualty.objects.create(claim=claim, name="Hamid al-Rawas", category="civilian", outcome="killed")
    spans = list(PersonalSpan.objects.filter(document=document).order_by("start"))
    assert [(s.text, s.state) for s in spans] == [("Hamid al-Rawas", "suggested"), ("HAMID   AL-RAWAS", "suggested")]
    assert spans[0].suggested_by.startswith("casualty record #")
    document.refresh_from_db()
    quote.refresh_from_db()
    claim.refresh_from_db()
    assert "Hamid" not in document.masked_text and len(document.masked_text) == len(document.text)
    assert document.masked_text[quote.start:quote.end] == quote.masked_text
    assert quote.masked_text == M * 14 + ", aged 41, was killed"
    assert claim.masked_statement == M * 14 + " and Samira Oudeh were killed"
    # An editor adds a passage by its words alone: start and end are found.
    with acting(user=editor, channel=Channel.ADMIN):
        cousin = PersonalSpan.objects.create(document=document, text="Samira Oudeh")
        age = PersonalSpan.objects.create(document=document, text="aged 41")
    assert (cousin.start, cousin.end) == (TEXT.index("Samira"), TEXT.index("Samira") + 12)
    claim.refresh_from_db()
    quote.refresh_from_db()
    assert claim.masked_statement == M * 14 + " and " + M * 12 + " were killed"
    assert quote.masked_text == M * 14 + ", " + M * 7 + ", was killed"
    # Dropping a passage unmasks it (never deletes it); the history keeps who did it.
    with acting(user=editor, channel=Channel.ADMIN):
        PersonalSpan.objects.filter(pk=age.pk).update(state=PersonalSpan.State.DROPPED)
    quote.refresh_from_db()
    assert quote.masked_text == M * 14 + ", aged 41, was killed"
    assert age.history.count() == 2
    # A dropped suggestion is never suggested again.
    with acting(user=editor, channel=Channel.ADMIN):
        PersonalSpan.objects.filter(pk=spans[1].pk).update(state=PersonalSpan.State.DROPPED)
        Casualty.objects.create(claim=claim, name="Hamid al-Rawas", category="civilian", outcome="killed")
    assert PersonalSpan.objects.filter(document=document).count() == 4


def test_the_family_name_alone_is_suggested_too_but_not_particles(editor, researcher):
    with acting(user=editor, channel=Channel.ADMIN):
        world = make_world()
        document = Document.objects.create(publisher=world["source"], title="Funeral", published_on=DAY,
                                           text="Abu Karim al-Tawil was buried. Al-Tawil, 60, ran the bakery of Abu Salem.")
        claim = Claim.objects.create(document=document, claimant=world["source"], statement="Al-Tawil died",
                                     date_start=DAY)
        Casualty.objects.create(claim=claim, name="Abu Karim al-Tawil", category="civilian", outcome="killed")
    assert sorted(PersonalSpan.objects.filter(document=document).values_list("text", flat=True)) == [
        "Abu Karim al-Tawil", "Tawil"]
    document.refresh_from_db()
    claim.refresh_from_db()
    assert document.masked_text == f"{M * 18} was buried. Al-{M * 5}, 60, ran the bakery of Abu Salem."
    assert claim.masked_statement == f"Al-{M * 5} died"


def test_a_passage_must_be_in_the_text(story, editor):
    from django.core.exceptions import ValidationError

    with acting(user=editor, channel=Channel.ADMIN):
        with pytest.raises(ValidationError, match="does not occur"):
            PersonalSpan(document=story["doc"], text="Nobody Here").full_clean()
        with pytest.raises(ValidationError, match="does not match the document at 0–5"):
            PersonalSpan(document=story["doc"], start=0, end=5, text="Hamid").full_clean()


def _mark(story, editor):
    with acting(user=editor, channel=Channel.ADMIN):
        PersonalSpan.objects.create(document=story["doc"], text="Hamid al-Rawas")
        PersonalSpan.objects.create(document=story["doc"], text="Samira Oudeh")


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("fmt", ["json", "csv", "geojson"])
def test_api_masks_text_quotes_and_statements_keeping_offsets(story, editor, researcher, fmt):
    _mark(story, editor)
    for user, sees in ((researcher, False), (editor, True)):
        client = _api(user)
        for url in (f"/api/v1/documents/{story['doc'].pk}/", "/api/v1/documents/", "/api/v1/excerpts/",
                    "/api/v1/claims/", f"/api/v1/claims/{story['statement_claim'].pk}/", "/api/v1/casualty-figures/",
                    "/api/v1/personal-passages/"):
            response = client.get(url, {"format": fmt})
            if response.status_code == 404 and fmt == "geojson":
                continue
            assert response.status_code == 200, (url, response.content[:200])
            content = response.content.decode()
            assert ("Samira" in content) is sees, (url, fmt)
            assert ("Hamid" in content) is sees, (url, fmt)
    # Offsets still point at the quote in the masked text: highlighting works.
    data = _api(researcher).get(f"/api/v1/excerpts/{story['quote'].pk}/").json()
    text = _api(researcher).get(f"/api/v1/documents/{story['doc'].pk}/").json()["text"]
    assert text[data["start"]:data["end"]] == data["text"] == M * 14 + ", aged 41, was killed"


def test_fast_list_path_and_serializers_agree_on_masked_text(story, editor, researcher, monkeypatch):
    from conflictdb.api import fast

    _mark(story, editor)
    for prefix in ("documents", "excerpts", "claims", "personal-passages"):
        fast_body = _api(researcher).get(f"/api/v1/{prefix}/").json()
        monkeypatch.setattr(fast, "plan_for", lambda *a, **k: None)
        slow_body = _api(researcher).get(f"/api/v1/{prefix}/").json()
        monkeypatch.undo()
        assert fast_body == slow_body, prefix


def test_q_and_admin_search_never_match_masked_text(story, editor, researcher):
    _mark(story, editor)
    for user, expected in ((researcher, 0), (editor, 1)):
        client = _api(user)
        for prefix in ("documents", "excerpts", "claims"):
            assert client.get(f"/api/v1/{prefix}/", {"q": "Samira"}).json()["count"] == (
                expected if prefix != "excerpts" else 0), (prefix, user)
            assert client.get(f"/api/v1/{prefix}/", {"q": "Hamid"}).json()["count"] == expected, (prefix, user)
        # What is not masked is still found by everybody.
        assert client.get("/api/v1/claims/", {"q": "killed"}).json()["count"] >= 1
        admin = Client()
        admin.force_login(user)
        for url in ("/admin/sources/excerpt/", "/admin/events/claim/", "/admin/sources/personalspan/"):
            page = admin.get(url, {"q": "Hamid"}).content.decode()  # the search box echoes the term
            assert ('id="result_list"' in page) is (user is editor), url
    assert _api(researcher).get("/api/v1/excerpts/", {"q": "aged 41"}).json()["count"] == 1


def test_admin_pages_and_history_mask_text(story, editor, researcher):
    _mark(story, editor)
    document, quote, claim = story["doc"], story["quote"], story["statement_claim"]
    pages = [f"/admin/sources/document/{document.pk}/change/",
             f"/admin/sources/excerpt/{quote.pk}/change/", "/admin/sources/excerpt/",
             f"/admin/events/claim/{claim.pk}/change/", "/admin/events/claim/", "/admin/events/claimexcerpt/",
             "/admin/sources/personalspan/", f"/admin/events/claim/{claim.pk}/history/"]
    for version in document.history.values_list("history_id", flat=True):
        pages.append(f"/admin/sources/document/{document.pk}/history/{version}/")
    for version in claim.history.values_list("history_id", flat=True):
        pages.append(f"/admin/events/claim/{claim.pk}/history/{version}/")
    for user, sees in ((researcher, False), (editor, True)):
        client = Client()
        client.force_login(user)
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            assert ("Hamid" in response.content.decode()) is sees, (url, user)


def test_exports_mask_text_and_spans_round_trip(story, editor, researcher):
    _mark(story, editor)
    for name in ("document", "excerpt", "claim", "personalspan"):
        for user, sees in ((researcher, False), (editor, True), (None, False)):
            rows = json.dumps(list(ModelExport(cols.spec_for(name), user).rows()), default=str, ensure_ascii=False)
            assert ("Hamid" in rows) is sees, (name, user)


def test_export_csv_command_masks_without_a_permitted_user(story, editor, researcher, data_manager, tmp_path):
    from django.core.management import call_command

    _mark(story, editor)
    for user, sees in ((None, False), (researcher, False), (data_manager, True)):
        out = tmp_path / f"claims-{getattr(user, 'username', 'none')}.csv"
        args = ["export_csv", "claim", "-o", str(out)] + (["--user", user.username] if user else [])
        call_command(*args)
        assert ("Samira" in out.read_text(encoding="utf-8-sig")) is sees


def test_spans_are_written_by_editors_only(story, editor, researcher):
    created = _api(editor).post("/api/v1/personal-passages/", {"document": story["doc"].pk, "text": "Samira Oudeh"},
                                format="json")
    assert created.status_code == 201, created.content
    assert created.json()["start"] == TEXT.index("Samira")
    refused = _api(researcher).post("/api/v1/personal-passages/", {"document": story["doc"].pk, "text": "the mill"},
                                    format="json")
    assert refused.status_code == 403
    listed = _api(researcher).get("/api/v1/personal-passages/").json()["results"]
    assert listed and all(row["text"] == protection.PLACEHOLDER for row in listed)


def test_desk_and_claim_page_mask_for_readers_without_permission(story, editor, researcher, django_user_model):
    from django.contrib.auth.models import Permission

    _mark(story, editor)
    # Someone who may add claims but not see personal data (a custom role): the desk masks.
    clerk = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["add_claim", "view_claim", "view_document",
                                                                         "change_claim"]))
    client = Client()
    client.force_login(clerk)
    page = client.get(f"/admin/events/claim/desk/{story['doc'].pk}/")
    assert page.status_code == 200
    assert "Samira" not in page.content.decode() and "Hamid" not in page.content.decode()
    client.force_login(editor)
    assert "Samira" in client.get(f"/admin/events/claim/desk/{story['doc'].pk}/").content.decode()


def test_stale_shadow_masks_everything():
    seen = protection.NOBODY
    mask = protection.personal_text("masked_text")
    assert mask.apply(seen, "Hamid", "") == M * 5
    assert mask.apply(seen, "Hamid", None) == M * 5
    assert mask.apply(protection.EVERYTHING, "Hamid", "") == "Hamid"
    assert json.dumps(mask.apply(seen, "", "")) == '""'
