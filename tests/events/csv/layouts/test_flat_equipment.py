"""The flat equipment-losses layout: one row per item, Oryx-like columns under the user's own
names, items of one report on one claim, types found or created as the Oryx layout does."""

import pytest

from events.gazetteer import load_gazetteer
from events.models import Claim, EquipmentLoss, EquipmentType
from tests.events.csv.layouts.flat_helpers import FLAT, counts, rewrite, run

FIXTURE = FLAT / "equipment_losses.csv"
LAYOUT = "equipment-losses"


@pytest.fixture
def gazetteer(db):
    load_gazetteer()


def test_every_item_lands_and_items_of_one_report_share_a_claim(gazetteer, data_manager):
    known = EquipmentType.objects.create(name="T-72 main battle tank", category="tank")
    known.aliases.create(name="T-72B3 tank")
    outcome = run(FIXTURE, LAYOUT, data_manager)
    assert outcome.errors == [] and outcome.counts["created"] == 6
    assert EquipmentLoss.objects.count() == 6
    tanks = EquipmentLoss.objects.filter(equipment_type=known)
    assert tanks.count() == 2 and {t.evidence_url for t in tanks} == {"https://example.org/img/t72-1.jpg",
                                                                      "https://example.org/img/t72-2.jpg"}
    bmp = EquipmentLoss.objects.select_related("captor", "owner", "place", "equipment_type").get(status="captured")
    assert (bmp.captor.name, bmp.owner.name, bmp.place.name) == ("Hayat Tahrir al-Sham", "Syrian Arab Army",
                                                                 "Khān Shaykhūn")
    assert bmp.equipment_type.category == "ifv"  # a new type, its category read from its name (as Oryx's)
    assert EquipmentType.objects.get(name="Orlan-10 reconnaissance drone").category == "drone"
    technical = EquipmentLoss.objects.get(equipment_type__name="Pickup truck with DShK")
    assert (technical.low, technical.high, technical.qualifier) == (2, 2, "exact")
    oryx = Claim.objects.filter(claimant__name="Oryx")
    # one list (document), one claim per date and place: Khan Shaykhun, Tadmur, Manbij
    assert oryx.count() == 3 and {c.document.url for c in oryx} == {"https://example.org/oryx/syria-2024"}
    assert Claim.objects.get(document__url="https://example.org/mod/khan-shaykhun").claimant.name == \
        "Syrian Ministry of Defence"
    assert {r.header: r.field for r in outcome.readings}["Lost by"] == "owner"


def test_reimport_changes_nothing_and_a_correction_updates(gazetteer, data_manager, tmp_path):
    run(FIXTURE, LAYOUT, data_manager)
    before = counts()
    again = run(FIXTURE, LAYOUT, data_manager)
    assert again.counts["unchanged"] == 6 and counts()["events.HistoricalEquipmentLoss"] == \
        before["events.HistoricalEquipmentLoss"]

    def correct(index, row):
        if index == 5:
            row["Quantity"] = "3"

    outcome = run(rewrite(FIXTURE, tmp_path, correct), LAYOUT, data_manager)
    assert outcome.counts["updated"] == 1 and EquipmentLoss.objects.get(equipment_type__name__startswith="Pickup").low == 3


def test_bad_items_are_row_errors_and_refuse_the_file(gazetteer, data_manager, tmp_path):
    def spoil(index, row):
        if index == 4:
            row["Status"] = "vaporised"
        if index == 3:
            row["Captured by"] = "Hayat Tahrir al-Sham"  # abandoned, not captured
        if index == 1:
            row["Evidence"] = "https://example.org/img/t72-1.jpg"  # the same item as row 2

    outcome = run(rewrite(FIXTURE, tmp_path, spoil), LAYOUT, data_manager)
    assert outcome.refused and not EquipmentLoss.objects.exists()
    found = {(e.row, e.column): e.reason for e in outcome.errors}
    assert set(found) == {(6, "Status"), (5, "Captured by"), (3, "Evidence")}
    assert "expected one of destroyed" in found[(6, "Status")] and "only captured" in found[(5, "Captured by")]
    assert "the same item as row 2" in found[(3, "Evidence")]
