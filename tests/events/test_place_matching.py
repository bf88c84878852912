"""The place-name matcher: normalisation rules, scoping, statuses, learning, and the evaluation set.

The evaluation set (tests/data/place_names_eval.csv) pairs a spelling with the place it means:
- `geonames`: a GeoNames alternate name of a place, *held out*: every alias of that place with
  the same normalised key is deleted before resolving, so the spelling must be found from the
  place's other names (chosen as respellings of a remaining name, not other names altogether);
- `seed_article`: the seed article's spellings; its second spellings (Palau, Orm al-Sughra,
  al-Qasimiya) are held out the same way, so each is found from the first;
- `hand_latin`, `hand_arabic`: variants written by hand in both scripts;
- `hand_homonym`: bare names that are both an OCHA district (or governorate) and its chief town
  ("Duma", "Tadmor", "Idleb"): the town; `hand_qualifier`: "X district", "X governorate",
  "X countryside", "X city", "rural Damascus": the kind of place the word says;
- `hand_heldout`: transliteration variants written fresh for this set (Saraqeb/Sarakib,
  Maarat al-Numan, Tudmur, Deir Ezzor, el-/al-, hamza and ayn marks, Arabic script), held out;
- `negative`, `hand_negative`: names of places that are not in the gazetteer (Kafr Basin, which is
  not Qabbasin, Urum al-Kubra, which is not Urum al-Sughra, places abroad, "Khan al-Asal", a
  qualifier naming nothing: "Sarmin district"): they must never come back "matched".
Required: the right place first (top-1) for ≥ 97% of the positives, and no false match (a
confident answer that is wrong, for a positive or a negative; asking is not false).
`expected` is a GeoNames id, a P-code, or "seed:<name>" for the article's villages, which are
not in GeoNames and are created here (the seed loader is tested on its own). `scope` narrows a
resolve where the name is also an admin area's ("kind=community") or a homonym ("within=SY02").
"""

import csv

import pytest
from django.db import transaction
from django.db.models import QuerySet

from conflictdb.names import normalise_name
from conflictdb.provenance import Channel, acting
from conflictdb.upsert import WriteStatus
from events import places as places_module
from events.gazetteer import load_gazetteer
from events.models import Location, LocationAlias
from events.places import (
    MATCH_THRESHOLD,
    MatchStatus,
    learn_alias,
    normalise_place_name,
    resolve_place,
    skeleton,
)
from tests.paths import DATA

EVAL_CSV = DATA / "place_names_eval.csv"

# The seed article's places that GeoNames lacks: (name, governorate, kind, spellings in the article, Arabic).
SEED_VILLAGES = [
    ("Sheikh Aqeel", "SY02", "community", ["Sheikh Aqeel"], "الشيخ عقيل"),
    ("Bala", "SY02", "community", ["Palau", "Bala"], "بالا"),
    ("Hirdrakel", "SY02", "community", ["Hirdrakel"], ""),
    ("Qubtan al-Jabal", "SY02", "community", ["Qubtan al-Jabal"], "قبتان الجبل"),
    ("Salloum", "SY02", "community", ["Salloum"], ""),
    ("Jamiat al-Maari", "SY02", "community", ["Jamiat al-Maari"], ""),
    ("al-Qasimiyah", "SY02", "community", ["al-Qasimiyah", "al-Qasimiya"], "القاسمية"),
    ("Hoor", "SY02", "community", ["Hoor"], "حور"),
    ("Anjara", "SY02", "community", ["Anjara"], "عنجارة"),
    ("Ajel", "SY02", "community", ["Ajel"], "عاجل"),
    ("Talat al-Dabaa", "SY02", "community", ["Talat al-Dabaa"], ""),
    ("Maamal al-Zaatari", "SY02", "community", ["Maamal al-Zaatari"], ""),
    ("Urum al-Sughra", "SY02", "community", ["Urum al-Sughra", "Orm al-Sughra"], "أورم الصغرى"),
    ("Uwayjel", "SY02", "community", ["Uwayjel"], "عويجل"),
    ("Jamiat Abu Amsha", "SY02", "community", ["Jamiat Abu Amsha"], ""),
    ("al-Hota", "SY02", "community", ["al-Hota"], "الهوتة"),
    ("46th Regiment", "SY02", "military_site", ["46th Regiment"], "الفوج 46"),
    ("Kafr Taal", "SY02", "community", ["Kafr Taal"], "كفر تعال"),
    ("Taqad", "SY02", "community", ["Taqad"], "تقاد"),
    ("al-Abzmo", "SY02", "community", ["al-Abzmo"], "الأبزمو"),
    ("Termanin", "SY02", "community", ["Termanin"], "ترمانين"),
    ("Al-Sahara", "SY02", "community", ["Al-Sahara"], ""),
    ("Rehab", "SY02", "community", ["Rehab"], ""),
    ("Sarmada", "SY07", "community", ["Sarmada"], "سرمدا"),
    ("Mount Sarmada", "SY07", "natural_feature", ["Mount Sarmada"], ""),
    ("Neirab", "SY07", "community", ["Neirab"], "النيرب"),
    ("Qaminas", "SY07", "community", ["Qaminas"], "قميناس"),
    ("Maarat Alia", "SY07", "community", ["Maarat Alia"], ""),
    ("Atmeh", "SY07", "community", ["Atmeh"], "أطمة"),
]


@pytest.fixture(scope="module")
def gazetteer(django_db_setup, django_db_blocker):
    """The full gazetteer plus the article's villages, loaded once for the module and rolled back."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            load_gazetteer()
            with acting(channel=Channel.SEED, reason="test: seed article villages"):
                for name, governorate, kind, spellings, arabic in SEED_VILLAGES:
                    village = Location.objects.create(
                        name=name, name_ar=arabic, kind=kind, parent=Location.objects.get(pcode=governorate)
                    )
                    for spelling in dict.fromkeys([*spellings, arabic] if arabic else spellings):
                        LocationAlias.objects.create(location=village, name=spelling,
                                                     language="ar" if spelling == arabic else "en",
                                                     origin=LocationAlias.Origin.DOCUMENT)
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def places(gazetteer, db):
    """Each test sees the module's gazetteer; what it writes is rolled back after it."""


def place(key: str) -> Location:
    if key.startswith("seed:"):
        return Location.objects.get(name=key[5:], geonames_id=None)
    if key.isdigit():
        return Location.objects.get(geonames_id=int(key))
    return Location.objects.get(pcode=key)


def scope_of(text: str) -> dict:
    if not text:
        return {}
    name, _, value = text.partition("=")
    if name == "kind":
        return {"kinds": [value]}
    if name == "within":
        return {"within": place(value)}
    latitude, longitude, radius = map(float, value.split(","))
    return {"near": (latitude, longitude), "radius_km": radius}


# --- the evaluation set -----------------------------------------------------------------------


def test_evaluation_set(places):
    rows = list(csv.DictReader(EVAL_CSV.open(encoding="utf-8")))
    positives = [row for row in rows if row["kind"] == "positive"]
    negatives = [row for row in rows if row["kind"] == "negative"]
    assert len(positives) >= 150 and len(negatives) >= 15
    # The eval gazetteer: every held-out spelling removed from the place it names.
    for row in rows:
        if row["holdout"] == "yes":
            expected = place(row["expected"])
            assert normalise_name(row["variant"]) not in {normalise_name(expected.name), normalise_name(expected.name_ar)}
            LocationAlias.objects.filter(location=expected, normalised=normalise_name(row["variant"])).delete()

    misses, top1, wrong = [], 0, 0
    for row in positives:
        expected = place(row["expected"])
        resolution = resolve_place(row["variant"], **scope_of(row["scope"]))
        top1 += bool(resolution.candidates) and resolution.candidates[0].location_id == expected.pk
        wrong += resolution.match is not None and resolution.match.location_id != expected.pk
        if resolution.match is None or resolution.match.location_id != expected.pk:
            misses.append(f"  {row['source']:<12} {row['variant']!r} → {resolution.status}: "
                          f"{[(c.name, c.score, c.reason) for c in resolution.candidates[:2]]} (expected {expected})")
    false_matches = [
        f"  {row['variant']!r} → {resolution.match.name} ({resolution.match.reason})"
        for row in negatives
        if (resolution := resolve_place(row["variant"], **scope_of(row["scope"]))).match is not None
    ]
    accuracy = 1 - len(misses) / len(positives)
    print(f"\nPlace-name evaluation: {len(positives)} positives, {len(negatives)} negatives")
    print(f"  matched to the right place: {accuracy:.1%}  (top-1 candidate right: {top1 / len(positives):.1%}; "
          f"matched to a wrong place: {wrong}; the rest ambiguous or unknown)")
    print(f"  negatives falsely matched: {len(false_matches)}")
    print("\n".join(misses + false_matches))
    by_source = {}
    for row in positives:
        by_source.setdefault(row["source"], []).append(row)
    print("  " + "; ".join(f"{source}: {len(rows)}" for source, rows in sorted(by_source.items())))
    assert top1 / len(positives) >= 0.97
    assert wrong == 0 and not false_matches
    assert accuracy >= 0.95


# --- normalisation: one rule each -------------------------------------------------------------


def same_key(*spellings):
    keys = {normalise_place_name(spelling) for spelling in spellings}
    assert len(keys) == 1, keys


@pytest.mark.parametrize("article", ["al", "el", "ul", "ash", "as", "ad", "ar", "at", "az", "an", "adh", "ath"])
def test_articles_and_their_assimilated_forms_are_dropped(article):
    same_key(f"{article}-Qasimiyah", f"{article.title()} Qasimiyah", "Qasimiyah")
    same_key(f"Jisr {article}-Shughur", "Jisr Shughur")


def test_article_alone_is_kept():
    assert normalise_place_name("At Tall") == "tal" and normalise_place_name("Al") == "al"


def test_hyphens_apostrophes_and_ayn_hamza_marks():
    same_key("Ma'arrat al-Nu'man", "Maʿarrat an-Nuʿman", "Ma‘arrat an Nu‘man", "Ma’arrat an Nu’man",
             "Ma`arrat an Nu`man", "Maʾarrat an Nuʾman")


def test_diacritics():
    same_key("Sarāqib", "Saraqib")
    same_key("Ḩārim", "Harim")


def test_doubled_letters():
    same_key("Qabbasin", "Qabasin")
    same_key("Tallkalakh", "Talkalakh")


@pytest.mark.parametrize(("one", "other"), [
    ("Aqeel", "Aqil"), ("Sheikh Aqeel", "Shaykh Aqil"), ("Hoor", "Hur"), ("Hour", "Hur"), ("Maheen", "Mahin"),
])
def test_long_vowel_spellings(one, other):
    same_key(one, other)


def test_urum_orm_orum_share_consonants():
    same_key("Urum al-Sughra", "Orum as-Sughra")
    assert skeleton(normalise_place_name("Orm al-Sughra")) == skeleton(normalise_place_name("Urum al-Sughra"))


@pytest.mark.parametrize("ending", ["iyah", "iya", "iyeh", "iye", "ieh", "iyyah"])
def test_nisba_endings(ending):
    same_key(f"al-Qasim{ending}", "al-Qasimiyah")


@pytest.mark.parametrize("ending", ["ah", "a", "eh"])
def test_taa_marbuta_endings(ending):
    same_key(f"Atm{ending}", "Atma")


def test_french_mute_e():
    same_key("Sarmine", "Sarmin")


@pytest.mark.parametrize(("variants", "key"), [
    (["Kafr Nabl", "Kfar Nabl", "Kfr Nabl", "Kefr Nabl", "Kafar Nabl"], "kafr nabl"),
    (["Tal Abyad", "Tall Abyad", "Tel Abyad", "Tell Abyad"], "tal abyad"),
    (["Deir Hafir", "Dayr Hafir", "Der Hafir", "Dair Hafir"], "dayr hafir"),
    (["Jabal Saman", "Jebel Saman", "Djebel Saman"], "jabal saman"),
    (["Sheikh Badr", "Shaykh Badr", "Shaikh Badr", "Cheikh Badr"], "shaykh badr"),
    (["Ain al-Arab", "Ayn al-Arab", "Ein el-Arab"], "ayn arab"),
])
def test_generic_words(variants, key):
    assert {normalise_place_name(variant) for variant in variants} == {key}


def test_generic_word_written_together():
    same_key("Kafranbel", "Kafr Anbel")
    same_key("Tallkalakh", "Tall Kalakh")
    same_key("كفرنبل", "كفر نبل")


@pytest.mark.parametrize(("one", "other"), [("Qaminas", "Kaminas"), ("Sloug", "Sluk"), ("Qabbasin", "Kabbasin")])
def test_qaf_as_q_k_or_g(one, other):
    same_key(one, other)


def test_qualifiers_take_one_form():
    same_key("Urum al-Sughra", "Urum as-Saghira", "Urum es-Sghir")
    assert normalise_place_name("Urum al-Kubra") != normalise_place_name("Urum al-Sughra")


@pytest.mark.parametrize(("one", "other"), [
    ("أعزاز", "اعزاز"), ("إدلب", "ادلب"), ("آفس", "افس"),  # alef variants
    ("حماة", "حماه"), ("عامودة", "عامودا"),  # taa marbuta, final alef
    ("أورم الصغرى", "اورم الصغري"),  # alef maqsura
    ("حلـــب", "حلب"),  # tatweel
    ("مَنْبِج", "منبج"), ("معرّة النعمان", "معرة النعمان"),  # diacritics, shadda
    ("القاسمية", "قاسمية"),  # the article
    ("كفر نبل", "کفر نبل"),  # Persian kaf
])
def test_arabic_script(one, other):
    same_key(one, other)


# --- resolving --------------------------------------------------------------------------------


def test_exact_alias_is_matched_with_its_reason(places):
    resolution = resolve_place("Bala")
    assert resolution.status == MatchStatus.MATCHED
    assert resolution.match.name == "Bala" and resolution.match.score == 100
    assert resolution.match.reason == "exact alias 'Bala'"
    assert resolution.match.location == place("seed:Bala")
    assert resolution.message == "'Bala' is Bala (community, Aleppo): exact alias 'Bala'."


def test_transliteration_variant_says_which_alias_it_resembles(places):
    resolution = resolve_place("Orm as-Sughra")
    assert (resolution.match.name, resolution.match.score) == ("Urum al-Sughra", 95)
    assert resolution.match.reason == "transliteration variant of alias 'Orm al-Sughra'"
    LocationAlias.objects.filter(name="Orm al-Sughra").delete()
    resolution = resolve_place("Orm as-Sughra")
    assert resolution.match.name == "Urum al-Sughra"
    assert resolution.match.reason == f"transliteration variant of alias 'Urum al-Sughra' (score {resolution.match.score})"
    assert MATCH_THRESHOLD <= resolution.match.score < 95


def test_arabic_spelling(places):
    assert resolve_place("اورم الصغري").match.reason == "exact alias 'أورم الصغرى'"  # alef and yaa folded
    resolution = resolve_place("اورم صغرى")
    assert resolution.match.name == "Urum al-Sughra"
    assert resolution.match.reason == "Arabic spelling variant of alias 'أورم الصغرى'"


def test_homonyms_are_ambiguous_until_scoped(places):
    """Two villages called Qabbasin: one near al-Bab, one near Maskanah, both in Aleppo governorate."""
    resolution = resolve_place("Qabbasin")
    assert resolution.status == MatchStatus.AMBIGUOUS and resolution.match is None
    assert {c.location_id for c in resolution.candidates[:2]} == {place("166285").pk, place("168061").pk}
    assert "could be several places" in resolution.message

    al_bab_district = Location.objects.get(pcode="SY0202")
    assert resolve_place("Qabbasin", within=al_bab_district).match.location_id == place("166285").pk
    near_al_bab = resolve_place("Qabbasin", near=(36.37, 37.52), radius_km=15)
    assert near_al_bab.match.location_id == place("166285").pk
    assert near_al_bab.match.distance_km < 15


def test_within_an_admin_area_means_among_its_ancestors(places):
    aleppo = Location.objects.get(pcode="SY02")
    idleb = Location.objects.get(pcode="SY07")
    assert resolve_place("Sarmada", within=idleb).match.name == "Sarmada"
    assert resolve_place("Sarmada", within=aleppo).status == MatchStatus.UNKNOWN
    # Şūrān: one in Aleppo, one in Hama governorate
    assert resolve_place("Suran").status == MatchStatus.AMBIGUOUS
    hama = Location.objects.get(pcode="SY05")
    assert resolve_place("Suran", within=hama).match.location_id == place("163915").pk


def test_near_leaves_out_places_without_coordinates(places):
    assert resolve_place("Sheikh Aqeel", near=(36.2, 37.0), radius_km=50).status == MatchStatus.UNKNOWN


def test_a_place_and_the_admin_area_named_after_it(places):
    """A bare name that is an admin area and its chief town means the town; a qualifier chooses."""
    assert resolve_place("Aleppo").match.location_id == place("170063").pk
    assert resolve_place("Aleppo", kinds=["governorate"]).match.location_id == place("SY02").pk
    assert resolve_place("Aleppo governorate").match.location_id == place("SY02").pk


@pytest.mark.parametrize(("name", "town"), [
    ("Sarmin", "Sarmīn"), ("Saraqeb", "Saraqib"), ("Idleb city", "Idlib"), ("Duma", "Dūmā"), ("Tadmor", "Tadmur"),
    ("Ariha", "Arīḩā"), ("Idleb", "Idlib"), ("Idlib", "Idlib"), ("Homs", "Homs"), ("Hama", "Ḩamāh"),
    ("Douma", "Dūmā"), ("Palmyra", "Tadmur"), ("Tadmur", "Tadmur"), ("Aleppo city", "Aleppo"),
    ("the city of Homs", "Homs"), ("Raqqa city", "Ar Raqqah"), ("مدينة إدلب", "Idlib"), ("Al Bab", "Al Bāb"),
])
def test_homonyms_mean_the_town(places, name, town):
    resolution = resolve_place(name)
    assert resolution.status == MatchStatus.MATCHED, resolution.message
    assert (resolution.match.name, resolution.match.kind) == (town, "community")


@pytest.mark.parametrize(("name", "pcode"), [
    ("Idleb district", "SY0700"), ("Idlib governorate", "SY07"), ("Idleb province", "SY07"),
    ("Duma district", "SY0302"), ("Tadmor district", "SY0405"), ("Ariha district", "SY0705"),
    ("Aleppo governorate", "SY02"), ("governorate of Homs", "SY04"), ("Homs district", "SY0401"),
    ("rural Damascus", "SY03"), ("Rural Damascus", "SY03"), ("Damascus countryside", "SY03"),
    ("Reef Dimashq", "SY03"), ("Rural Damascus district", "SY0301"), ("Hama countryside", "SY05"),
    ("Idlib countryside", "SY07"), ("محافظة إدلب", "SY07"), ("ريف دمشق", "SY03"), ("منطقة دوما", "SY0302"),
])
def test_a_qualifier_chooses_the_admin_area(places, name, pcode):
    resolution = resolve_place(name)
    assert resolution.status == MatchStatus.MATCHED, resolution.message
    assert resolution.match.location_id == place(pcode).pk
    assert "names the" in resolution.match.reason or resolution.match.score == 100


def test_a_recorded_spelling_with_a_qualifier_word_is_taken_whole(places, editor):
    """"Idlib countryside" recorded as an informal area is that area, not the governorate."""
    with acting(channel=Channel.SEED, reason="test"):
        area = Location.objects.create(name="Idlib countryside", kind="area", parent=place("SY07"))
    assert resolve_place("Idlib countryside").match.location_id == area.pk
    assert resolve_place("Idlib governorate").match.location_id == place("SY07").pk


def test_the_town_yields_only_to_a_town_of_the_same_name_elsewhere(places):
    """The homonym rule settles area against town; two towns of one name still ask."""
    with acting(channel=Channel.SEED, reason="test"):
        Location.objects.create(name="Ariha", kind="community", parent=place("SY05"))
    resolution = resolve_place("Ariha")
    assert resolution.status == MatchStatus.AMBIGUOUS
    assert {c.governorate for c in resolution.candidates[:2]} == {"Idleb", "Hama"}


def test_a_qualified_name_that_names_nothing_asks(places):
    assert resolve_place("Saraqeb countryside").status == MatchStatus.UNKNOWN
    assert resolve_place("Sarmada district").status == MatchStatus.UNKNOWN  # no such district
    assert resolve_place("Sarmin governorate").status == MatchStatus.UNKNOWN  # a town, not a governorate's seat


@pytest.mark.parametrize(("longer", "short", "short_place"), [
    ("Khan al-Asal", "Khan", "seed:Khan"), ("Tal Rifaat", "Tal", "seed:Tal"), ("Kafr Nouran", "Kafr", "seed:Kafr"),
    ("Deir al-Adas", "Deir", "seed:Deir"),
])
def test_a_one_word_alias_never_captures_a_longer_name(places, longer, short, short_place):
    """A place spelt by one (generic) word is not what a longer name beginning with it means."""
    with acting(channel=Channel.SEED, reason="test"):
        Location.objects.create(name=short_place[5:], kind="community", parent=place("SY02"))
    assert place(short_place).pk in {c.location_id for c in resolve_place(short).candidates}
    resolution = resolve_place(longer)
    assert resolution.match is None or resolution.match.location_id != place(short_place).pk
    assert all(c.location_id != place(short_place).pk or c.score < MATCH_THRESHOLD for c in resolution.candidates)


def test_labels_name_kind_district_and_governorate(places):
    assert resolve_place("Sarmin").match.label == "Sarmīn (community, Idleb district, Idleb)"
    assert resolve_place("Idleb district").match.label == "Idleb (district, Idleb)"
    assert resolve_place("Idleb governorate").match.label == "Idleb (governorate)"


def test_unknown_offers_to_create_a_place_or_add_a_spelling(places):
    aleppo = Location.objects.get(pcode="SY02")
    resolution = resolve_place("Kafr Basin", within=aleppo)
    assert resolution.status == MatchStatus.UNKNOWN and resolution.match is None
    create, *add = resolution.suggestions
    assert (create.action, create.name, create.parent_id) == ("create_place", "Kafr Basin", aleppo.pk)
    assert all(s.action == "add_alias" and s.location_id for s in add)
    # the false friend is shown, with why it is not a match
    qabbasin = next(c for c in resolution.candidates if c.location_id == place("166285").pk)
    assert qabbasin.score < MATCH_THRESHOLD and "'kafr' differs" in qabbasin.reason
    assert resolution.message.startswith("'Kafr Basin' is not a known place. Create a new place 'Kafr Basin'")


def test_different_numbers_are_different_places(places):
    assert resolve_place("47th Regiment").status == MatchStatus.UNKNOWN
    assert resolve_place("46th regiment").match.name == "46th Regiment"


def test_retracted_spellings_no_longer_match(places):
    assert resolve_place("Palau").match.name == "Bala"
    LocationAlias.objects.filter(name="Palau").update(verification_status="retracted")
    resolution = resolve_place("Palau")
    assert resolution.match.name == "Bala" and resolution.match.reason != "exact alias 'Palau'"


def test_retracted_places_are_not_offered(places):
    Location.objects.filter(name="Hoor").update(verification_status="retracted")
    assert resolve_place("Hoor").status == MatchStatus.UNKNOWN


def test_index_sees_bulk_written_spellings(places):
    """Bulk writes send no signals; the index notices them anyway (and so would another process)."""
    assert resolve_place("Zzyzx").status == MatchStatus.UNKNOWN
    with acting(channel=Channel.IMPORT, reason="test"):
        LocationAlias.objects.bulk_create([LocationAlias(location=place("seed:Hoor"), name="Zzyzx")])
    assert resolve_place("Zzyzx").match.name == "Hoor"


def test_outside_transactions_the_index_is_checked_every_few_moments(places, monkeypatch):
    """As in production (autocommit): writes this process did not signal show within FRESHNESS_SECONDS."""
    clock = [-1_000_000.0]  # far from the real monotonic clock, however long the machine has been up
    monkeypatch.setattr(places_module.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(places_module, "_in_transaction", lambda: False)
    assert resolve_place("Zzyzx").status == MatchStatus.UNKNOWN  # the index is now taken as committed
    # Another process's write: a plain QuerySet, so nothing in this process announces it.
    QuerySet(LocationAlias).bulk_create(
        [LocationAlias(location=place("seed:Hoor"), name="Zzyzx", normalised=normalise_name("Zzyzx"))])
    assert resolve_place("Zzyzx").status == MatchStatus.UNKNOWN  # not checked again yet
    clock[0] += places_module.FRESHNESS_SECONDS
    assert resolve_place("Zzyzx").match.name == "Hoor"


def test_a_bulk_write_in_this_process_shows_at_once(places, monkeypatch):
    """Bulk writes announce what they wrote (conflictdb.signals), so the index follows them too."""
    monkeypatch.setattr(places_module, "_in_transaction", lambda: False)
    assert resolve_place("Zzyzx").status == MatchStatus.UNKNOWN
    with acting(channel=Channel.IMPORT, reason="test"):
        LocationAlias.objects.bulk_create([LocationAlias(location=place("seed:Hoor"), name="Zzyzx")])
    assert resolve_place("Zzyzx").match.name == "Hoor"


# --- learning a spelling ----------------------------------------------------------------------


def test_learn_alias_makes_the_next_resolve_exact(places, editor):
    ajel = place("seed:Ajel")
    before = resolve_place("Ujayl")
    assert before.status == MatchStatus.UNKNOWN  # as like Uwayjel as Ajel
    assert {"seed:Ajel", "seed:Uwayjel"} <= {f"seed:{c.name}" for c in before.candidates}
    with acting(channel=Channel.ADMIN):
        alias, status = learn_alias(ajel, "Ujayl", user=editor)
    assert status == WriteStatus.CREATED
    assert (alias.origin, alias.created_by, alias.channel, alias.normalised) == ("editor", editor, "admin", "ujayl")
    assert alias.history.count() == 1
    resolution = resolve_place("Ujayl")
    assert resolution.match.location_id == ajel.pk
    assert (resolution.match.score, resolution.match.reason) == (100, "exact alias 'Ujayl'")


def test_learn_alias_is_idempotent(places, editor):
    ajel = place("seed:Ajel")
    first, _ = learn_alias(ajel, "Ujayl", user=editor)
    again, status = learn_alias(ajel, " UJAYL ", user=editor)
    assert status == WriteStatus.UNCHANGED and again == first
    assert LocationAlias.objects.filter(location=ajel, normalised="ujayl").count() == 1
    assert LocationAlias.objects.get(pk=first.pk).version == 1


def test_learn_alias_records_arabic_as_arabic(places, editor):
    alias, _ = learn_alias(place("seed:Ajel"), "عاجل الجديدة", user=editor)
    assert alias.language == "ar"


def test_learn_alias_refuses_an_empty_spelling(places):
    with pytest.raises(ValueError):
        learn_alias(place("seed:Ajel"), " - ")


@pytest.mark.parametrize(("text", "word", "longer"), [
    ("Khan al-Asal was shelled", "Khan", True), ("in Tal Rifaat", "Tal", True), ("Kafr Nouran", "Kafr", True),
    ("Deir el-Adas", "Deir", True), ("خان العسل", "خان", True),
    ("shelled Khan. Then", "Khan", False), ("Khan and Tal", "Khan", False), ("Tal, Deir", "Tal", False),
    ("Saraqib Road", "Saraqib", False),  # not a generic head: a name of its own
])
def test_a_generic_head_followed_by_a_name_word_begins_a_longer_name(text, word, longer):
    from events.places import begins_longer_name

    start = text.index(word)
    assert begins_longer_name(text, start, start + len(word)) is longer


def test_a_passage_never_offers_a_one_word_alias_for_a_longer_name(places):
    from events.desk.drafting import names_in_passage

    with acting(channel=Channel.SEED, reason="test"):
        khan = Location.objects.create(name="Khan Testville", kind="community", parent=place("SY02"))
        LocationAlias.objects.create(location=khan, name="Khan", origin=LocationAlias.Origin.DOCUMENT)
    found = names_in_passage("Shelling hit Khan al-Asal, then Khan.")["places"]
    assert [(item["spelling"], item["at"]) for item in found if item["id"] == khan.pk] == [("Khan", 32)]
