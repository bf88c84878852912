"""Consensus figures and conflicts (events.consensus) through the domain, the admin and the API:
a hand-made event reported by three sources, a derived document, exclusions with reasons,
unknown never zero, and the seed article's numbers."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from conflictdb import verification
from conflictdb.provenance import Channel, acting
from events import consensus
from events.models import CasualtyFigure, Claim, ConsensusFigure, Event
from sources.models import Document, Source

pytestmark = pytest.mark.django_db


def report(event, source, *, low, high, qualifier, credibility=6, derived_from=None, actor=None):
    """One document by `source` with one claim about the event's killed fighters."""
    document = Document.objects.create(
        publisher=source, title=f"{source.name} report", text=f"{low}-{high} fighters were killed.",
        derived_from=derived_from, derivation="translation" if derived_from else "")
    claim = Claim.objects.create(document=document, claimant=source, event=event, statement="fighters killed",
                                 credibility=credibility)
    CasualtyFigure.objects.create(claim=claim, category="combatant", outcome="killed", affiliation=actor,
                                  low=low, high=high, qualifier=qualifier)
    return claim


@pytest.fixture
def three_sources(as_editor):
    """Monitor (B) says exactly 10, an outlet (C) 8–12, a local page (F) at least 15."""
    event = Event.objects.create(title="Clash at Hoor", event_type="battles", sub_event_type="armed_clash",
                                 date_start="2024-11-27", date_end="2024-11-27")
    monitor = Source.objects.create(name="Monitor", kind="monitor", reliability="B")
    outlet = Source.objects.create(name="Outlet", kind="news_outlet", reliability="C")
    page = Source.objects.create(name="Local page", kind="social_media", reliability="F")
    return {
        "event": event,
        "monitor": report(event, monitor, low=10, high=10, qualifier="exact", credibility=2),
        "outlet": report(event, outlet, low=8, high=12, qualifier="range", credibility=3),
        "page": report(event, page, low=15, high=None, qualifier="at_least"),
    }


def only_row(event):
    return ConsensusFigure.objects.get(event=event)


def test_three_sources_low_best_high_and_the_conflict(three_sources):
    row = only_row(three_sources["event"])
    assert (row.low, row.best, row.high) == (8, 10, None)  # "at least 15" leaves the high unknown
    assert row.claims_used == 3 and row.independent_sources == 3
    assert row.conflicting  # 15 and more cannot be 10
    by_claim = {entry["claim"]: entry for entry in row.basis}
    assert by_claim[three_sources["monitor"].pk]["reason"] == "used; best: the best-graded claim"
    assert by_claim[three_sources["page"].pk]["conflict"] is True
    assert consensus.conflicting_claim_ids() == {c.pk for k, c in three_sources.items() if k != "event"}


def test_recomputed_when_a_claim_is_marked_false(three_sources, django_user_model):
    from django.contrib.auth.models import Group

    vera = django_user_model.objects.create_user("vera2", password="pw", is_staff=True)
    vera.groups.add(Group.objects.get(name="verifiers"))
    verification.transition(three_sources["page"], "false", user=vera, reason="fabricated page")
    row = only_row(three_sources["event"])
    assert (row.low, row.best, row.high, row.conflicting) == (8, 10, 12, False)
    excluded = next(e for e in row.basis if e["claim"] == three_sources["page"].pk)
    assert (excluded["used"], excluded["reason"]) == (False, "the claim is marked false")


def test_recomputed_when_a_figure_changes(three_sources):
    figure = three_sources["page"].casualty_figures.get()
    figure.low, figure.high, figure.qualifier = 9, 11, "range"
    figure.save()
    row = only_row(three_sources["event"])
    assert (row.low, row.best, row.high, row.conflicting) == (8, 10, 12, False)


def test_improbable_claims_and_unreliable_sources_are_excluded_with_reasons(three_sources):
    claim = Claim.objects.get(pk=three_sources["outlet"].pk)
    Claim.objects.filter(pk=claim.pk).update(credibility=5)
    Source.objects.filter(name="Local page").update(reliability="E")
    consensus.recompute({three_sources["event"].pk})
    row = only_row(three_sources["event"])
    reasons = {entry["claim"]: entry["reason"] for entry in row.basis}
    assert reasons[three_sources["outlet"].pk] == "credibility 5 (improbable)"
    assert reasons[three_sources["page"].pk] == "the claimant is graded E (unreliable)"
    assert (row.low, row.best, row.high, row.claims_used) == (10, 10, 10, 1)


def test_a_translation_is_not_an_independent_source(three_sources):
    monitor_doc = three_sources["monitor"].document
    relay = Source.objects.create(name="Translator", kind="news_outlet", reliability="C")
    report(three_sources["event"], relay, low=10, high=10, qualifier="exact", derived_from=monitor_doc)
    row = only_row(three_sources["event"])
    assert row.claims_used == 4 and row.independent_sources == 3


def test_unknown_stays_unknown(as_editor):
    event = Event.objects.create(title="Shelling", event_type="explosions_remote_violence",
                                 sub_event_type="shelling_artillery_missile_attack",
                                 date_start="2024-11-27", date_end="2024-11-27")
    source = Source.objects.create(name="Witness", kind="individual")
    document = Document.objects.create(publisher=source, title="Post", text="Dozens were killed.")
    claim = Claim.objects.create(document=document, claimant=source, event=event, statement="dozens killed")
    CasualtyFigure.objects.create(claim=claim, category="civilian", outcome="killed", qualifier="dozens",
                                  wording="dozens")
    row = only_row(event)
    assert (row.low, row.best, row.high, row.claims_used) == (None, None, None, 0)
    assert row.basis[0]["reason"] == "no number stated"


def test_a_claim_moved_to_another_event_leaves_the_first(three_sources):
    other = Event.objects.create(title="Elsewhere", event_type="battles", sub_event_type="armed_clash",
                                 date_start="2024-11-28", date_end="2024-11-28")
    claim = Claim.objects.get(pk=three_sources["page"].pk)
    claim.event = other
    claim.save()
    assert not only_row(three_sources["event"]).conflicting
    assert only_row(other).low == 15


def test_seed_article_consensus(db):
    call_command("load_seeds", verbosity=0)
    clashes = Event.objects.get(external_id="seed:000_edd5ec991ef37588:clashes")
    rows = {(r.affiliation.name if r.affiliation else None, r.category, r.subgroup, r.outcome): r
            for r in clashes.consensus_figures.select_related("affiliation")}
    # "killing more than 35 regime soldiers, including at least two officers"
    soldiers = rows[("Syrian government forces", "combatant", "", "killed")]
    assert (soldiers.low, soldiers.best, soldiers.high) == (36, 36, None)
    officers = rows[("Syrian government forces", "combatant", "officer", "killed")]
    assert (officers.low, officers.best, officers.high) == (2, 2, None)
    # "ten opposition fighters were killed"
    fighters = rows[("Syrian opposition factions", "combatant", "", "killed")]
    assert (fighters.low, fighters.best, fighters.high) == (10, 10, 10)
    # "the families of six others" — no number of dead: unknown, not zero
    families = rows[(None, "unknown", "family", "killed")]
    assert (families.low, families.best, families.high) == (None, None, None)
    assert not ConsensusFigure.objects.filter(conflicting=True).exists()


# --- doors ---------------------------------------------------------------------------------------

def test_api_event_consensus_and_the_conflict_list(three_sources, researcher, django_assert_max_num_queries):
    api = APIClient()
    api.force_authenticate(researcher)
    event = three_sources["event"]
    body = api.get(f"/api/v1/events/{event.pk}/consensus/").json()
    assert (body["event"], body["conflicting"], body["contested"], body["dissent"]) == (event.pk, True, False, [])
    figures = body["figures"]
    assert [(r["low"], r["best"], r["high"], r["conflicting"]) for r in figures] == [(8, 10, None, True)]
    assert {entry["claim"] for entry in figures[0]["basis"]} == {c.pk for k, c in three_sources.items() if k != "event"}
    with django_assert_max_num_queries(4):
        listing = api.get("/api/v1/consensus-figures/", {"conflicting": "true"}).json()
    assert [r["event"] for r in listing["results"]] == [event.pk]
    assert api.get("/api/v1/consensus-figures/", {"conflicting": "false"}).json()["results"] == []


def test_api_consensus_needs_read_access(three_sources, outsider):
    api = APIClient()
    api.force_authenticate(outsider)
    assert api.get("/api/v1/consensus-figures/").status_code == 403


def test_admin_shows_consensus_and_lists_conflicting_claims(client, verifier, three_sources):
    client.force_login(verifier)
    page = client.get(reverse("admin:events_event_change", args=[three_sources["event"].pk])).content.decode().lower()
    assert "consensus figures" in page and "used; best: the best-graded claim" in page
    listing = client.get(reverse("admin:events_consensusfigure_changelist"), {"conflicting__exact": "1"})
    assert listing.status_code == 200 and "Clash at Hoor" in listing.content.decode()
    claims = client.get(reverse("admin:events_claim_changelist"), {"in_conflict": "yes"})
    assert claims.context["cl"].result_count == 3


def test_consensus_rows_are_derived_not_edited(client, editor, three_sources):
    client.force_login(editor)
    row = only_row(three_sources["event"])
    assert client.get(reverse("admin:events_consensusfigure_add")).status_code == 403
    assert client.post(reverse("admin:events_consensusfigure_change", args=[row.pk]), {}).status_code == 403


def test_bulk_paths_recompute_on_request(three_sources):
    """Bulk writes announce what they wrote (conflictdb.signals), like saves: consensus follows
    a queryset update by itself, and an explicit recompute leaves the same rows."""
    with acting(user=None, channel=Channel.IMPORT):
        CasualtyFigure.objects.filter(claim=three_sources["page"]).update(low=10, high=10, qualifier="exact")
    assert not only_row(three_sources["event"]).conflicting
    consensus.recompute_for_claims([three_sources["page"].pk])
    assert not only_row(three_sources["event"]).conflicting


def test_an_at_most_figure_is_listed_in_the_conflict(three_sources):
    outlet = Source.objects.create(name="Sceptic", kind="news_outlet", reliability="C")
    sceptic = report(three_sources["event"], outlet, low=None, high=5, qualifier="at_most")
    assert sceptic.pk in consensus.conflicting_claim_ids()


def test_a_figure_moved_to_another_claim_leaves_its_first_event(three_sources):
    other = Event.objects.create(title="Elsewhere", event_type="battles", sub_event_type="armed_clash",
                                 date_start="2024-11-28", date_end="2024-11-28")
    source = Source.objects.create(name="Elsewhere reporter", kind="news_outlet")
    document = Document.objects.create(publisher=source, title="t", text="…")
    target = Claim.objects.create(document=document, claimant=source, event=other, statement="x")
    figure = CasualtyFigure.objects.get(claim=three_sources["page"])
    figure.claim = target
    figure.save()
    assert not only_row(three_sources["event"]).conflicting
    assert only_row(other).low == 15


def test_an_origin_two_steps_up_the_chain_is_followed(three_sources):
    """Monitor's report → translation → summary of the translation: all one source."""
    monitor_doc = three_sources["monitor"].document
    first = Document.objects.create(publisher=monitor_doc.publisher, title="translation", text="…",
                                    derived_from=monitor_doc, derivation="translation")
    relay = Source.objects.create(name="Relay", kind="news_outlet")
    summary = Document.objects.create(publisher=relay, title="summary", text="…")
    claim = Claim.objects.create(document=summary, claimant=relay, event=three_sources["event"], statement="x")
    CasualtyFigure.objects.create(claim=claim, category="combatant", outcome="killed", low=10, high=10)
    assert only_row(three_sources["event"]).independent_sources == 4
    summary.derived_from, summary.derivation = first, "summary"
    summary.save()  # the document's origin changed: the event is recomputed
    assert only_row(three_sources["event"]).independent_sources == 3
