"""The django-import-export resources (conflictdb.csvio.resources): one per model, built from the
same columns, natural keys as import ids — the library path the benchmark measures."""

import tablib

from conflictdb.csvio.importing import importable
from conflictdb.csvio.resources import resource_for
from conflictdb.provenance import Channel, acting
from conflictdb.registry import registry
from events.models import Actor, CasualtyFigure, Claim, Location
from tests.factories import make_world


def test_every_importable_model_has_a_resource_with_its_natural_key():
    for name, spec in registry["csv_models"].items():
        if not importable(spec):
            continue
        resource = resource_for(name)()
        assert resource._meta.model is spec.model
        assert resource._meta.import_id_fields, name


def test_the_library_path_imports_figures_by_natural_keys(db, data_manager):
    world = make_world()
    Claim.objects.filter(pk=world["claim"].pk).update(external_id="CLM-1")
    Actor.objects.filter(pk=world["actor"].pk).update(name="Faction Hoor")
    Location.objects.filter(pk=world["location"].pk).update(name="Hoor Village")
    dataset = tablib.Dataset(
        ["CLM-1", "Faction Hoor", "combatant", "", "injured", "3", "3", "exact", "three", "", "Hoor Village",
         "2024-11-27", ""],
        headers=["claim", "affiliation", "category", "subgroup", "outcome", "low", "high", "qualifier", "wording",
                 "perpetrator", "place", "date", "note"])
    with acting(user=data_manager, channel=Channel.IMPORT):
        result = resource_for("casualtyfigure")().import_data(dataset)
    assert not result.has_errors() and not result.has_validation_errors()
    figure = CasualtyFigure.objects.get(outcome="injured")
    assert (figure.claim_id, figure.affiliation.name, figure.place.name, figure.low) == (
        world["claim"].pk, "Faction Hoor", "Hoor Village", 3)
    assert figure.channel == "import" and figure.history.count() == 1
