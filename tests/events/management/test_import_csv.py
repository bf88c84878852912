"""`manage.py import_csv`: progress bar, summary, refusal with every error, dry run, permissions."""

import io

import pytest
from django.core.management import CommandError, call_command

from events.models import Actor, CasualtyFigure, Claim
from conflictdb.models import ImportBatch
from tests.factories import make_world
from tests.paths import FIXTURES

FIXTURES = FIXTURES / "import"


@pytest.fixture
def world(db):
    world = make_world()
    Claim.objects.filter(pk=world["claim"].pk).update(external_id="CLM-1")
    Actor.objects.filter(pk=world["actor"].pk).update(name="Faction Hoor")
    Actor.objects.filter(pk=world["actor2"].pk).update(name="Army Hoor")
    world["location"].__class__.objects.filter(pk=world["location"].pk).update(name="Hoor Village")
    return world


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_csv", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_shows_progress_and_a_summary(world, data_manager):
    out, err = _run(str(FIXTURES / "figures_good.csv"), "--model", "casualtyfigure", "--user", data_manager.username)
    assert "100%" in err and "5 rows" in err
    batch = ImportBatch.objects.get()
    assert out.strip() == (f"5 rows: 5 created, 0 updated, 0 unchanged, 0 refused — applied. "
                           f"Import batch #{batch.pk}.")
    out, _ = _run(str(FIXTURES / "figures_good.csv"), "--model", "casualtyfigure", "--user", data_manager.username,
                  "--no-progress")
    assert "0 created, 0 updated, 5 unchanged" in out


def test_a_refused_file_lists_every_error_and_fails(world, data_manager):
    before = CasualtyFigure.objects.count()
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"Refused, nothing was changed: \d+ errors in 7 of 8 rows"):
        call_command("import_csv", str(FIXTURES / "figures_bad.csv"), "--model", "casualtyfigure", "--user",
                     data_manager.username, "--no-progress", stderr=err)
    assert "row 2, column 'affiliation', value 'Faction Hor': no actor is called 'Faction Hor'" in err.getvalue()
    assert "row 9, column 'claim, affiliation" in err.getvalue()
    assert CasualtyFigure.objects.count() == before
    assert ImportBatch.objects.get().status == "refused"


def test_a_dry_run_counts_and_changes_nothing(world, data_manager):
    out, _ = _run(str(FIXTURES / "figures_good.csv"), "--model", "casualtyfigure", "--user", data_manager.username,
                  "--dry-run", "--no-progress")
    assert "5 created" in out and "dry run: nothing was changed" in out
    assert not ImportBatch.objects.exists() and CasualtyFigure.objects.count() == 1


@pytest.mark.parametrize(("args", "message"), [
    (["--model", "casualtyfigure", "--user", "nobody"], "No user 'nobody'"),
    (["--model", "widgets", "--user", "dana_datamanager"], "No CSV columns for “widgets”"),
    (["--model", "casualtyfigure", "--user", "edna_editor"], "Only data managers may import"),
])
def test_wrong_arguments_and_users_are_refused_plainly(world, data_manager, editor, args, message):
    with pytest.raises(CommandError, match=message):
        _run(str(FIXTURES / "figures_good.csv"), *args)
