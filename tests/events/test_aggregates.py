"""Totals researchers can use (events.aggregates), on a world built here: a toll republished by a
second outlet, a mixed toll with its civilian part, and a daily toll that includes two incidents."""

import pytest

from events import aggregates
from events.models import CasualtyFigure, Claim, ClaimInclusion, Event
from sources.models import Document, Source

pytestmark = pytest.mark.django_db


def event(title, day="2024-05-03"):
    return Event.objects.create(title=title, event_type="explosions_remote_violence",
                                sub_event_type="shelling_artillery_missile_attack",
                                date_start=day, date_end=day)


def claim(event, claimant, text, *, derived_from=None):
    document = Document.objects.create(publisher=claimant, title=f"{claimant.name}: {text}", text=text,
                                       derived_from=derived_from, derivation="republication" if derived_from else "")
    return Claim.objects.create(document=document, claimant=claimant, event=event, statement=text)


def figure(claim, number, category="unknown", *, part_of=None):
    return CasualtyFigure.objects.create(claim=claim, category=category, outcome="killed", low=number, high=number,
                                         qualifier="exact", part_of=part_of)


@pytest.fixture
def world(as_editor):
    monitor = Source.objects.create(name="Monitor", kind="monitor", reliability="B")
    outlet = Source.objects.create(name="Outlet", kind="news_outlet", reliability="C")
    market = event("Strike on the market")
    first = claim(market, monitor, "27 people were killed, 14 of them civilians.")
    whole = figure(first, 27)
    figure(first, 14, "civilian", part_of=whole)
    # The outlet republishes the monitor's report: the same toll again, not a second source.
    figure(claim(market, outlet, "27 people were killed.", derived_from=first.document), 27)
    return {"monitor": monitor, "outlet": outlet, "market": market, "first": first}


def totals(basis, group_by="outcome", **filters):
    figures = CasualtyFigure.objects.filter(**filters)
    return aggregates.casualty_totals(figures, group_by.split(","), basis=basis)


def test_a_republication_does_not_double_a_consensus_total(world):
    [claims_cell] = totals("claims")
    assert claims_cell["sum_low"] == 54  # two claims of 27: the claims basis sums what is said
    assert claims_cell["parts"] == 1  # the 14 civilians: their whole is in the cell
    [consensus_cell] = totals("consensus")
    assert (consensus_cell["sum_low"], consensus_cell["sum_best"], consensus_cell["sum_high"]) == (27, 27, 27)
    assert consensus_cell["parts"] == 1 and consensus_cell["event_figures"] == 1
    # One original document behind both claims: one source in both bases.
    assert claims_cell["independent_sources"] == 1 and consensus_cell["independent_sources"] == 1
    assert claims_cell["claims"] == 2 and consensus_cell["claims"] == 2


def test_the_civilian_part_of_a_mixed_toll_is_counted(world):
    for basis in ("claims", "consensus"):
        [cell] = totals(basis, category="civilian")
        assert (cell["sum_low"], cell["sum_high"], cell["parts"]) == (14, 14, 0), basis
    by_category = {cell["category"]: cell for cell in totals("claims", "category")}
    assert by_category["civilian"]["sum_low"] == 14  # its whole is in another cell
    assert by_category["unknown"]["sum_low"] == 54


def test_a_part_is_skipped_when_a_figure_above_its_whole_is_in_the_cell(world):
    whole = CasualtyFigure.objects.get(claim=world["first"], category="unknown")
    civilians = CasualtyFigure.objects.get(claim=world["first"], category="civilian")
    figure(world["first"], 9, "combatant", part_of=whole)
    CasualtyFigure.objects.create(claim=world["first"], category="civilian", subgroup="child", outcome="killed",
                                  low=5, high=5, qualifier="exact", part_of=civilians)
    # The 5 children's whole (the 14) is filtered out, but the 27 above it is in the cell.
    figures = CasualtyFigure.objects.exclude(pk=civilians.pk)
    [cell] = aggregates.casualty_totals(figures, ["outcome"])
    assert (cell["sum_low"], cell["parts"]) == (54, 2)
    # Civilians and fighters: their whole (27 people) is filtered out; the children's (14) is not.
    [cell] = totals("claims", category__in=["civilian", "combatant"])
    assert (cell["sum_low"], cell["parts"]) == (14 + 9, 1)
    [cell] = totals("claims", subgroup="child")
    assert (cell["sum_low"], cell["parts"]) == (5, 0)


def test_cross_event_inclusion_does_not_double_count(world):
    shelling = event("Shelling of the camp")
    claim_of_shelling = claim(shelling, world["outlet"], "13 civilians were killed in the camp.")
    figure(claim_of_shelling, 13, "civilian")
    daily = event("Daily toll, 3 May")
    toll = claim(daily, Source.objects.create(name="Health directorate", kind="official", reliability="C"),
                 "40 people were killed across the governorate today.")
    figure(toll, 40)
    for included in (world["market"], shelling):
        ClaimInclusion.objects.create(claim=toll, event=included)
    [cell] = totals("consensus")
    assert (cell["sum_low"], cell["event_figures"], cell["included"], cell["parts"]) == (40, 1, 2, 1)
    assert cell["independent_sources"] == 1  # the directorate alone stands behind the 40
    # The daily toll is "people": filtered to civilians it is not in the cell, so the incidents count.
    [civilians] = totals("consensus", category="civilian")
    assert (civilians["sum_low"], civilians["included"]) == (27, 0)
    # The claims basis sums every claim as stated (republication and daily toll included).
    [claims_cell] = totals("claims")
    assert claims_cell["sum_low"] == 27 + 27 + 13 + 40


def test_consensus_leaves_out_claims_without_an_event_and_uncredible_event_figures(world):
    loose = Claim.objects.create(document=world["first"].document, claimant=world["monitor"], statement="no event")
    figure(loose, 3)
    retracted = event("Retracted report")
    gone = claim(retracted, world["outlet"], "5 killed")
    figure(gone, 5)
    Claim.objects.filter(pk=gone.pk).update(stance="denies")
    from events import consensus

    consensus.recompute([retracted.pk])
    [cell] = totals("consensus")
    assert (cell["sum_low"], cell["without_event"], cell["excluded"]) == (27, 1, 1)


def test_explain_lists_the_claims_and_claimants(world):
    [cell] = aggregates.casualty_totals(CasualtyFigure.objects.all(), ["outcome"], basis="consensus", explain=True)
    assert cell["explain"]["claims"] == sorted(Claim.objects.values_list("pk", flat=True))
    assert [c["name"] for c in cell["explain"]["claimants"]] == ["Monitor", "Outlet"]
    states = {(f["category"], f["state"]) for f in cell["explain"]["event_figures"]}
    assert states == {("unknown", "counted"), ("civilian", "part of the event's figure unknown/killed")}


def test_unknown_basis_is_refused():
    with pytest.raises(Exception, match="basis must be one of: claims, consensus"):
        aggregates.parse_basis("median")


def build_daily_toll(protected_directorate=False):
    """The worked example of docs/methodology.md ("Totals") and docs/api.md: the market strike
    (27 people, 14 of them civilians, republished), the camp shelling (13 civilians), and the
    directorate's daily toll of 40 that includes both."""
    monitor = Source.objects.create(name="Monitor", kind="monitor", reliability="B")
    outlet = Source.objects.create(name="Outlet", kind="news_outlet", reliability="C")
    directorate = Source.objects.create(name="Health directorate", kind="official", reliability="C",
                                        protected=protected_directorate,
                                        public_label="an official source" if protected_directorate else "")
    market, camp, daily = event("Strike on the market"), event("Shelling of the camp"), event("Daily toll, 3 May")
    first = claim(market, monitor, "27 people were killed, 14 of them civilians.")
    figure(first, 14, "civilian", part_of=figure(first, 27))
    figure(claim(market, outlet, "27 people were killed.", derived_from=first.document), 27)
    figure(claim(camp, outlet, "13 civilians were killed in the camp."), 13, "civilian")
    toll = claim(daily, directorate, "40 people were killed across the governorate today.")
    figure(toll, 40)
    for included in (market, camp):
        ClaimInclusion.objects.create(claim=toll, event=included)
    return {"monitor": monitor, "outlet": outlet, "directorate": directorate, "toll": toll}
