"""The gazetteer loader: OCHA P-codes and GeoNames places, idempotent, attributed, honestly placed."""

import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction

from events.gazetteer import (
    DISTRICT_BY_NAME,
    DISTRICT_BY_NEAREST_SEAT,
    DISTRICT_NOT_DETERMINED,
    GEONAMES_ADMIN1_PCODE,
    GEONAMES_ATTRIBUTION,
    GEONAMES_JSON,
    OCHA_ATTRIBUTION,
    load_gazetteer,
)
from events.models import Location, LocationAlias
from events.places import distance_km

GEONAMES = json.loads(GEONAMES_JSON.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def gazetteer(django_db_setup, django_db_blocker):
    """Loaded once for the module (and rolled back after it); returns the first run's counts."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield load_gazetteer()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def loaded(gazetteer, db):
    return gazetteer


def geonames(geonames_id: int) -> Location:
    return Location.objects.get(geonames_id=geonames_id)


def state():
    """Every row, version and history row of the gazetteer's two tables."""
    return {
        model.__name__: (sorted(model.objects.values_list("pk", "version")), model.history.count())
        for model in (Location, LocationAlias)
    }


def test_first_load_counts(loaded):
    assert loaded["places created"] == 1 + 14 + 62 + len(GEONAMES)
    assert Location.objects.filter(kind="governorate").count() == 14
    assert Location.objects.filter(kind="district").count() == 62
    assert Location.objects.filter(geonames_id__isnull=False).count() == len(GEONAMES)
    assert loaded["aliases created"] == LocationAlias.objects.count() > 2500


def test_second_run_changes_nothing(loaded):
    before = state()
    counts = load_gazetteer()
    assert state() == before  # no new rows, no version bumps, no history
    assert counts["places unchanged"] == Location.objects.count()
    assert counts["aliases created"] == 0


def test_command_prints_counts(loaded):
    out = io.StringIO()
    call_command("load_gazetteer", stdout=out)
    assert "places unchanged" in out.getvalue() and out.getvalue().strip().endswith("Gazetteer loaded.")


def test_provenance_is_the_seed_channel(loaded):
    aleppo = Location.objects.get(pcode="SY02")
    assert aleppo.channel == "seed"
    assert aleppo.history.first().history_change_reason.startswith("gazetteer: ")


def test_attribution_is_kept(loaded):
    admin_areas = Location.objects.filter(kind__in=["country", "governorate", "district"])
    assert set(admin_areas.values_list("attribution", flat=True)) == {OCHA_ATTRIBUTION}
    assert set(Location.objects.filter(geonames_id__isnull=False).values_list("attribution", flat=True)) == {
        f"{GEONAMES_ATTRIBUTION}. {note}" for note in (DISTRICT_BY_NAME, DISTRICT_BY_NEAREST_SEAT, DISTRICT_NOT_DETERMINED)
    }


def test_admin_hierarchy(loaded):
    syria = Location.objects.get(pcode="SY")
    assert (syria.name, syria.kind, syria.parent) == ("Syria", "country", None)
    idleb = Location.objects.get(pcode="SY07")
    assert (idleb.name, idleb.parent) == ("Idleb", syria)
    assert Location.objects.get(pcode="SY0703").parent == idleb


@pytest.mark.parametrize(("geonames_id", "pcode"), [(174018, "SY02"), (170063, "SY02"), (169389, "SY07"), (164782, "SY07")])
def test_geonames_admin1_codes_map_to_p_codes(loaded, geonames_id, pcode):
    """GeoNames 09 is Aleppo (SY02), 12 is Idleb (SY07)."""
    assert geonames(geonames_id).governorate().pcode == pcode


def test_every_place_lies_in_the_governorate_of_its_admin1_code(loaded):
    governorate_of = {
        place.geonames_id: place.governorate().pcode
        for place in Location.objects.filter(geonames_id__isnull=False).select_related("parent__parent")
    }
    assert governorate_of == {
        int(record["geonameid"]): GEONAMES_ADMIN1_PCODE[record["admin1code"]] for record in GEONAMES.values()
    }


def test_coordinates_have_five_decimals_and_are_approximate(loaded):
    atarib = geonames(174030)
    assert (atarib.latitude, atarib.longitude) == (Decimal("36.13907"), Decimal("36.82504"))
    assert atarib.coordinate_precision == "approximate"


def test_alternate_names_become_aliases(loaded):
    aleppo = geonames(170063)
    aliases = dict(aleppo.aliases.values_list("name", "language"))
    assert aliases["حلب"] == "ar" and aliases["Halab"] == "" and aliases["Aleppo"] == ""
    assert set(aleppo.aliases.values_list("origin", flat=True)) == {"gazetteer"}
    assert "ALP" not in aliases  # an IATA code, not a name
    assert not any("\u0400" <= char <= "\u04ff" for name in aliases for char in name)  # no Cyrillic
    assert aleppo.name_ar == "حلب"


def test_arabic_name_is_the_one_that_spells_the_place(loaded):
    """Kafr Lāhā (also known as Houla) has the Arabic alternates الحولة and كفر لاها."""
    assert geonames(168668).name_ar == "كفر لاها"
    assert geonames(168668).aliases.filter(name__startswith="الحولة", language="ar").exists()


def test_district_seats_are_found_by_name(loaded):
    assert geonames(174018).parent.pcode == "SY0202"  # Al Bāb, seat of Al Bab
    assert geonames(169179).parent.pcode == "SY0208"  # Jarābulus
    assert geonames(170063).parent.pcode == "SY0200"  # Aleppo: the central district Jebel Saman
    assert geonames(172374).parent.pcode == "SY1103"  # Al-Tabqa, whose alternate name is Ath Thawrah
    assert geonames(174018).attribution.endswith(DISTRICT_BY_NAME)


def test_other_places_lie_in_the_district_of_the_nearest_seat(loaded):
    seats = {place.parent_id: place for place in Location.objects.filter(attribution__endswith=DISTRICT_BY_NAME)}
    placed = Location.objects.filter(attribution__endswith=DISTRICT_BY_NEAREST_SEAT)
    assert placed.count() > 150
    for place in placed:
        own = Location.objects.filter(kind="district", parent=place.parent.parent)
        nearest = min(own, key=lambda district: distance_km(
            (place.latitude, place.longitude), (seats[district.pk].latitude, seats[district.pk].longitude)))
        assert place.parent == nearest
    assert geonames(174030).parent.pcode == "SY0200"  # Al Atārib, nearest to Aleppo


@pytest.mark.parametrize("pcode", ["SY03", "SY04", "SY14"])
def test_no_district_where_a_district_has_no_seat(loaded, pcode):
    """Rural Damascus, Al Makhrim (Homs) and Al Fiq (Quneitra) have no place of their name."""
    governorate = Location.objects.get(pcode=pcode)
    undetermined = Location.objects.filter(parent=governorate, geonames_id__isnull=False)
    assert undetermined.exists()
    assert all(place.attribution.endswith(DISTRICT_NOT_DETERMINED) for place in undetermined)
    assert not Location.objects.filter(parent__parent=governorate, attribution__endswith=DISTRICT_BY_NEAREST_SEAT).exists()


def test_a_place_made_earlier_is_adopted_not_duplicated(loaded):
    """A seeded village without a GeoNames id, under its governorate, named as GeoNames names it."""
    geonames(174030).delete()
    aleppo = Location.objects.get(pcode="SY02")
    village = Location.objects.create(name="Atarib", kind="community", parent=aleppo, attribution="Seed article")
    LocationAlias.objects.create(location=village, name="Atarib", origin="document")
    counts = load_gazetteer()
    village.refresh_from_db()
    assert counts["places adopted by name"] == 1
    assert Location.objects.filter(geonames_id=174030).get() == village
    assert (village.name, village.parent) == ("Atarib", aleppo)  # what was there stays
    assert village.latitude == Decimal("36.13907") and village.name_ar  # what was missing is filled
    assert village.attribution == f"Seed article; {GEONAMES_ATTRIBUTION}"
    assert village.aliases.filter(name="Al Atārib", origin="gazetteer").exists()
    assert village.aliases.get(name="Atarib").origin == "document"


def test_values_a_source_gave_are_not_overwritten(loaded):
    al_bab = geonames(174018)
    Location.objects.filter(pk=al_bab.pk).update(latitude=Decimal("36.37000"), coordinate_precision="exact")
    load_gazetteer()
    al_bab.refresh_from_db()
    assert (al_bab.latitude, al_bab.coordinate_precision) == (Decimal("36.37000"), "exact")


def test_country_made_without_its_p_code_is_matched(loaded):
    Location.objects.filter(pcode="SY").update(pcode="")
    load_gazetteer()
    assert Location.objects.filter(kind="country").get().pcode == "SY"
