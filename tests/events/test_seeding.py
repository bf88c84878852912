"""The seed loader: the article's facts come out of the database, a second run changes nothing,
and a bad file is refused whole, with an error naming the claim, the field and the value."""

import io
import os
import shutil
from pathlib import Path

import pytest
import yaml
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import transaction

from conflictdb.models import TrackedModel, VerificationStatus
from conflictdb.names import normalise_name
from conflictdb.provenance import Channel
from events.models import (
    Attack,
    CasualtyFigure,
    Claim,
    Displacement,
    EquipmentLoss,
    Location,
    TerritorialChange,
)
from events.gazetteer import OCHA_ATTRIBUTION
from events.seeding import load_seeds
from sources.models import Document, Excerpt, Source
from tests import seed_snapshot

pytestmark = pytest.mark.django_db

SEEDS = Path(settings.BASE_DIR) / "seeds"
ARTICLE_YAML = SEEDS / "article_000_edd5ec991ef37588.yaml"
ARTICLE_TEXT = SEEDS / "000_edd5ec991ef37588.txt"
SEED_ID = "seed:000_edd5ec991ef37588"
ADMIN_AREAS = ["country", "governorate", "district"]


def tracked_models():
    return [model for model in apps.get_models() if issubclass(model, TrackedModel)]


def snapshot():
    """Rows, history rows and every version, per tracked model."""
    return {
        model._meta.label: (
            model.objects.count(),
            model.history.count(),
            sorted(model.objects.values_list("pk", "version")),
        )
        for model in tracked_models()
    }


def load(*paths):
    out = io.StringIO()
    call_command("load_seeds", *map(str, paths), stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The seeds, loaded once for the module inside a transaction rolled back at its end.

    Each test still runs in its own savepoint (pytest-django), so tests that load again or write
    leave the module's data as they found it.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        load()
        yield
        transaction.set_rollback(True)


def claim(key):
    return Claim.objects.get(external_id=f"{SEED_ID}:{key}")


def place(spelling):
    """The one place the article names with this spelling (admin areas aside: "Afrin" is also
    a district)."""
    places = Location.objects.filter(aliases__normalised=normalise_name(spelling)).exclude(kind__in=ADMIN_AREAS)
    return places.distinct().get()


# --- bad files --------------------------------------------------------------------------------
# First in the module, so that they run before `seeded` exists: on an empty database.


def broken_copy(tmp_path, change):
    """A copy of the article file (and its text) with one change applied to the parsed YAML."""
    shutil.copy(ARTICLE_TEXT, tmp_path / ARTICLE_TEXT.name)
    data = yaml.safe_load(ARTICLE_YAML.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "article_broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def claim_entry(data, key):
    return next(entry for entry in data["claims"] if entry["key"] == key)


def misquote(data):
    claim_entry(data, "milsource-government-killed")["quotes"] = ["more than 36 government soldiers"]


def unknown_place(data):
    claim_entry(data, "outlet-captured-towns")["territorial_changes"][0]["places"].append("atlantis")


def unknown_qualifier(data):
    claim_entry(data, "milsource-opposition-killed")["casualty_figures"][0]["qualifier"] = "roughly"


def exact_range(data):
    claim_entry(data, "outlet-soldiers-captured")["casualty_figures"][0]["high"] = 6


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (misquote, ["milsource-government-killed", "quotes[0]", "more than 36 government soldiers"]),
        (unknown_place, ["outlet-captured-towns", "atlantis", "unknown place"]),
        (unknown_qualifier, ["milsource-opposition-killed", "qualifier", "roughly"]),
        (exact_range, ["outlet-soldiers-captured", "casualty_figures[0]", "An exact figure has low = high", "'high': 6"]),
    ],
)
def test_a_bad_file_is_refused_whole_and_named(tmp_path, change, expected):
    before = snapshot()
    with pytest.raises(CommandError) as refused:
        load(broken_copy(tmp_path, change))
    for fragment in expected:
        assert fragment in str(refused.value)
    assert snapshot() == before  # nothing written, not even the gazetteer loaded before the file


# --- idempotence ------------------------------------------------------------------------------


def test_second_run_changes_nothing(seeded):
    before = snapshot()
    output = load()
    assert snapshot() == before
    assert "created 0, updated 0," in output
    totals = load_seeds().totals
    assert (totals["created"], totals["updated"]) == (0, 0)
    assert totals["unchanged"] > 500


def test_every_seeded_record_came_through_the_seed_channel(seeded):
    for model in tracked_models():
        assert not model.objects.exclude(channel=Channel.SEED).exists(), model
        assert not model.objects.exclude(last_channel=Channel.SEED).exists(), model
    reasons = set(Claim.history.values_list("history_change_reason", flat=True))
    assert reasons == {"seed: article_000_edd5ec991ef37588.yaml"}
    reasons = set(Location.history.filter(pcode="SY02").values_list("history_change_reason", flat=True))
    assert reasons == {"gazetteer: ocha_cod_pcodes_syria_adm1_adm2.csv, geonames_cities500_syria.json"}


def test_nothing_is_verified(seeded):
    for model in tracked_models():
        assert not model.objects.exclude(verification_status=VerificationStatus.UNVERIFIED).exists(), model


# --- the article's facts ----------------------------------------------------------------------


def test_ten_opposition_fighters_killed(seeded):
    figure = CasualtyFigure.objects.get(
        affiliation__name="Syrian opposition factions", outcome="killed", category="combatant"
    )
    assert (figure.low, figure.high, figure.qualifier, figure.wording) == (10, 10, "exact", "ten")
    assert figure.claim.claimant.protected
    assert figure.claim.claimant.public_label == "Anonymous opposition military source"


def test_more_than_35_government_soldiers_killed_including_officers(seeded):
    figures = CasualtyFigure.objects.filter(claim=claim("milsource-government-killed"), affiliation__name="Syrian government forces")
    soldiers = figures.get(subgroup="")
    assert (soldiers.low, soldiers.high, soldiers.qualifier, soldiers.wording) == (36, None, "more_than", "more than 35")
    officers = figures.get(subgroup="officer")
    assert officers.outcome == "killed"
    assert officers.qualifier == "at_least"
    assert officers.low >= 1
    assert officers.high is None


def test_dozens_killed_is_a_word_not_a_number(seeded):
    figure = CasualtyFigure.objects.get(claim=claim("outlet-dozens-killed"))
    assert (figure.low, figure.high, figure.qualifier) == (None, None, "dozens")


def test_child_killed_and_four_wounded_including_a_woman(seeded):
    figures = CasualtyFigure.objects.filter(claim=claim("localsource-civilian-casualties"), category="civilian")
    child = figures.get(subgroup="child")
    assert (child.outcome, child.low, child.high, child.qualifier) == ("killed", 1, 1, "exact")
    wounded = figures.get(outcome="injured", subgroup="")
    assert (wounded.low, wounded.high, wounded.qualifier) == (4, 4, "exact")
    woman = figures.get(outcome="injured", subgroup="woman")
    assert (woman.low, woman.high) == (1, 1)
    assert child.claim.claimant.public_label == "Anonymous local source"


def test_five_soldiers_captured_on_the_46th_regiment_front(seeded):
    figure = CasualtyFigure.objects.get(outcome="captured")
    assert (figure.low, figure.high, figure.qualifier) == (5, 5, "exact")
    assert figure.affiliation.name == "Syrian government forces"
    assert figure.place == place("46th Regiment front") == place("46th Regiment")


def test_equipment_seized_per_place(seeded):
    def seized(spelling):
        losses = EquipmentLoss.objects.filter(status="captured", place=place(spelling))
        return {loss.equipment_type.name: (loss.low, loss.high) for loss in losses}

    assert seized("Ajel") == {"Tank": (3, 3), "BMP infantry fighting vehicle": (1, 1), "23 mm autocannon": (1, 1)}
    assert seized("Hoor") == {"Tank": (1, 1), "BMP infantry fighting vehicle": (1, 1)}
    assert seized("al-Hota") == {"Tank": (1, 1), "Kornet ATGM depot": (1, 1)}
    loss = EquipmentLoss.objects.filter(place=place("Ajel"), equipment_type__aliases__normalised="bmb").get()
    assert (loss.owner.name, loss.captor.name) == ("Syrian government forces", "Syrian opposition factions")
    assert EquipmentLoss.objects.filter(equipment_type__aliases__normalised=normalise_name("23-caliber cannon")).count() == 1


def test_captured_places_resolve_every_spelling_to_one_location(seeded):
    captured = set(TerritorialChange.objects.filter(kind="captured").values_list("place", flat=True))
    for first, second in [("Palau", "Bala"), ("Urum al-Sughra", "Orm al-Sughra"), ("al-Qasimiyah", "al-Qasimiya")]:
        location = place(first)
        assert location == place(second)
        assert location.pk in captured
        # Named in both lists of captured places: one row per list.
        assert TerritorialChange.objects.filter(place=location).count() == 2
    for spelling in ["Kafr Basin", "Talat al-Dabaa", "Maamal al-Zaatari", "Uwayjel", "Jamiat Abu Amsha", "al-Hota",
                     "46th Regiment area"]:
        assert place(spelling).pk in captured, spelling


def test_attacks_one_row_per_target_place(seeded):
    missile = Attack.objects.filter(claim=claim("localsource-missile-strikes"))
    assert missile.count() == 5
    assert set(missile.values_list("kind", "perpetrator__name").distinct()) == {("missile_strike", "Syrian government forces")}
    assert {a.place for a in missile} == {place("Sarmin"), place("Neirab"), place("Qaminas"), place("Mount Sarmada camps"),
                                         place("industrial zone in Idlib city")}
    russian = Attack.objects.filter(kind="air_strike", perpetrator__name="Russian armed forces")
    assert {a.place for a in russian} == {place("Darat Azza"), place("Kafr Taal"), place("Taqad")}
    rockets = Attack.objects.filter(kind="rocket_fire")
    assert {a.place for a in rockets} == {place("Atarib"), place("al-Abzmo")}


def test_displacement_origins_and_destinations(seeded):
    displacement = Displacement.objects.get()
    assert (displacement.low, displacement.high, displacement.qualifier) == (None, None, "unknown")
    destinations = {link.location for link in displacement.places.filter(role="destination")}
    assert destinations == {place("Atmeh"), place("Sarmada"), place("Afrin")}
    origins = {link.location for link in displacement.places.filter(role="origin")}
    assert {place("Termanin"), place("Rehab"), place("Al-Sahara"), place("Kafr Nouran")} <= origins


def test_mod_statements_are_claims(seeded):
    for key in ["mod-operation-name", "mod-local-fighters", "mod-no-international-support", "mod-operation-goal"]:
        statement = claim(key)
        assert statement.claimant.name == "Military Operations Department"
        assert statement.event.sub_event_type == "change_to_group_activity"
    assert "Deterring Aggression" in claim("mod-operation-name").excerpts.get().text


# --- documents, excerpts and sources ----------------------------------------------------------


def test_every_excerpt_is_its_document_text_between_its_offsets(seeded):
    assert Excerpt.objects.count() > 20
    for excerpt in Excerpt.objects.select_related("document"):
        assert excerpt.text == excerpt.document.text[excerpt.start : excerpt.end]
    for item in Claim.objects.all():
        assert item.excerpts.exists(), item.external_id


def test_translation_is_derived_from_the_963_original(seeded):
    translation = Document.objects.get(publisher__name="The Syrian Observer")
    original = translation.derived_from
    assert translation.derivation == "translation"
    assert (original.publisher.name, original.language, original.text) == ("+963 Media", "ar", "")
    assert str(translation.published_on) == "2024-11-27"
    assert translation.text.startswith("Dozens of government forces")
    assert translation.text == ARTICLE_TEXT.read_text(encoding="utf-8").split("2024-11-27 ", 1)[1]
    assert "has not verified the content" in translation.notes


def test_protected_sources_have_public_labels(seeded):
    protected = Source.objects.filter(protected=True)
    assert protected.count() == 2
    assert all(source.public_label and source.kind == "anonymous" for source in protected)


# --- places -----------------------------------------------------------------------------------


def test_governorates_carry_ocha_pcodes_and_attribution(seeded):
    for pcode, name in [("SY02", "Aleppo"), ("SY07", "Idleb")]:
        governorate = Location.objects.get(pcode=pcode)
        assert (governorate.name, governorate.kind, governorate.attribution) == (name, "governorate", OCHA_ATTRIBUTION)
    assert Location.objects.filter(kind="governorate").count() == 14
    assert Location.objects.get(pcode="SY0200").parent.pcode == "SY02"


def test_places_missing_from_geonames_have_no_coordinates(seeded):
    invented = Location.objects.filter(geonames_id__isnull=True).exclude(latitude__isnull=True)
    assert not invented.exists()
    assert not Location.objects.filter(geonames_id__isnull=True).exclude(coordinate_precision="unknown").exists()
    atarib = place("Atarib")
    assert (atarib.geonames_id, atarib.latitude is not None) == (174030, True)
    assert atarib.aliases.filter(name="الأتارب").exists()  # the article's Arabic spelling, beside GeoNames' own


def test_places_sit_in_the_right_governorate(seeded):
    assert place("Termanin").governorate().pcode == "SY07"
    assert place("Neirab").governorate().pcode == "SY07"
    assert place("Kafr Basin").governorate().pcode == "SY02"
    # Not the GeoNames "Qabbasin" near al-Bab.
    assert place("Kafr Basin").geonames_id is None




# --- the whole seeded database ----------------------------------------------------------------


def test_the_seeded_database_is_unchanged_row_for_row(seeded):
    """Every row the loader writes, against tests/data/seed_snapshot.json (see tests/seed_snapshot.py)."""
    taken = seed_snapshot.snapshot()
    if os.environ.get("SEED_SNAPSHOT_WRITE"):
        seed_snapshot.write_snapshot(taken)
    expected = seed_snapshot.expected_snapshot()
    for label in sorted(set(expected) | set(taken)):
        assert taken.get(label) == expected.get(label), label
