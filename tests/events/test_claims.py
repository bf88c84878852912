"""events.claims: the one claim-writing path. With an external_id it finds and updates only what
differs (a second write is a no-op); any record the models refuse refuses the claim whole."""

import pytest

from conflictdb.provenance import Channel, acting
from conflictdb.upsert import WriteStatus
from events.claims import ClaimRecordsRefused, record_claim
from events.models import CasualtyFigure, Claim, ClaimExcerpt, DisplacementPlace
from sources.models import Excerpt
from tests.factories import DAY, make_world

pytestmark = pytest.mark.django_db


def write(world, low=10, statement="Ten fighters killed", external_id="test:claim:1"):
    quotes = [{"start": 0, "end": 33, "text": "Ten fighters were killed in Hoor."}]
    rows = {
        "casualty_figures": [
            {"affiliation": world["actor"], "category": "combatant", "subgroup": "", "outcome": "killed",
             "place": world["location"], "low": low, "high": low, "qualifier": "exact", "wording": "ten"},
            {"affiliation": world["actor"], "category": "combatant", "subgroup": "officer", "outcome": "killed",
             "place": world["location"], "low": 1, "high": None, "qualifier": "at_least", "wording": "officers",
             "part_of": 0},
        ],
        "displacements": [{"unit": "people", "low": None, "high": None, "qualifier": "unknown", "wording": "many",
                           "origins": [world["location"]], "destinations": [world["governorate"]]}],
    }
    fields = {"claimant": world["source"], "event": world["event"], "statement": statement, "credibility": 6,
              "date_start": DAY, "date_end": DAY}
    with acting(channel=Channel.SEED, reason="test"):
        return record_claim(world["document"], fields, rows, quotes, external_id=external_id)


def counts():
    return [(model.objects.count(), model.history.count())
            for model in (Claim, ClaimExcerpt, Excerpt, CasualtyFigure, DisplacementPlace)]


def test_writing_a_claim_twice_by_external_id_changes_nothing():
    world = make_world()
    first = write(world)
    officers = first.claim.casualty_figures.get(subgroup="officer")
    assert officers.part_of == first.claim.casualty_figures.get(subgroup="")
    assert first.claim.excerpts.get() == world["excerpt"]  # the excerpt at that span is reused
    assert first.claim.displacements.get().places.count() == 2
    before = counts()
    again = write(world)
    assert again.claim == first.claim
    assert {status for _model, status in again.writes} == {WriteStatus.UNCHANGED}
    assert counts() == before


def test_only_what_differs_is_updated():
    world = make_world()
    claim = write(world).claim
    figure = claim.casualty_figures.get(subgroup="")
    again = write(world, low=12)
    assert [model for model, status in again.writes if status != WriteStatus.UNCHANGED] == [CasualtyFigure]
    figure.refresh_from_db()
    assert (figure.low, figure.high, figure.version) == (12, 12, 2)


def test_a_refused_row_refuses_the_claim_whole():
    world = make_world()
    before = counts()
    with pytest.raises(ClaimRecordsRefused) as refused:
        write(world, low=None)  # exact without a number
    (problem,) = refused.value.problems
    assert (problem.part, problem.index) == ("casualty_figures", 0)
    assert "An exact figure has low = high." in problem.error.messages
    assert counts() == before


def test_without_an_external_id_every_write_is_a_new_claim():
    world = make_world()
    first, second = write(world, external_id=None), write(world, external_id=None)
    assert first.claim != second.claim
    assert first.claim.excerpts.get() == second.claim.excerpts.get()
