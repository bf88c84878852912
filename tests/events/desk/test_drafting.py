"""Drafting the whole document (events.desk.drafting.draft_document) on reports written for this
test, of three shapes unlike the seed article: a monitor's daily toll with breakdowns and named
victims, an official statement with sweeping claims and equipment designations, and a field
report with a denial and displacement counted in families. Each has a small gold list of what the
drafts must hold; nothing else may be drafted as a figure (0 invented rows)."""

import json

import pytest
from django.urls import reverse

from events.desk.drafting import attribution, draft_document, sentences
from events.quantities import best_estimate, find_quantity
from events.models import CasualtyFigure, Claim
from sources.models import Document, Source

pytestmark = pytest.mark.django_db

MONITOR_TOLL = (
    "Daily toll, 4 December\n"
    "The Syrian Network for Human Rights documented the deaths of 27 people on Tuesday: 14 civilians, among them "
    "5 children and 3 women, and 13 fighters. Among the victims were Ahmad Khalil, 34, and his son Omar, 8, who "
    "were killed when a shell hit their home in Sarmin at 10:30. At least 11 people were wounded in Saraqeb, "
    "according to the Syrian Civil Defence. The network has recorded 2024 as the deadliest year since 2019.\n"
)
OFFICIAL_STATEMENT = (
    "The Ministry of Defence said its forces left two destroyed BMP-1 vehicles and a T-72 tank near Ariha and killed "
    "more than 300 terrorists in the past week. Dozens of militants were captured, the ministry added. "
    "The ministry said Su-24 warplanes carried out airstrikes on terrorist positions, in line with Resolution "
    "2254. For information call +963 11 234 5678.\n"
)
FIELD_REPORT = (
    "Shelling hit Binnish on Monday night. A local source told our correspondent that twenty-seven people were "
    "wounded, between 12 and 15 of them seriously. State media denied that any civilians were harmed. "
    "About 4,500 families fled Kafr Nabl towards Idleb city over the past three days, the local council said. "
    "A 12-year-old boy was killed in Ariha, said a doctor at the hospital.\n"
)

# The gold: for each passage (by its opening words), the claimant as written and each figure as
# (low, best, high, qualifier, category, outcome, subgroup, index of its whole or None); the
# other rows in GOLD_ROWS.
GOLD_FIGURES = {
    MONITOR_TOLL: {
        "The Syrian Network for Human Rights documented": ("The Syrian Network for Human Rights", [
            (27, 27, 27, "exact", "unknown", "killed", "", None),
            (14, 14, 14, "exact", "civilian", "killed", "", 0),
            (5, 5, 5, "exact", "civilian", "killed", "child", 1),
            (3, 3, 3, "exact", "civilian", "killed", "woman", 1),
            (13, 13, 13, "exact", "combatant", "killed", "", 0),
        ]),
        "At least 11 people were wounded": ("the Syrian Civil Defence", [
            (11, 11, None, "at_least", "unknown", "injured", "", None),
        ]),
    },
    OFFICIAL_STATEMENT: {
        "The Ministry of Defence said": ("The Ministry of Defence", [
            (301, 301, None, "more_than", "combatant", "killed", "", None),
        ]),
        "Dozens of militants were captured": ("the ministry", [
            (None, None, None, "dozens", "combatant", "captured", "", None),
        ]),
    },
    FIELD_REPORT: {
        "A local source told": ("A local source", [
            (27, 27, 27, "exact", "unknown", "injured", "", None),
        ]),
        "A 12-year-old boy was killed": ("a doctor at the hospital", [
            (1, 1, 1, "exact", "civilian", "killed", "child", None),
        ]),
    },
}


def figures_of(draft):
    result = []
    for row in draft["rows"]["casualty_figures"]:
        value = find_quantity(row["quantity"])
        result.append((value["low"], best_estimate(value["low"], value["high"], value["qualifier"]), value["high"],
                       value["qualifier"], row["category"], row["outcome"], row["subgroup"], row.get("part_of")))
    return result


@pytest.mark.parametrize("report", list(GOLD_FIGURES), ids=["monitor_toll", "official_statement", "field_report"])
def test_every_gold_figure_is_drafted_and_none_is_invented(seeded, report):
    drafts = draft_document(report)
    gold = GOLD_FIGURES[report]
    drafted = {draft["text"]: draft for draft in drafts}
    for opening, (claimant, figures) in gold.items():
        [draft] = [draft for text, draft in drafted.items() if text.startswith(opening)]
        assert draft["claimant"]["as_written"] == claimant, opening
        assert figures_of(draft) == figures, opening
        assert report[draft["start"]:draft["end"]] == draft["text"]  # the quote is the passage verbatim
    # 0 invented rows: no figure drafted outside the gold passages.
    others = [draft for draft in drafts if not any(draft["text"].startswith(opening) for opening in gold)]
    assert [figures_of(draft) for draft in others if draft["rows"]["casualty_figures"]] == []

# Equipment as (type as written, low, high, qualifier, status); displacement as (low, high,
# qualifier, unit); and the stance, for the passages that state them.
GOLD_ROWS = {
    "The Ministry of Defence said": {"equipment_losses": [("BMP-1", 2, 2, "exact", "destroyed"),
                                                          ("Tank", 1, 1, "exact", "destroyed")]},
    "About 4,500 families fled": {"displacements": [(4500, 4500, "about", "families")]},
    "State media denied": {"stance": "denies"},
}


def test_equipment_displacement_and_denials_are_drafted_as_stated(seeded):
    drafts = [draft for report in GOLD_FIGURES for draft in draft_document(report)]
    for opening, gold in GOLD_ROWS.items():
        [draft] = [draft for draft in drafts if draft["text"].startswith(opening)]
        if "equipment_losses" in gold:
            rows = draft["rows"]["equipment_losses"]
            assert [(row["equipment_type"]["text"], *(find_quantity(row["quantity"])[part] for part in
                                                      ("low", "high", "qualifier")), row["status"])
                    for row in rows] == gold["equipment_losses"]
            # T-72 is a designation, not a count; BMP-1 is unknown to the vocabulary: no record is picked.
            assert rows[0]["equipment_type"]["id"] is None and rows[1]["quantity"] == "a T-72 tank"
        if "displacements" in gold:
            assert [(*(find_quantity(row["quantity"])[part] for part in ("low", "high", "qualifier")), row["unit"])
                    for row in draft["rows"]["displacements"]] == gold["displacements"]
            assert [place["text"] for place in draft["rows"]["displacements"][0]["destinations"]] == ["Idlib"]
        assert draft["stance"] == gold.get("stance", "asserts")
        if "stance" in gold:  # "denied that any civilians were harmed": a claim, but no number
            assert all(rows == [] for rows in draft["rows"].values())


def test_the_claimant_comes_from_the_attribution_and_carries_within_a_paragraph(seeded):
    Source.objects.create(name="Syrian Civil Defence", kind="monitor")
    for text, who in [("According to the Syrian Observatory for Human Rights (SOHR), 27 people were killed.",
                       "the Syrian Observatory for Human Rights (SOHR)"),
                      ("A military source told the +963 Media that ten fighters were killed", "A military source"),
                      ("Twelve civilians were killed, said the Syrian Civil Defence.", "the Syrian Civil Defence"),
                      ("Residents said the shelling continued.", "Residents"),
                      ("It said nothing.", None), ("Five people were killed in Sarmin.", None)]:
        found = attribution(text)
        assert (found and found["text"]) == who, text
        if found:
            assert text[found["start"]:found["end"]] == who
    drafts = draft_document("Twelve civilians were killed in Sarmin, said the Syrian Civil Defence. "
                            "Four more were wounded in Saraqeb.\nThree people were wounded in Ariha.")
    assert [(draft["claimant"] or {}).get("text") for draft in drafts] == [
        "Syrian Civil Defence", "Syrian Civil Defence", None]  # named by its name, not guessed
    assert drafts[0]["claimant"]["id"] == Source.objects.get(name="Syrian Civil Defence").pk
    assert [draft["claimant"] and draft["claimant"]["carried"] for draft in drafts] == [False, True, None]


def test_sentences_keep_offsets_and_join_a_breakdown_that_refers_back():
    text = "Five people were killed. Among them two children.\r\nResolution No. 5 was cited. Next one."
    spans = sentences(text)
    assert [text[start:end] for start, end in spans] == [
        "Five people were killed. Among them two children.", "Resolution No. 5 was cited.", "Next one."]


def test_the_document_drafts_endpoint_writes_nothing_and_drafts_save_with_their_parts(client, editor, seeded):
    publisher = Source.objects.create(name="Daily toll monitor", kind="monitor")
    document = Document.objects.create(publisher=publisher, title="Daily toll", text=MONITOR_TOLL.replace("\n", "\r\n"),
                                       published_on="2026-12-04")
    client.force_login(editor)
    before = (Claim.objects.count(), CasualtyFigure.objects.count())
    response = client.get(reverse("admin:events_claim_desk_drafts", args=[document.pk]))
    assert response.status_code == 200
    drafts = response.json()["drafts"]
    assert (Claim.objects.count(), CasualtyFigure.objects.count()) == before
    toll = next(draft for draft in drafts if draft["text"].startswith("The Syrian Network"))
    assert document.text[toll["start"]:toll["end"]] == toll["text"] and not toll["claimed"]
    saved = client.post(reverse("admin:events_claim_desk_claims", args=[document.pk]), json.dumps({
        "quotes": [{"start": toll["start"], "end": toll["end"], "text": toll["text"]}],
        "claimant": {"id": publisher.pk, "text": str(publisher)}, "date_start": "2026-12-03", "statement": toll["text"],
        "casualty_figures": toll["rows"]["casualty_figures"]}), content_type="application/json")
    assert saved.status_code == 201, saved.content
    figures = {figure.low: figure for figure in CasualtyFigure.objects.filter(claim_id=saved.json()["claim"]["id"])}
    assert sorted(figures) == [3, 5, 13, 14, 27]
    assert {low: figure.part_of.low if figure.part_of else None for low, figure in figures.items()} == {
        27: None, 14: 27, 5: 14, 3: 14, 13: 27}
    again = client.get(reverse("admin:events_claim_desk_drafts", args=[document.pk])).json()["drafts"]
    assert next(draft for draft in again if draft["start"] == toll["start"])["claimed"]
    # A part_of that is not a figure row above is refused on its field, and nothing is written.
    refused = client.post(reverse("admin:events_claim_desk_claims", args=[document.pk]), json.dumps({
        "quotes": [{"start": toll["start"], "end": toll["end"], "text": toll["text"]}],
        "claimant": {"id": publisher.pk}, "statement": "x", "casualty_figures": [
            {"category": "civilian", "outcome": "killed", "quantity": "14", "part_of": 0}]}),
        content_type="application/json")
    assert refused.status_code == 400 and "casualty_figures.0.part_of" in refused.json()["errors"]



def test_drafting_a_document_asks_the_database_once_not_per_sentence(client, editor, seeded):
    from django.db import connection

    client.force_login(editor)
    publisher = Source.objects.create(name="Field monitor", kind="monitor")

    def queries_to_draft(text):
        document = Document.objects.create(publisher=publisher, title="Report", text=text)
        count = []
        with connection.execute_wrapper(lambda execute, *args: count.append(1) or execute(*args)):
            response = client.get(reverse("admin:events_claim_desk_drafts", args=[document.pk]))
        assert response.status_code == 200
        return len(count), len(response.json()["drafts"])

    queries_to_draft(FIELD_REPORT)  # warm the per-process caches
    once, drafts_once = queries_to_draft(FIELD_REPORT)
    thrice, drafts_thrice = queries_to_draft(FIELD_REPORT * 3)
    assert drafts_thrice == 3 * drafts_once and thrice == once
