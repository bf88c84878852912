"""Corroboration (events.consensus.corroboration, enforced by conflictdb.verification): claims
confirmed by two independent sources may be marked corroborated; translations, republications
and relays of one claimant are not independent. Domain, admin and API."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from conflictdb import verification
from events.consensus import corroboration
from events.models import CasualtyFigure, Claim, Event
from sources.models import Document, Source

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(as_editor):
    return Event.objects.create(title="Clash", event_type="battles", sub_event_type="armed_clash",
                                date_start="2024-11-27", date_end="2024-11-27")


def claim_of(event, publisher, *, claimant=None, low=10, high=10, qualifier="exact", derived_from=None,
             outcome="killed"):
    document = Document.objects.create(publisher=publisher, title=f"{publisher.name} {low}", text="…",
                                       derived_from=derived_from,
                                       derivation="translation" if derived_from else "")
    claim = Claim.objects.create(document=document, claimant=claimant or publisher, event=event, statement="x")
    CasualtyFigure.objects.create(claim=claim, category="civilian", outcome=outcome, low=low, high=high,
                                  qualifier=qualifier)
    return claim


def source(name):
    return Source.objects.create(name=name, kind="news_outlet")


def test_two_independent_sources_corroborate(event, verifier):
    first = claim_of(event, source("A"))
    claim_of(event, source("B"), low=8, high=12, qualifier="range")
    result = corroboration(first)
    assert result.independent_sources == 2 and result.refusal is None
    verification.transition(first, "corroborated", user=verifier, reason="B agrees")
    first.refresh_from_db()
    assert first.verification_status == "corroborated"


def test_a_translation_does_not_corroborate(event, verifier):
    first = claim_of(event, source("A"))
    claim_of(event, source("Translator"), derived_from=first.document)
    result = corroboration(first)
    assert result.independent_sources == 1
    with pytest.raises(ValidationError, match="derive from one original"):
        verification.transition(first, "corroborated", user=verifier, reason="agrees")


def test_two_outlets_relaying_one_claimant_are_one_source(event):
    monitor = Source.objects.create(name="Monitor", kind="monitor")
    first = claim_of(event, source("A"), claimant=monitor)
    claim_of(event, source("B"), claimant=monitor)
    result = corroboration(first)
    assert result.independent_sources == 1
    assert "relays the same claimant" in result.refusal


def test_disagreeing_figures_do_not_corroborate(event):
    first = claim_of(event, source("A"), low=10, high=10)
    claim_of(event, source("B"), low=30, high=40, qualifier="range")
    claim_of(event, source("C"), outcome="injured")  # another figure altogether
    result = corroboration(first)
    assert result.supporting == [] and result.independent_sources == 1


def test_retracted_claims_support_nothing(event, editor):
    first = claim_of(event, source("A"))
    second = claim_of(event, source("B"))
    verification.transition(second, "retracted", user=editor, reason="withdrawn by the outlet")
    assert corroboration(first).supporting == []


def test_a_claim_without_an_event_or_figure_says_why(as_editor, verifier):
    outlet = source("A")
    document = Document.objects.create(publisher=outlet, title="t", text="…")
    loose = Claim.objects.create(document=document, claimant=outlet, statement="x")
    with pytest.raises(ValidationError, match="not attached to an event"):
        verification.transition(loose, "corroborated", user=verifier, reason="r")


def test_api_and_admin_show_corroboration(client, event, researcher, verifier):
    first = claim_of(event, source("A"))
    second = claim_of(event, source("B"))
    api = APIClient()
    api.force_authenticate(researcher)
    body = api.get(f"/api/v1/claims/{first.pk}/corroboration/").json()
    assert body == {"claim": first.pk, "supporting_claims": [second.pk], "independent_sources": 2,
                    "not_independent": [], "can_be_corroborated": True, "reason": ""}
    api.force_authenticate(verifier)
    lone = claim_of(event, source("C"), outcome="missing")
    refused = api.post(f"/api/v1/claims/{lone.pk}/transition/", {"to": "corroborated", "reason": "r"}, format="json")
    assert refused.status_code == 400 and "two independent sources" in str(refused.json())
    client.force_login(verifier)
    page = client.get(reverse("admin:events_claim_change", args=[first.pk])).content.decode()
    assert "Independent sources: 2" in page and "can be marked corroborated" in page


def test_an_improbable_or_unreliable_claim_does_not_corroborate(event):
    first = claim_of(event, source("A"))
    weak = claim_of(event, source("B"))
    Claim.objects.filter(pk=weak.pk).update(credibility=5)
    assert corroboration(first).supporting == []
    Claim.objects.filter(pk=weak.pk).update(credibility=6)
    Source.objects.filter(name="B").update(reliability="E")
    assert corroboration(first).supporting == []
