"""Disagreement is data (events.consensus): a denial, another explanation or another perpetrator
for the same attack makes the event contested, with who says what, in the domain, the API, the
admin and the CSV files; the claimant is shown as each reader may see it."""

import csv
import io

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from conflictdb import verification
from conflictdb.csvio.exporting import export_for, write_csv
from events.models import (
    Actor,
    ActorMembership,
    Attack,
    CasualtyFigure,
    Claim,
    ConsensusFigure,
    Dissent,
    Event,
    Location,
)
from sources.models import Document, Source

pytestmark = pytest.mark.django_db


def claim_by(source, event, statement, *, stance="asserts", credibility=3):
    document = Document.objects.create(publisher=source, title=f"Report: {statement}", text=statement)
    return Claim.objects.create(document=document, claimant=source, event=event, statement=statement,
                                stance=stance, credibility=credibility)


@pytest.fixture
def strike(as_editor):
    """A monitor (B) reports a Russian air strike on Ariha that killed 12 civilians."""
    event = Event.objects.create(title="Air strike on Ariha", event_type="explosions_remote_violence",
                                 sub_event_type="air_drone_strike", date_start="2024-12-01", date_end="2024-12-01")
    ariha = Location.objects.create(name="Ariha", kind="community", latitude=35.81, longitude=36.61)
    russia = Actor.objects.create(name="Russian forces", kind="foreign_state_forces")
    monitor = Source.objects.create(name="Monitor", kind="monitor", reliability="B")
    report = claim_by(monitor, event, "Russian jets struck Ariha, killing 12 civilians.", credibility=2)
    Attack.objects.create(claim=report, kind="air_strike", perpetrator=russia, place=ariha, low=1, high=1,
                          qualifier="exact")
    CasualtyFigure.objects.create(claim=report, category="civilian", outcome="killed", low=12, high=12,
                                  qualifier="exact")
    return {"event": event, "ariha": ariha, "russia": russia, "report": report, "editor": as_editor}


@pytest.fixture
def denied(strike):
    """State television (D) denies that any strike took place."""
    state_tv = Source.objects.create(name="State TV", kind="state_media", reliability="D")
    strike["denial"] = claim_by(state_tv, strike["event"], "The ministry denied any air strike on Ariha.",
                                stance="denies")
    return strike


def figure(event):
    return ConsensusFigure.objects.get(event=event)


def test_an_uncontested_strike(strike):
    row = figure(strike["event"])
    assert (row.low, row.best, row.high, row.conflicting, row.contested) == (12, 12, 12, False, False)
    assert not Dissent.objects.exists()


def test_a_denial_contests_the_event_and_is_listed_with_its_claimant(denied):
    row = figure(denied["event"])
    assert row.contested and not row.conflicting  # contested is not the range rule
    assert (row.low, row.best, row.high, row.claims_used) == (12, 12, 12, 1)  # the denial adds no number
    dissent = Dissent.objects.get()
    assert (dissent.claim, dissent.kind, dissent.against) == (denied["denial"], "denial", [denied["report"].pk])


def test_a_denial_that_is_retracted_no_longer_contests(denied):
    verification.transition(denied["denial"], "retracted", user=denied["editor"], reason="entered twice")
    assert not figure(denied["event"]).contested
    assert not Dissent.objects.exists()


def test_a_denial_without_figures_still_contests_an_event_without_figures(as_editor):
    event = Event.objects.create(title="Shelling of Saraqib", event_type="explosions_remote_violence",
                                 sub_event_type="shelling_artillery_missile_attack", date_start="2024-12-02",
                                 date_end="2024-12-02")
    state_tv = Source.objects.create(name="State TV", kind="state_media", reliability="D")
    denial = claim_by(state_tv, event, "No shelling of Saraqib took place.", stance="denies")
    assert list(Dissent.objects.values_list("claim", "kind", "against")) == [(denial.pk, "denial", [])]
    assert not ConsensusFigure.objects.filter(event=event).exists()


def test_another_explanation_contests_the_event(strike):
    official = Source.objects.create(name="Governorate office", kind="official", reliability="C")
    explanation = claim_by(official, strike["event"], "An ammunition depot exploded by accident.",
                           stance="explains")
    assert figure(strike["event"]).contested
    assert list(Dissent.objects.values_list("claim", "kind")) == [(explanation.pk, "explanation")]
    basis = [entry for entry in figure(strike["event"]).basis if entry["claim"] == explanation.pk]
    assert basis == []  # it states no figure: it dissents, it does not count


def test_another_perpetrator_for_the_same_attack_contests_it(strike):
    government = Actor.objects.create(name="Syrian government forces", kind="state_forces")
    outlet = Source.objects.create(name="Outlet", kind="news_outlet", reliability="C")
    other = claim_by(outlet, strike["event"], "Government helicopters bombed Ariha.")
    Attack.objects.create(claim=other, kind="air_strike", perpetrator=government, place=strike["ariha"], qualifier="unknown")
    assert figure(strike["event"]).contested
    rows = {d.claim_id: (d.kind, d.perpetrator, d.against) for d in Dissent.objects.all()}
    assert rows == {strike["report"].pk: ("perpetrator", strike["russia"], [other.pk]),
                    other.pk: ("perpetrator", government, [strike["report"].pk])}


def test_a_coalition_and_its_member_or_another_place_are_no_contradiction(strike):
    coalition = Actor.objects.create(name="Pro-government coalition", kind="coalition")
    ActorMembership.objects.create(member=strike["russia"], coalition=coalition)
    elsewhere = Location.objects.create(name="Jisr al-Shughur", kind="community")
    rebels = Actor.objects.create(name="Rebels", kind="rebel_group")
    outlet = Source.objects.create(name="Outlet", kind="news_outlet", reliability="C")
    claim = claim_by(outlet, strike["event"], "Coalition jets struck Ariha; rebels shelled Jisr al-Shughur.")
    Attack.objects.create(claim=claim, kind="air_strike", perpetrator=coalition, place=strike["ariha"], qualifier="unknown")
    Attack.objects.create(claim=claim, kind="shelling", perpetrator=rebels, place=elsewhere, qualifier="unknown")
    assert not figure(strike["event"]).contested


def test_a_membership_recorded_later_clears_the_contradiction(strike):
    coalition = Actor.objects.create(name="Pro-government coalition", kind="coalition")
    outlet = Source.objects.create(name="Outlet", kind="news_outlet", reliability="C")
    claim = claim_by(outlet, strike["event"], "Coalition jets struck Ariha.")
    Attack.objects.create(claim=claim, kind="air_strike", perpetrator=coalition, place=strike["ariha"], qualifier="unknown")
    assert figure(strike["event"]).contested
    ActorMembership.objects.create(member=strike["russia"], coalition=coalition)
    assert not figure(strike["event"]).contested


# --- doors ---------------------------------------------------------------------------------------

@pytest.fixture
def protected_denier(denied):
    """A second denial, by an informant whose identity is protected."""
    informant = Source.objects.create(name="Abu Khalid al-Arihawi", kind="individual", reliability="F",
                                      protected=True, public_label="A resident of Ariha")
    denied["informant_denial"] = claim_by(informant, denied["event"], "Nothing was hit here that night.",
                                          stance="denies", credibility=6)
    return denied


def api_as(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_event_consensus_lists_the_dissent_beside_the_figures(protected_denier, researcher, data_manager):
    event = protected_denier["event"]
    body = api_as(researcher).get(f"/api/v1/events/{event.pk}/consensus/").json()
    assert (body["contested"], body["conflicting"]) == (True, False)
    assert [(f["low"], f["best"], f["high"], f["contested"]) for f in body["figures"]] == [(12, 12, 12, True)]
    said = {d["claim"]: (d["claimant"]["name"], d["kind"], d["stance"], d["grade"], d["statement"], d["against"])
            for d in body["dissent"]}
    assert said == {
        protected_denier["denial"].pk: ("State TV", "denial", "denies", "D3",
                                        "The ministry denied any air strike on Ariha.",
                                        [protected_denier["report"].pk]),
        # The researcher may not see who the informant is: its public label, never its name.
        protected_denier["informant_denial"].pk: ("A resident of Ariha", "denial", "denies", "F6",
                                                  "Nothing was hit here that night.",
                                                  [protected_denier["report"].pk]),
    }
    assert "Abu Khalid" not in str(body)
    names = {d["claimant"]["name"] for d in api_as(data_manager).get(f"/api/v1/events/{event.pk}/consensus/")
             .json()["dissent"]}
    assert names == {"State TV", "Abu Khalid al-Arihawi"}


def test_api_consensus_figures_filter_and_csv(protected_denier, strike, researcher, as_editor):
    quiet = Event.objects.create(title="Quiet day", event_type="battles", sub_event_type="armed_clash",
                                 date_start="2024-12-03", date_end="2024-12-03")
    monitor = Source.objects.get(name="Monitor")
    CasualtyFigure.objects.create(claim=claim_by(monitor, quiet, "2 fighters killed."), category="combatant",
                                  outcome="killed", low=2, high=2, qualifier="exact")
    api = api_as(researcher)
    contested = api.get("/api/v1/consensus-figures/", {"contested": "true"}).json()["results"]
    assert [row["event"] for row in contested] == [strike["event"].pk]
    assert {d["claimant"]["name"] for d in contested[0]["dissent"]} == {"State TV", "A resident of Ariha"}
    uncontested = api.get("/api/v1/consensus-figures/", {"contested": "false"}).json()["results"]
    assert [(row["event"], row["dissent"]) for row in uncontested] == [(quiet.pk, [])]
    text = api.get("/api/v1/consensus-figures/", {"contested": "true", "format": "csv"}).content.decode()
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["contested"] == "true" and "State TV" in row["dissent"] and "A resident of Ariha" in row["dissent"]
    assert "Abu Khalid" not in text


def test_contested_and_conflicting_filters_on_events_and_every_claimed_record(protected_denier, researcher,
                                                                              as_editor):
    strike = protected_denier["event"]
    clash = Event.objects.create(title="Clash", event_type="battles", sub_event_type="armed_clash",
                                 date_start="2024-12-04", date_end="2024-12-04")
    for name, low in (("Monitor A", 10), ("Monitor B", 20)):  # ranges that cannot both be true
        source = Source.objects.create(name=name, kind="monitor", reliability="B")
        CasualtyFigure.objects.create(claim=claim_by(source, clash, f"{low} fighters killed."),
                                      category="combatant", outcome="killed", low=low, high=low, qualifier="exact")
    api = api_as(researcher)

    def ids(url, **params):
        return {row["id"] for row in api.get(url, params).json()["results"]}

    assert ids("/api/v1/events/", contested="true") == {strike.pk}
    assert ids("/api/v1/events/", contested="false") == {clash.pk}
    assert ids("/api/v1/events/", conflicting="true") == {clash.pk}
    strike_claims = set(Claim.objects.filter(event=strike).values_list("pk", flat=True))
    assert ids("/api/v1/claims/", contested="true") == strike_claims
    assert ids("/api/v1/claims/", conflicting="true") == set(Claim.objects.filter(event=clash).values_list("pk", flat=True))
    assert ids("/api/v1/casualty-figures/", contested="true") == set(
        CasualtyFigure.objects.filter(claim__event=strike).values_list("pk", flat=True))
    assert ids("/api/v1/attacks/", contested="true") == set(Attack.objects.values_list("pk", flat=True))
    assert ids("/api/v1/attacks/", contested="false") == set()
    assert ids("/api/v1/casualty-figures/", conflicting="true") == set(
        CasualtyFigure.objects.filter(claim__event=clash).values_list("pk", flat=True))
    for url in ("/api/v1/equipment-losses/", "/api/v1/territorial-changes/", "/api/v1/displacements/",
                "/api/v1/casualties/"):
        assert api.get(url, {"contested": "true"}).status_code == 200, url


def test_admin_shows_who_dissents_and_filters_contested_events(protected_denier, researcher, data_manager, client):
    event = protected_denier["event"]
    client.force_login(researcher)
    page = client.get(reverse("admin:events_event_change", args=[event.pk])).content.decode()
    assert "State TV" in page and "A resident of Ariha" in page and "Abu Khalid" not in page
    assert "The ministry denied any air strike on Ariha." in page
    listing = client.get(reverse("admin:events_event_changelist"), {"contested": "yes"})
    assert [e.pk for e in listing.context["cl"].result_list] == [event.pk]
    figures = client.get(reverse("admin:events_consensusfigure_changelist"), {"contested__exact": "1"})
    assert figures.context["cl"].result_count == 1
    row = ConsensusFigure.objects.get(event=event)
    detail = client.get(reverse("admin:events_consensusfigure_change", args=[row.pk])).content.decode()
    assert "A resident of Ariha" in detail and "Abu Khalid" not in detail
    client.force_login(data_manager)
    assert "Abu Khalid al-Arihawi" in client.get(reverse("admin:events_event_change", args=[event.pk])).content.decode()


def test_the_consensus_file_export_has_contested(denied, data_manager):
    stream = io.StringIO()
    write_csv(export_for("consensusfigure", data_manager), stream, bom=False)
    rows = list(csv.DictReader(io.StringIO(stream.getvalue())))
    assert [(row["low"], row["conflicting"], row["contested"]) for row in rows] == [("12", "false", "true")]
