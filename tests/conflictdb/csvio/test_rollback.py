"""Rolling back an import batch: created records retracted, changed records reverted, history
kept; refused when something changed since, or for the wrong person or batch."""

import io

import pytest
from django.core.management import CommandError, call_command

from conflictdb.csvio.importing import import_file
from conflictdb.csvio.rollback import RollbackRefused, rollback
from conflictdb.provenance import Channel, acting
from events.models import Actor, CasualtyFigure, Claim, Location
from conflictdb.models import VerificationTransition
from tests.factories import make_world
from tests.paths import FIXTURES

FIXTURES = FIXTURES / "import"


@pytest.fixture
def world(db):
    world = make_world()
    Claim.objects.filter(pk=world["claim"].pk).update(external_id="CLM-1")
    Actor.objects.filter(pk=world["actor"].pk).update(name="Faction Hoor")
    Actor.objects.filter(pk=world["actor2"].pk).update(name="Army Hoor")
    Location.objects.filter(pk=world["location"].pk).update(name="Hoor Village")
    return world


def _import(user, path=FIXTURES / "figures_good.csv"):
    outcome = import_file(path, "casualtyfigure", user=user)
    assert outcome.errors == []
    return outcome.batch


def test_rollback_retracts_created_and_reverts_changed_records(world, data_manager, tmp_path):
    first = _import(data_manager)
    changed = tmp_path / "figures.csv"
    changed.write_text((FIXTURES / "figures_good.csv").read_text().replace("10,10,exact,ten fighters",
                                                                            "11,11,exact,eleven fighters")
                       + "CLM-1,,unknown,,missing,4,4,exact,four,,,,,\n")
    second = _import(data_manager, changed)
    figure = CasualtyFigure.objects.get(wording="eleven fighters")
    with acting(user=data_manager, channel=Channel.IMPORT):
        result = rollback(second, user=data_manager, reason="wrong file")
    assert result.retracted == {"casualty figures": 1} and result.reverted == {"casualty figures": 1}
    figure.refresh_from_db()
    assert (figure.low, figure.wording, figure.version) == (10, "ten fighters", 3)
    assert [h.low for h in figure.history.order_by("history_id")] == [10, 11, 10]  # history kept
    added = CasualtyFigure.objects.get(category="unknown")
    assert added.verification_status == "retracted"
    transition = VerificationTransition.objects.get(object_id=added.pk, to_status="retracted")
    assert transition.user == data_manager and "rollback of import batch" in transition.reason
    second.refresh_from_db()
    assert (second.status, second.rolled_back_by, second.rollback_reason) == ("rolled_back", data_manager,
                                                                              "wrong file")
    assert CasualtyFigure.objects.filter(import_batch=first, verification_status="unverified").count() == 4


def test_rollback_is_refused_when_a_record_changed_since(world, data_manager, editor):
    batch = _import(data_manager)
    figure = CasualtyFigure.objects.get(subgroup="officer")
    with acting(user=editor, channel=Channel.ADMIN):
        figure.note = "checked against the video"
        figure.save()
    with pytest.raises(RollbackRefused, match=r"casualty figure #\d+ was changed after the batch by edna_editor"):
        rollback(batch, user=data_manager, reason="wrong file")
    assert not CasualtyFigure.objects.filter(verification_status="retracted").exists()
    batch.refresh_from_db()
    assert batch.status == "applied"


def test_rollback_needs_a_data_manager_a_reason_and_an_applied_batch(world, data_manager, editor):
    batch = _import(data_manager)
    with pytest.raises(RollbackRefused, match="Only data managers"):
        rollback(batch, user=editor, reason="x")
    with pytest.raises(Exception, match="reason"):
        rollback(batch, user=data_manager, reason=" ")
    rollback(batch, user=data_manager, reason="duplicate file")
    with pytest.raises(RollbackRefused, match="is rolled back"):
        rollback(batch, user=data_manager, reason="again")


def test_reverting_needs_the_change_permission_of_what_is_reverted(world, data_manager, tmp_path):
    from django.contrib.auth.models import Permission

    _import(data_manager)
    changed = tmp_path / "figures.csv"
    changed.write_text((FIXTURES / "figures_good.csv").read_text().replace("10,10,exact,ten fighters",
                                                                            "11,11,exact,eleven fighters"))
    second = _import(data_manager, changed)
    limited = type(data_manager).objects.get(pk=data_manager.pk)  # a fresh permission cache
    limited.user_permissions.add(Permission.objects.get(codename="import_data"))
    limited.groups.clear()
    limited.user_permissions.add(*Permission.objects.filter(codename__in=["view_casualtyfigure", "add_casualtyfigure"]))
    with pytest.raises(RollbackRefused, match=r"missing events\.change_casualtyfigure\)\. Nothing was changed"):
        rollback(second, user=limited, reason="wrong file")
    second.refresh_from_db()
    assert second.status == "applied"
    assert CasualtyFigure.objects.filter(wording="eleven fighters").exists()


def test_the_rollback_command(world, data_manager):
    batch = _import(data_manager)
    out = io.StringIO()
    call_command("rollback_import", str(batch.pk), "--user", data_manager.username, "--reason", "test file",
                 stdout=out)
    assert "rolled back: retracted: 5 casualty figures; reverted: none." in out.getvalue()
    assert CasualtyFigure.objects.filter(import_batch=batch, verification_status="retracted").count() == 5
    with pytest.raises(CommandError, match="only an applied batch"):
        call_command("rollback_import", str(batch.pk), "--user", data_manager.username, "--reason", "again")
