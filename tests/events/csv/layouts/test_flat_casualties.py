"""The flat casualty-figures layout: one reported figure per row, everything it names found or
created in one step, rows of one report sharing one claim, idempotent, refused whole on any bad
row, never a guessed place."""

import pytest

from conflictdb.models import ImportBatch
from events.gazetteer import load_gazetteer
from events.models import Actor, CasualtyFigure, Claim, ClaimExcerpt, Event
from sources.models import Document, Excerpt, Source
from tests.events.csv.layouts.flat_helpers import FLAT, counts, rewrite, rows_of, run

FIXTURE = FLAT / "casualty_figures.csv"
LAYOUT = "casualty-figures"


@pytest.fixture
def gazetteer(db):
    load_gazetteer()


def test_every_row_lands_with_what_it_names(gazetteer, data_manager):
    outcome = run(FIXTURE, LAYOUT, data_manager)
    assert outcome.errors == [] and outcome.counts["created"] == len(rows_of(FIXTURE)[1]) == 8
    assert CasualtyFigure.objects.count() == 8
    first = CasualtyFigure.objects.select_related("claim__document", "perpetrator", "place").get(
        wording="at least 11")
    assert (first.low, first.high, first.qualifier, first.category, first.outcome) == (11, None, "at_least",
                                                                                       "civilian", "killed")
    assert first.perpetrator.name == "Syrian Arab Army" and first.place.name == "Dūmā"
    assert first.claim.claimant.name == "Syrian Observatory for Human Rights"
    assert first.claim.document.url == "https://example.org/sohr/2024-11-27-douma"
    about = CasualtyFigure.objects.get(wording="about 30")
    assert (about.low, about.high, about.qualifier, about.outcome) == (30, 30, "about", "injured")
    rng = CasualtyFigure.objects.get(wording="12-15")
    assert (rng.low, rng.high, rng.qualifier, rng.affiliation.name) == (12, 15, "range", "Syrian Arab Army")
    assert CasualtyFigure.objects.get(wording="dozens").qualifier == "dozens"
    children = CasualtyFigure.objects.get(subgroup="child")
    assert children.low == 4 and children.note == "among the 11"
    assert first.import_batch == outcome.batch and first.import_row == 2
    assert outcome.readings[2].header == "Affiliation" and outcome.readings[2].field == "party"
    assert outcome.readings[2].how == "synonym"


def test_two_rows_from_one_report_share_one_claim(gazetteer, data_manager):
    run(FIXTURE, LAYOUT, data_manager)
    douma = Claim.objects.get(document__url="https://example.org/sohr/2024-11-27-douma")
    assert douma.casualty_figures.count() == 3
    assert Claim.objects.get(document__url="https://example.org/sana/rastan-attack").casualty_figures.count() == 2
    kafranbel = Claim.objects.get(document__title="Daily report of 28 November 2024")
    assert kafranbel.casualty_figures.count() == 2 and kafranbel.event.external_id == "SNHR-2024-11-28-KAF"
    assert kafranbel.event.event_type == "explosions_remote_violence" and kafranbel.document.url == ""
    assert Claim.objects.count() == 4 and Document.objects.count() == 4
    assert Source.objects.filter(name="SANA").count() == 1


def test_quotes_are_anchored_in_the_text_or_kept_unanchored_and_marked(gazetteer, data_manager):
    run(FIXTURE, LAYOUT, data_manager)
    document = Document.objects.get(url="https://example.org/sohr/2024-11-27-douma")
    excerpts = {e.text: e for e in Excerpt.objects.filter(document=document)}
    assert set(excerpts) == {"At least 11 civilians", "4 children", "About 30 others were wounded"}
    for text, excerpt in excerpts.items():
        assert document.text[excerpt.start:excerpt.end] == text
    assert ClaimExcerpt.objects.filter(claim__document=document).count() == 3
    unanchored = CasualtyFigure.objects.get(wording="12-15")
    assert unanchored.note == ("the army says it repelled the attack — Unanchored quote (the document has no "
                               "text): “between 12 and 15 soldiers”")
    assert not Excerpt.objects.filter(document__url="https://example.org/sana/rastan-attack").exists()
    translation = Document.objects.get(url="https://example.org/enab/douma-ar")
    assert translation.derived_from == document and translation.derivation == "translation"
    assert translation.publisher.name == "Enab Baladi"


def test_reimport_changes_nothing_and_a_corrected_file_updates(gazetteer, data_manager, tmp_path):
    run(FIXTURE, LAYOUT, data_manager)
    before = counts()
    again = run(FIXTURE, LAYOUT, data_manager)
    assert again.errors == [] and again.counts["unchanged"] == 8 and counts() == {
        **before, "conflictdb.ImportBatch": before["conflictdb.ImportBatch"] + 1}

    def correct(index, row):
        if index == 0:
            row["Count"] = "at least 12"
        if index == 3:
            row["Title"] = "Army repels attack near Rastan"

    corrected = run(rewrite(FIXTURE, tmp_path, correct), LAYOUT, data_manager)
    assert corrected.errors == [] and corrected.counts["updated"] == 2 and corrected.counts["unchanged"] == 6
    assert CasualtyFigure.objects.count() == 8 and CasualtyFigure.objects.filter(low=12, qualifier="at_least").exists()
    assert Document.objects.get(url="https://example.org/sana/rastan-attack").title == "Army repels attack near Rastan"


def test_bad_rows_name_row_column_and_reason_and_refuse_the_file(gazetteer, data_manager, tmp_path):
    def spoil(index, row):
        if index == 1:
            row["Count"] = "a handful maybe"
        if index == 4:
            row["Outcome"] = "vanished into thin air"
        if index == 5:
            row["Date"] = "31/31/2024"
        if index == 2:
            row["Quote"] = "words nobody wrote"

    before = counts()
    outcome = run(rewrite(FIXTURE, tmp_path, spoil), LAYOUT, data_manager)
    assert outcome.refused
    found = {(error.row, error.column): error for error in outcome.errors}
    assert set(found) == {(3, "Count"), (6, "Outcome"), (7, "Date"), (4, "Quote")}
    assert "number as reported" in found[(3, "Count")].reason and found[(3, "Count")].value == "a handful maybe"
    assert "expected one of killed" in found[(6, "Outcome")].reason
    assert "not in the document's text" in found[(4, "Quote")].reason
    after = counts()
    assert after.pop("conflictdb.ImportBatch") == before.pop("conflictdb.ImportBatch") + 1
    assert after == before and ImportBatch.objects.get().status == "refused"


def test_an_ambiguous_or_unknown_place_asks_with_candidates(gazetteer, data_manager, tmp_path):
    def elsewhere(index, row):
        if index == 0:
            row["Place"] = "Suran"  # two places of this name in the gazetteer
        if index == 4:
            row["Place"] = "Atlantis"

    outcome = run(rewrite(FIXTURE, tmp_path, elsewhere), LAYOUT, data_manager)
    assert outcome.refused and not CasualtyFigure.objects.exists()
    found = {error.row: error for error in outcome.errors if error.column == "Place"}
    assert "could be several places" in found[2].reason and found[2].reason.count("Şūrān") >= 2
    assert "not a known place" in found[6].reason


def test_headers_by_synonym_and_a_mapping(gazetteer, data_manager, tmp_path):
    renamed = rewrite(FIXTURE, tmp_path, lambda i, r: None, header={"Perpetrator": "Who did it",
                                                                     "Outcome": "OUTCOME", "Count": "number"})
    unmapped = run(renamed, LAYOUT, data_manager)  # "Who did it" is no synonym: the column is not read
    assert unmapped.errors == [] and not CasualtyFigure.objects.filter(perpetrator__isnull=False).exists()
    assert {r.header: r.how for r in unmapped.readings}["Who did it"] == "not read"
    mapped = run(renamed, LAYOUT, data_manager, mapping={"perpetrator": "Who did it"})
    assert mapped.errors == [] and mapped.counts["updated"] == 4 and mapped.counts["unchanged"] == 4
    assert CasualtyFigure.objects.filter(perpetrator__name="Syrian Arab Army").count() == 3
    reading = {r.header: (r.field, r.how) for r in mapped.readings}
    assert reading["Who did it"] == ("perpetrator", "mapped") and reading["OUTCOME"] == ("outcome", "name")
    assert reading["number"] == ("count", "synonym") and reading["Affiliation"] == ("party", "synonym")
    assert mapped.batch.options["mapping"] == {"perpetrator": "Who did it"}


def test_header_problems_are_named(gazetteer, data_manager, tmp_path):
    twice = rewrite(FIXTURE, tmp_path, lambda i, r: None, header={"Title": "headline", "Place": "Location",
                                                                   "Quote": "Excerpt", "Note": "excerpt"})
    outcome = run(twice, LAYOUT, data_manager)
    assert outcome.refused and all(error.row == 1 for error in outcome.errors)
    assert any("would both be read as quote" in error.reason for error in outcome.errors)
    outcome = run(FIXTURE, LAYOUT, data_manager, mapping={"colour": "Place", "party": "Nope"})
    reasons = " ".join(error.reason for error in outcome.errors)
    assert "names no field of this layout" in reasons and "names a column the file does not have" in reasons


def test_an_unknown_party_becomes_an_actor_a_known_one_is_found(gazetteer, data_manager):
    Actor.objects.create(name="Hay'at Tahrir al-Sham", short_name="Hayat Tahrir al-Sham", kind="rebel_group")
    run(FIXTURE, LAYOUT, data_manager)
    assert Actor.objects.filter(name__icontains="tahrir").count() == 1
    assert Actor.objects.get(name="Syrian Arab Army").kind == "unknown"
    assert Event.objects.count() == 1
