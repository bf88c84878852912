"""A figure named by its party, category, subgroup and outcome within the row's own claim: a
casualty figure's `part_of` (officers among the soldiers killed) and a casualty's `figure` go out
in exports and come back on import, in any row order, with clear errors when unknown or
ambiguous."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction

from conflictdb.csvio.exporting import export_for, write_csv
from conflictdb.csvio.importing import import_file
from conflictdb.provenance import acting
from events.models import Casualty, CasualtyFigure, Claim, Location
from tests.factories import make_world

HEADER = ("claim,affiliation,category,subgroup,outcome,low,high,qualifier,wording,place,place_ref,"
          "part_of_affiliation,part_of_category,part_of_subgroup,part_of_outcome\n")


@pytest.fixture
def world(db):
    w = make_world()
    w["claim"].external_id = "claim-1"
    w["claim"].save()
    return w


def _export(user, model, tmp_path):
    target = tmp_path / f"{model}.csv"
    with open(target, "w", encoding="utf-8", newline="") as stream:
        write_csv(export_for(model, user), stream)
    return target


def _import(tmp_path, text, user, model="casualtyfigure"):
    target = tmp_path / "figures.csv"
    target.write_text(text, encoding="utf-8")
    return import_file(target, model, user=user)


def test_the_seed_articles_larger_figures_go_out_and_come_back(seeded, data_manager, tmp_path):
    parts = {figure.pk: figure.part_of_id for figure in CasualtyFigure.objects.exclude(part_of=None)}
    assert len(parts) == 2  # "including officers", "including a woman"
    target = _export(data_manager, "casualtyfigure", tmp_path)
    text = target.read_text(encoding="utf-8")
    assert "part_of_affiliation,part_of_category,part_of_subgroup,part_of_outcome" in text.splitlines()[0]
    with transaction.atomic():
        with acting(user=data_manager):
            CasualtyFigure.objects.filter(pk__in=parts).update(part_of=None)
        outcome = import_file(target, "casualtyfigure", user=data_manager)
        assert outcome.errors == [] and outcome.counts["updated"] == 2, outcome.errors
        assert {figure.pk: figure.part_of_id for figure in CasualtyFigure.objects.filter(pk__in=parts)} == parts
        transaction.set_rollback(True)


def test_a_part_may_come_before_the_figure_it_is_part_of(db, data_manager, tmp_path, world):
    claim = world["claim"]
    text = HEADER + (
        f"{claim.external_id},{world['actor'].name},combatant,officer,killed,3,3,exact,three officers,,,"
        f"{world['actor'].name},combatant,,captured\n"
        f"{claim.external_id},{world['actor'].name},combatant,,captured,12,12,exact,twelve soldiers,,,,,,\n")
    outcome = _import(tmp_path, text, data_manager)
    assert outcome.errors == [] and outcome.counts["created"] == 2, outcome.errors
    officers = CasualtyFigure.objects.get(claim=claim, subgroup="officer")
    assert officers.part_of == CasualtyFigure.objects.get(claim=claim, subgroup="", outcome="captured")


def test_an_unknown_larger_figure_is_a_row_error_and_nothing_is_written(db, data_manager, tmp_path, world):
    claim = world["claim"]
    before = CasualtyFigure.objects.count()
    text = HEADER + (f"{claim.external_id},{world['actor'].name},combatant,officer,injured,3,3,exact,,,,"
                     f"{world['actor'].name},civilian,,injured\n")
    outcome = _import(tmp_path, text, data_manager)
    [error] = outcome.errors
    assert (error.row, error.column) == (2, "part_of_affiliation")
    assert error.reason == (f"no casualty figure matches part_of_affiliation '{world['actor'].name}', "
                            "part_of_category 'civilian', part_of_subgroup '', part_of_outcome 'injured', "
                            "in claim 'claim-1'")
    assert CasualtyFigure.objects.count() == before


def test_a_larger_figure_of_another_claim_is_not_found(db, data_manager, tmp_path, world):
    other = Claim.objects.create(external_id="other-claim", document=world["claim"].document,
                                 claimant=world["claim"].claimant, event=world["claim"].event,
                                 statement="Another claim.")
    figure = world["figure"]
    text = HEADER + (f"{other.external_id},{figure.affiliation.name},combatant,officer,killed,1,1,exact,,,,"
                     f"{figure.affiliation.name},{figure.category},{figure.subgroup},{figure.outcome}\n")
    outcome = _import(tmp_path, text, data_manager)
    assert [error.column for error in outcome.errors] == ["part_of_affiliation"]
    assert outcome.errors[0].reason.endswith("in claim 'other-claim'")


def test_two_matching_figures_are_refused_as_ambiguous(db, data_manager, tmp_path, world):
    figure = world["figure"]
    place = Location.objects.create(name="Somewhere", kind=Location.Kind.COMMUNITY)
    CasualtyFigure.objects.create(claim=figure.claim, affiliation=figure.affiliation, category=figure.category,
                                  subgroup=figure.subgroup, outcome=figure.outcome, low=1, high=1, place=place)
    text = HEADER + (f"{figure.claim.external_id},{figure.affiliation.name},combatant,officer,killed,1,1,exact,,,,"
                     f"{figure.affiliation.name},{figure.category},{figure.subgroup},{figure.outcome}\n")
    outcome = _import(tmp_path, text, data_manager)
    assert len(outcome.errors) == 1 and "more than one casualty figure matches" in outcome.errors[0].reason


def test_a_casualty_is_counted_in_a_figure_of_its_own_claim(db, data_manager, tmp_path, world):
    figure = world["figure"]
    header = "claim,name,age,sex,category,outcome,figure_affiliation,figure_category,figure_subgroup,figure_outcome\n"
    text = header + (f"{figure.claim.external_id},Ahmad,30,male,combatant,killed,{figure.affiliation.name},"
                     f"{figure.category},{figure.subgroup},{figure.outcome}\n")
    outcome = _import(tmp_path, text, data_manager, model="casualty")
    assert outcome.errors == [], outcome.errors
    casualty = Casualty.objects.get(claim=figure.claim, name="Ahmad")
    assert casualty.figure == figure
    exported = _export(data_manager, "casualty", tmp_path).read_text(encoding="utf-8")
    assert f",{figure.affiliation.name},{figure.category},{figure.subgroup},{figure.outcome}" in exported
    out = io.StringIO()
    call_command("import_csv", str(tmp_path / "casualty.csv"), "--model", "casualty", "--user",
                 data_manager.username, "--dry-run", "--no-progress", stdout=out, stderr=out)
    assert "0 created, 0 updated, 1 unchanged, 0 refused" in out.getvalue(), out.getvalue()


def test_the_model_refuses_a_casualty_in_a_figure_of_another_claim(db, world):
    other = Claim.objects.create(external_id="other-claim", document=world["claim"].document,
                                 claimant=world["claim"].claimant, event=world["claim"].event,
                                 statement="Another claim.")
    with pytest.raises(ValidationError, match="same claim"):
        Casualty.objects.create(claim=other, figure=world["figure"], category="civilian", outcome="killed")


def test_hand_entered_events_and_claims_get_an_external_id_that_exports_name(db, data_manager, tmp_path, world):
    claim = Claim.objects.create(document=world["claim"].document, claimant=world["claim"].claimant,
                                 event=world["event"], statement="Entered by hand.")
    assert claim.external_id.startswith("conflictdb:claim:") and world["event"].external_id.startswith("conflictdb:event:")
    CasualtyFigure.objects.create(claim=claim, category="civilian", outcome="injured", low=2, high=2)
    exported = _export(data_manager, "casualtyfigure", tmp_path)
    assert f"{claim.external_id},,civilian,,injured,2,2," in exported.read_text(encoding="utf-8")
    outcome = import_file(exported, "casualtyfigure", user=data_manager, dry_run=True)
    assert outcome.errors == [] and outcome.counts["unchanged"] == CasualtyFigure.objects.count()


def test_the_migration_gives_existing_hand_entered_records_an_id(db, world):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("events.migrations.0004_external_ids_for_hand_entered_records")
    Claim.objects.filter(pk=world["claim"].pk).update(external_id="")
    Claim.history.filter(id=world["claim"].pk).update(external_id="")
    migration.backfill(apps, None)
    world["claim"].refresh_from_db()
    assert world["claim"].external_id.startswith("conflictdb:claim:")
    # The history carries it too, so restoring or rolling back an older version keeps the id.
    assert set(Claim.history.filter(id=world["claim"].pk).values_list("external_id", flat=True)) == {
        world["claim"].external_id}


def test_place_and_date_tell_two_such_figures_apart_and_round_trip(db, data_manager, tmp_path, world):
    figure = world["figure"]
    place = Location.objects.create(name="Kafr Test", kind=Location.Kind.COMMUNITY, pcode="SY999999")
    other = CasualtyFigure.objects.create(claim=figure.claim, affiliation=figure.affiliation, category=figure.category,
                                          subgroup=figure.subgroup, outcome=figure.outcome, low=4, high=4, place=place)
    header = HEADER.rstrip("\n") + ",part_of_place_ref,part_of_date\n"
    row = (f"{figure.claim.external_id},{figure.affiliation.name},combatant,officer,killed,1,1,exact,,,,"
           f"{figure.affiliation.name},Combatant,,Killed")  # labels are accepted as everywhere
    outcome = _import(tmp_path, header + row + ",SY999999,\n", data_manager)
    assert outcome.errors == [], outcome.errors
    officer = CasualtyFigure.objects.get(claim=figure.claim, subgroup="officer")
    assert officer.part_of == other
    exported = _export(data_manager, "casualtyfigure", tmp_path)
    again = import_file(exported, "casualtyfigure", user=data_manager, dry_run=True)
    assert again.errors == [] and again.counts["unchanged"] == CasualtyFigure.objects.count()


def test_an_unknown_claim_is_reported_once_under_its_own_column(db, data_manager, tmp_path, world):
    text = HEADER + (f"no-such-claim,{world['actor'].name},combatant,officer,killed,1,1,exact,,,,"
                     f"{world['actor'].name},combatant,,killed\n")
    outcome = _import(tmp_path, text, data_manager)
    assert [error.column for error in outcome.errors] == ["claim"]


def test_the_four_reference_columns_go_together(db, data_manager, tmp_path, world):
    text = ("claim,category,outcome,low,part_of_category,part_of_outcome\n"
            f"{world['claim'].external_id},combatant,killed,1,combatant,killed\n")
    outcome = _import(tmp_path, text, data_manager)
    [error] = outcome.errors
    assert error.row == 1 and error.column == "part_of_affiliation, part_of_subgroup"
    assert "a reference needs all of them" in error.reason


def test_a_loop_of_larger_figures_is_refused(db, world, editor):
    figure = world["figure"]
    with acting(user=editor):
        part = CasualtyFigure.objects.create(claim=figure.claim, category="combatant", subgroup="officer",
                                             outcome="killed", low=1, high=1, part_of=figure)
        figure.part_of = part
        with pytest.raises(ValidationError, match="a loop"):
            figure.save()


def test_a_figure_with_parts_or_casualties_cannot_move_to_another_claim(db, world, editor):
    figure = world["figure"]
    other = Claim.objects.create(document=world["claim"].document, claimant=world["claim"].claimant,
                                 statement="Another claim.")
    with acting(user=editor):
        Casualty.objects.create(claim=figure.claim, figure=figure, category="combatant", outcome="killed")
        moved = CasualtyFigure.objects.get(pk=figure.pk)
        moved.claim = other
        with pytest.raises(ValidationError, match="move or unlink them first"):
            moved.save()
