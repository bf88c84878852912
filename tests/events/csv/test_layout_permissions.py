"""Layout imports need the permissions of what they write: conflictdb.import_data, and the add (and,
where a layout may update existing records, change) permission of every model the layout writes,
declared per layout (WRITES in events/csv/layouts/, read by conflictdb.csvio.layouts.layout_permissions).
A user missing one is refused before anything is read, with the missing permission named, and
nothing is written."""

import csv
import io
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import get_permission_codename
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from conflictdb.csvio.importing import check_permission
from conflictdb.csvio.layouts import import_layout, layout_permissions
from conflictdb.models import TrackedModel
from conflictdb.provenance import Channel, acting
from conflictdb.registry import registry
from conflictdb.roles import DATA_MANAGERS
from events.gazetteer import load_gazetteer
from events.models import Actor, CasualtyFigure, Claim, ConsensusFigure, EquipmentLoss, Event, StaleConsensus
from conflictdb.models import ImportBatch
from sources.models import Document, Source
from tests.paths import FIXTURES

IMPORTS = FIXTURES / "import"
FLAT = {"casualty-figures": IMPORTS / "flat" / "casualty_figures.csv",
        "equipment-losses": IMPORTS / "flat" / "equipment_losses.csv",
        "acled": IMPORTS / "flat" / "acled_syria_sample.csv"}
FILES = {"ucdp-ged": IMPORTS / "ucdp_ged231_sample_syria.csv", "oryx": IMPORTS / "oryx_sample_32.csv", **FLAT}
SMALL = {"ucdp-ged": IMPORTS / "ucdp_ged_sample_20.csv", "oryx": IMPORTS / "oryx_sample_32.csv", **FLAT}
# Written as a consequence of what a layout writes, never by the layout: the import batch itself,
# the history of each record, the consensus figures events.consensus derives from the claims and
# the marks of the events whose consensus the background job recomputes after the import.
BOOKKEEPING = {ImportBatch, ConsensusFigure, StaleConsensus}
LAYOUTS = list(registry["import_layouts"])


@pytest.fixture
def gazetteer(db):
    load_gazetteer()


def _import(path, layout, user, **options):
    with open(path, "rb") as handle:
        return import_layout(handle, layout, user=user, file_name=Path(path).name, **options)


def _perm(model, action):
    return f"{model._meta.app_label}.{get_permission_codename(action, model._meta)}"


def _counts():
    """Rows of every table (histories, batches and all), to show that nothing was written."""
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()}


def _without(user, permission):
    """The same data manager, holding every permission of the role but `permission` (a fresh
    instance: Django caches a user's permissions)."""
    app_label, codename = permission.split(".")
    permissions = Group.objects.get(name=DATA_MANAGERS).permissions.exclude(
        content_type__app_label=app_label, codename=codename)
    user.groups.clear()
    user.user_permissions.set(permissions)
    user = type(user).objects.get(pk=user.pk)
    assert user.has_perm("conflictdb.import_data") and not user.has_perm(permission)
    return user


def _written(batch):
    """{model: {"add", "change"}}: what the batch did, from the history rows it stamped (so records a
    later write changed again still count)."""
    done = {}
    for model in apps.get_models():
        if not issubclass(model, TrackedModel):
            continue
        kinds = set(model.history.model.objects.filter(import_batch_id=batch.pk, history_date__lte=batch.finished_at)
                    .values_list("history_type", flat=True).distinct())
        actions = {"add" for kind in kinds if kind == "+"} | {"change" for kind in kinds if kind == "~"}
        if actions:
            done[model] = actions
    return done


def _rewrite(path, tmp_path, change):
    """A copy of a CSV file with change(row) applied to every row."""
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header, rows = reader.fieldnames, list(reader)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        change(row)
        writer.writerow(row)
    target = tmp_path / f"changed_{Path(path).name}"
    target.write_text(out.getvalue(), encoding="utf-8")
    return target


def _revise_ged(row):
    row["where_description"] = (row["where_description"] + " (revised)").strip()  # the event's title
    row["source_headline"] += " [revised]"  # the document's text
    row["high"] = str(int(row["high"]) + 1)  # the claim's statement; a single party's range
    row["where_prec"] = {"1": "2", "2": "1"}.get(row["where_prec"], row["where_prec"])  # the event's place


def _revise_oryx(row):
    row["url"] += "?revised"  # the loss's evidence
    row["date_recorded"] = "2022-12-31"  # the claim's and the loss's date


def _revise_casualties(row):
    if row["Title"] and row["Document URL"]:
        row["Title"] += " (revised)"  # the document's title (found by its URL)
    row["Note"] = (row["Note"] + " revised").strip()  # the figure's note
    if row["Event ID"]:
        row["Date"] = "2024-11-29"  # the claim's dates (its key is the event id)


def _revise_equipment(row):
    row["Quantity"] = "2"  # the loss's count
    if row["Report title"]:
        row["Report title"] += " (revised)"  # the document's title


def _revise_acled(row):
    row["fatalities"] = str(int(row["fatalities"]) + 1)  # the figure, and the claim's statement
    row["notes"] += " (revised)"  # the event's summary and the document's text


REVISE = {"ucdp-ged": _revise_ged, "oryx": _revise_oryx, "casualty-figures": _revise_casualties,
          "equipment-losses": _revise_equipment, "acled": _revise_acled}
# The models whose records the revised sample changes (besides adding), per layout.
CHANGED = {"ucdp-ged": {Event, Document, Claim, Source, Actor}, "oryx": {EquipmentLoss, Claim, Source, Document},
           "casualty-figures": {CasualtyFigure, Claim, Document}, "equipment-losses": {EquipmentLoss, Document},
           "acled": {Event, Document, Claim, Source, CasualtyFigure}}


def test_each_layout_declares_its_own_add_and_change_permissions():
    ged, oryx = set(layout_permissions("ucdp-ged")), set(layout_permissions("oryx"))
    assert {"events.add_event", "events.change_event", "events.add_location", "events.add_eventactor",
            "events.add_actormembership", "sources.change_document"} <= ged
    assert {"events.add_equipmentloss", "events.change_equipmentloss", "events.change_equipmenttype"} <= oryx
    assert not ged & {"events.add_equipmentloss", "events.add_equipmenttype"}  # per layout, not one shared list
    assert not oryx & {"events.add_event", "events.add_location", "events.add_casualtyfigure"}
    for layout in LAYOUTS:
        names = layout_permissions(layout)
        assert len(names) == len(set(names)) and all(name.split(".")[1].startswith(("add_", "change_"))
                                                     for name in names)


def test_a_data_manager_imports_every_layout(gazetteer, data_manager):
    for layout in LAYOUTS:
        assert check_permission(data_manager, layout_permissions(layout)) is None
        outcome = _import(FILES[layout], layout, data_manager)
        assert outcome.errors == [] and outcome.batch.status == ImportBatch.Status.APPLIED, layout
        assert outcome.counts["created"] == outcome.rows > 0, layout
    assert Event.objects.filter(external_id__startswith="ucdp-ged:").count() == 265
    assert EquipmentLoss.objects.count() == 32 + 6


@pytest.mark.parametrize("layout, permission", [(layout, permission) for layout in LAYOUTS
                                                for permission in layout_permissions(layout)])
def test_missing_any_permission_of_a_layout_refuses_it_and_writes_nothing(db, data_manager, layout, permission):
    user = _without(data_manager, permission)
    assert permission in check_permission(user, layout_permissions(layout))
    before = _counts()
    with pytest.raises(PermissionError, match=rf"missing {permission}\)"):
        _import(SMALL[layout], layout, user)
    assert _counts() == before and not ImportBatch.objects.exists()  # refused before any batch is opened


def test_a_user_who_may_not_change_events_cannot_change_them_through_a_reimport(gazetteer, data_manager,
                                                                               tmp_path):
    _import(SMALL["ucdp-ged"], "ucdp-ged", data_manager)
    titles = dict(Event.objects.values_list("pk", "title"))
    changed = _rewrite(SMALL["ucdp-ged"], tmp_path, _revise_ged)
    user = _without(data_manager, "events.change_event")
    before = _counts()
    with pytest.raises(PermissionError, match=r"missing events\.change_event\)"):
        _import(changed, "ucdp-ged", user)
    with pytest.raises(PermissionError, match=r"missing events\.change_event\)"):  # a dry run too
        _import(changed, "ucdp-ged", user, dry_run=True)
    assert _counts() == before and dict(Event.objects.values_list("pk", "title")) == titles
    assert ImportBatch.objects.count() == 1


def test_the_command_line_refuses_a_layout_naming_the_missing_permission(db, data_manager):
    user = _without(data_manager, "events.add_equipmenttype")
    before = _counts()
    with pytest.raises(CommandError, match=r"missing events\.add_equipmenttype\)"):
        call_command("import_csv", str(SMALL["oryx"]), layout="oryx", user=user.username, no_progress=True,
                     stdout=io.StringIO(), stderr=io.StringIO())
    assert _counts() == before


def _edit_between_imports(layout, user):
    """Records the next import of the same file puts back: so that its updates reach more models."""
    with acting(user=user, channel=Channel.ADMIN):
        Source.objects.filter(name={"ucdp-ged": "UCDP GED", "oryx": "Oryx", "acled": "ACLED"}.get(layout, "")).update(
            url="https://example.org/")
        Document.objects.filter(external_id__startswith="oryx:list:").update(notes="edited")
        Actor.objects.filter(kind=Actor.Kind.COALITION, name__startswith="UCDP side:").update(description="edited")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_permissions_of_a_layout_cover_every_model_it_writes(gazetteer, data_manager, tmp_path, layout):
    declared = set(layout_permissions(layout))
    before = _counts()
    first = _import(FILES[layout], layout, data_manager).batch
    _edit_between_imports(layout, data_manager)
    second = _import(_rewrite(FILES[layout], tmp_path, REVISE[layout]), layout, data_manager).batch
    assert first.status == second.status == ImportBatch.Status.APPLIED and second.updated_count > 0

    written = {}
    for batch in (first, second):
        for model, actions in _written(batch).items():
            written.setdefault(model, set()).update(actions)
    needed = {_perm(model, action) for model, actions in written.items() for action in actions}
    assert needed <= declared, sorted(needed - declared)
    # Every model the layout declares is one the sample writes, and the layout's updates are seen.
    assert {name.split(".")[1].split("_", 1)[1] for name in declared} == {m._meta.model_name for m in written}
    assert {m for m, actions in written.items() if "change" in actions} >= CHANGED[layout]

    # No write escaped the tracked models (whose histories the batches stamp).
    grown = {model for model in apps.get_models() if model._base_manager.count() != before[model._meta.label]}
    untracked = {model for model in grown - set(written) - BOOKKEEPING if not hasattr(model, "instance_type")}
    assert untracked == set(), untracked
