"""Every change is attributed and kept: who changed which field from what to what, and when,
including bulk writes (queryset.update, bulk_update, bulk_create)."""

import pytest

from conflictdb.provenance import Channel, acting
from events.models import CasualtyFigure, Claim
from tests.factories import make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(as_editor):
    return make_world()


def test_creation_is_stamped_with_user_channel_and_version(world, editor):
    claim = world["claim"]
    assert (claim.created_by, claim.updated_by, claim.channel, claim.version) == (editor, editor, "admin", 1)
    first = claim.history.get()
    assert first.history_type == "+"
    assert first.history_user == editor


def test_history_records_who_changed_which_field_from_what_to_what(world, verifier):
    claim = world["claim"]
    with acting(user=verifier, channel=Channel.API, reason="typo in the paraphrase"):
        claim.statement = "Ten opposition fighters killed"
        claim.credibility = 3
        claim.save()
    claim.refresh_from_db()
    assert claim.version == 2
    assert claim.updated_by == verifier
    assert claim.last_channel == "api"
    assert claim.channel == "admin"  # the door it came in through does not change
    latest, changes = claim.field_changes()[0]
    assert latest.history_user == verifier
    assert latest.history_change_reason == "typo in the paraphrase"
    changed = {field: (old, new) for field, old, new in changes}
    assert changed["statement"] == ("Ten fighters killed", "Ten opposition fighters killed")
    assert changed["credibility"] == (6, 3)


def test_queryset_update_is_recorded_for_every_row(world, verifier):
    claims = [world["claim"]] + [
        Claim.objects.create(document=world["document"], claimant=world["source"], statement=f"claim {i}")
        for i in range(3)
    ]
    with acting(user=verifier, channel=Channel.ADMIN, reason="bulk regrade"):
        count = Claim.objects.filter(pk__in=[c.pk for c in claims]).update(credibility=4)
    assert count == 4
    for claim in claims:
        claim.refresh_from_db()
        assert (claim.credibility, claim.version, claim.updated_by) == (4, 2, verifier)
        latest, changes = claim.field_changes()[0]
        assert latest.history_type == "~"
        assert latest.history_user == verifier
        assert latest.history_change_reason == "bulk regrade"
        assert ("credibility", 6, 4) in changes


def test_bulk_update_is_recorded(world, verifier):
    figures = CasualtyFigure.objects.bulk_create(
        [CasualtyFigure(claim=world["claim"], category="civilian", outcome="injured", low=i, high=i) for i in range(5)]
    )
    for f in figures:
        f.high = f.low + 10
        f.qualifier = "range"
    with acting(user=verifier, channel=Channel.ADMIN):
        CasualtyFigure.objects.bulk_update(figures, ["high", "qualifier"])
    for f in figures:
        assert f.history.count() == 2
        latest, changes = CasualtyFigure.objects.get(pk=f.pk).field_changes()[0]
        assert ("high", f.low, f.low + 10) in changes


def test_bulk_create_is_stamped_and_recorded(world, editor):
    created = CasualtyFigure.objects.bulk_create(
        [CasualtyFigure(claim=world["claim"], category="civilian", outcome="killed", low=1, high=1) for _ in range(3)]
    )
    for figure in created:
        assert figure.created_by == editor and figure.channel == "admin"
        assert figure.history.get().history_type == "+"


def test_seed_and_import_channels_are_kept(world):
    with acting(user=None, channel=Channel.SEED):
        claim = Claim.objects.create(document=world["document"], claimant=world["source"], statement="seeded")
    assert claim.channel == "seed"
    assert claim.created_by is None


@pytest.mark.parametrize("name", ["updated_by", "updated_by_id"])
def test_queryset_update_keeps_a_provenance_value_the_caller_gives(world, verifier, editor, name):
    # The caller's value wins over the stamp's, however the field is named (PostgreSQL refuses a
    # column assigned twice, so both must never reach the SQL).
    claim = world["claim"]
    with acting(user=verifier, channel=Channel.ADMIN):
        Claim.objects.filter(pk=claim.pk).update(**{name: editor if name == "updated_by" else editor.pk})
    claim.refresh_from_db()
    assert claim.updated_by == editor and claim.last_channel == Channel.ADMIN
