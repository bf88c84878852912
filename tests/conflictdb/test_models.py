"""Structural rules live in the database, with error messages people can act on."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from events.models import (
    Actor,
    ActorAlias,
    CasualtyFigure,
    ClaimExcerpt,
    EquipmentLoss,
    Event,
    Location,
    LocationAlias,
    TerritorialChange,
)
from events.vocabularies import EventType, Qualifier, SubEventType
from sources.models import Document, Excerpt, Source
from tests.factories import DAY, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(as_editor):
    return make_world()


def assert_refused(instance, message):
    """The model validation names the problem, and the database refuses the row on its own too."""
    with pytest.raises(ValidationError) as excinfo:
        instance.full_clean()
    assert message in str(excinfo.value)
    with pytest.raises((IntegrityError, ValidationError)), transaction.atomic():
        instance.save()


def figure(world, **kwargs):
    values = dict(claim=world["claim"], category="combatant", outcome="killed")
    values.update(kwargs)
    return CasualtyFigure(**values)


class TestQuantities:
    def test_low_must_not_exceed_high(self, world):
        assert_refused(figure(world, low=12, high=10, qualifier=Qualifier.RANGE),
                       "The low figure must not exceed the high figure.")

    def test_exact_figure_is_one_number(self, world):
        assert_refused(figure(world, low=10, high=11, qualifier=Qualifier.EXACT), "An exact figure has low = high.")

    def test_more_than_needs_a_low_figure(self, world):
        assert_refused(figure(world, qualifier=Qualifier.MORE_THAN), "need a low figure")

    def test_more_than_35_is_open_ended(self, world):
        f = figure(world, low=36, high=None, qualifier=Qualifier.MORE_THAN, wording="more than 35")
        f.full_clean()
        f.save()
        assert f.display_quantity() == "≥36"

    def test_unknown_stays_unknown_and_words_follow_the_convention(self, world):
        unknown = figure(world, qualifier=Qualifier.UNKNOWN)
        dozens = figure(world, qualifier=Qualifier.DOZENS, wording="Dozens")
        assert unknown.numeric_low() is None
        assert dozens.numeric_low() == 12

    def test_negative_numbers_are_refused(self, world):
        with pytest.raises(ValidationError) as excinfo:
            figure(world, low=-1, high=3, qualifier=Qualifier.RANGE).full_clean()
        assert "low" in excinfo.value.message_dict


class TestExcerpts:
    def test_quote_must_match_the_text_at_its_offsets(self, world):
        excerpt = Excerpt(document=world["document"], start=4, end=12, text="fighterX")
        with pytest.raises(ValidationError) as excinfo:
            excerpt.save()
        assert "does not match the document at 4–12" in str(excinfo.value)
        assert "“fighters”" in str(excinfo.value)

    def test_offsets_must_lie_inside_the_text(self, world):
        length = len(world["document"].text)
        excerpt = Excerpt(document=world["document"], start=length - 2, end=length + 3, text="abcde")
        with pytest.raises(ValidationError) as excinfo:
            excerpt.full_clean()
        assert f"has {length} characters" in str(excinfo.value)

    def test_bulk_writes_are_validated_too(self, world):
        with pytest.raises(ValidationError, match="does not match"):
            Excerpt.objects.bulk_create([Excerpt(document=world["document"], start=0, end=3, text="Ten fighters")])

    def test_database_refuses_length_mismatch_on_its_own(self, world):
        with pytest.raises(IntegrityError), transaction.atomic():
            Excerpt.objects.filter(pk=world["excerpt"].pk).update(end=40)

    def test_for_quote_anchors_by_text_and_keeps_context(self, world):
        excerpt = Excerpt.for_quote(world["document"], "killed in Hoor", occurrence=2)
        excerpt.save()
        assert world["document"].text[excerpt.start : excerpt.end] == "killed in Hoor"
        assert excerpt.start > 33
        assert excerpt.prefix.endswith("fighters were ")

    def test_quote_not_found_is_named(self, world):
        with pytest.raises(ValidationError, match="Quote not found"):
            Excerpt.for_quote(world["document"], "twelve tanks")

    def test_document_text_is_fixed_once_quoted(self, world):
        document = world["document"]
        document.text = "Something else entirely."
        with pytest.raises(ValidationError, match="excerpts are anchored in it"):
            document.save()

    def test_quote_must_come_from_the_claims_document(self, world):
        other = Document.objects.create(publisher=world["source"], title="Other", text="Another text here.")
        stray = Excerpt.objects.create(document=other, start=0, end=7, text="Another")
        with pytest.raises(ValidationError, match="must come from the claim's document"):
            ClaimExcerpt.objects.create(claim=world["claim"], excerpt=stray)


class TestDocuments:
    def test_text_hash_is_computed(self, world):
        assert world["document"].text_sha256 == Document.hash_text(world["document"].text)

    def test_derivation_needs_both_parts(self, world):
        translation = Document(publisher=world["source"], title="Translation", derived_from=world["document"])
        assert_refused(translation, "needs both the original and the kind of derivation")

    def test_url_is_unique_when_present(self, world):
        Document.objects.create(publisher=world["source"], title="A", url="https://example.org/a")
        assert_refused(Document(publisher=world["source"], title="B", url="https://example.org/a"),
                       "Another document already has this URL.")
        Document.objects.create(publisher=world["source"], title="C")  # many without URL are fine
        Document.objects.create(publisher=world["source"], title="D")

    def test_provenance_chain_follows_derivations(self, world):
        translation = Document.objects.create(publisher=world["source"], title="T", derived_from=world["document"],
                                              derivation=Document.Derivation.TRANSLATION)
        assert translation.provenance_chain() == [translation, world["document"]]


class TestSourcesAndAliases:
    def test_reliability_is_a_to_f(self, world):
        assert_refused(Source(name="Odd", kind="monitor", reliability="G"), "'G' is not a valid choice")

    def test_protected_source_needs_a_public_label(self, world):
        assert_refused(Source(name="A local source", kind="anonymous", protected=True), "needs a public label")

    def test_one_canonical_place_per_spelling_and_place(self, world):
        LocationAlias.objects.create(location=world["location"], name="al-Qasimiyah")
        duplicate = LocationAlias(location=world["location"], name="Al Qasimiyah")
        duplicate.prepare_write()
        assert duplicate.normalised == "al qasimiyah"
        assert_refused(duplicate, "This place already has this spelling.")

    def test_same_spelling_may_name_two_places(self, world):
        other = Location.objects.create(name="Neirab (Aleppo)", kind="community")
        LocationAlias.objects.create(location=world["location"], name="Neirab")
        LocationAlias.objects.create(location=other, name="Neirab")

    def test_actor_alias_names_one_actor(self, world):
        ActorAlias.objects.create(actor=world["actor"], name="HTS")
        other = Actor.objects.create(name="Someone else", kind="militia")
        assert_refused(ActorAlias(actor=other, name="hts"),
                       "This spelling already names an actor.")


class TestEventsAndPlaces:
    def test_dates_are_ordered(self, world):
        event = Event(title="x", event_type=EventType.BATTLES, date_start=DAY, date_end=DAY - datetime.timedelta(days=1))
        assert_refused(event, "must not be after the latest")

    def test_sub_type_belongs_to_type(self, world):
        event = Event(title="x", event_type=EventType.BATTLES, sub_event_type=SubEventType.AIR_DRONE_STRIKE,
                      date_start=DAY, date_end=DAY)
        assert_refused(event, "does not belong to this event type")

    def test_coordinates_both_or_neither(self, world):
        assert_refused(Location(name="Half", kind="community", latitude=36, coordinate_precision="approximate"),
                       "or neither")

    def test_no_precision_without_coordinates(self, world):
        assert_refused(Location(name="Nowhere", kind="community", coordinate_precision="exact"),
                       "Without coordinates the coordinate precision is unknown.")

    def test_gaining_and_losing_actor_differ(self, world):
        change = TerritorialChange(claim=world["claim"], place=world["location"], gaining=world["actor"],
                                   losing=world["actor"])
        assert_refused(change, "must differ")

    def test_only_captured_equipment_has_a_captor(self, world):
        loss = EquipmentLoss(claim=world["claim"], equipment_type=world["equipment_type"], status="destroyed",
                             low=1, high=1, captor=world["actor"])
        assert_refused(loss, "Only captured equipment has a captor.")

    def test_grade_combines_reliability_and_credibility(self, world):
        world["source"].reliability = "B"
        world["claim"].credibility = 2
        assert world["claim"].grade == "B2"


class TestAdminAreas:
    def test_admin_areas_follow_the_parent_chain(self, world):
        aleppo = Location.objects.create(name="Aleppo", kind="governorate", pcode="SY02")
        district = Location.objects.create(name="Jebel Saman", kind="district", pcode="SY0200", parent=aleppo)
        village = Location.objects.create(name="Anjara", kind="community", parent=district)
        assert (village.admin1, village.admin2) == (aleppo, district)
        assert (district.admin1, district.admin2) == (aleppo, None)
        assert aleppo.governorate() == aleppo and village.governorate() == aleppo

    def test_moving_an_area_moves_everything_below(self, world):
        aleppo = Location.objects.create(name="Aleppo", kind="governorate")
        idleb = Location.objects.create(name="Idleb", kind="governorate")
        district = Location.objects.create(name="A district", kind="district", parent=aleppo)
        village = Location.objects.create(name="A village", kind="community", parent=district)
        district.parent = idleb
        district.save()
        village.refresh_from_db()
        assert village.admin1 == idleb
