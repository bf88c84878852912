"""Names → records (events.naming, sources.naming): the rules every door shares."""

import pytest

from events import naming
from events.models import Actor, EquipmentType, Event, Location
from sources.models import Source
from sources.naming import sources_named

pytestmark = pytest.mark.django_db


def test_places_by_id_code_spelling_and_matcher(seeded):
    aleppo = Location.objects.get(pcode="SY02")
    assert list(naming.places_named(str(aleppo.pk))) == [aleppo]
    assert list(naming.places_named("sy02")) == [aleppo]
    assert aleppo in naming.places_named("Aleppo")  # an exact spelling: every place it names
    with pytest.raises(naming.PlaceNotResolved):
        naming.places_named("Zzyzx Qqq")


def test_one_place_and_references(seeded):
    aleppo = Location.objects.get(pcode="SY02")
    assert naming.one_place_id("SY02") == aleppo.pk
    assert naming.place_by_reference("sy02") == aleppo
    assert naming.place_by_reference("geonames:notanumber") is None
    with_geonames = Location.objects.exclude(geonames_id=None).first()
    assert naming.place_by_reference(f"geonames:{with_geonames.geonames_id}") == with_geonames
    with pytest.raises(naming.PlaceNotResolved):
        naming.one_place_id("Zzyzx Qqq")


def test_actors_equipment_sources_and_events_by_name_or_alias(seeded):
    hts = Actor.objects.get(short_name="HTS")
    assert list(naming.actors_named("hts")) == [hts]
    assert list(naming.actors_named("Hay’at Tahrir al-Sham")) == [hts]  # an alias
    tank = EquipmentType.objects.filter(aliases__isnull=False).first()
    assert tank in naming.equipment_types_named(tank.name.upper())
    plus963 = Source.objects.get(name="+963 Media")
    assert list(sources_named("+963")) == [plus963]
    event = Event.objects.first()
    assert list(naming.events_named(str(event))) == [event]


def test_alias_keys_name_records_of_each_kind(seeded):
    found = naming.named_by_alias_keys({"hts", "aleppo"})
    assert [actor.short_name for actor in found["actors"]["hts"]] == ["HTS"]
    assert Location.objects.get(pcode="SY02") in found["places"]["aleppo"]
    assert found["equipment_types"] == {}


def test_every_spelling_of_actors_and_equipment_types_as_rows(seeded):
    hts = Actor.objects.get(short_name="HTS")
    rows = {pk: spellings for pk, *spellings in naming.actor_spellings()}
    assert {"Hay'at Tahrir al-Sham", "HTS", "Jabhat al-Nusra"} <= set(rows[hts.pk])
    types = {pk: spellings for pk, *spellings in naming.equipment_type_spellings()}
    assert set(types) == set(EquipmentType.objects.values_list("pk", flat=True))
