"""The Oryx equipment-loss layout: one claim and one equipment loss per visually confirmed item,
types found by their tracker names or created, idempotent, bad rows refused."""

from pathlib import Path

from conflictdb.csvio.layouts import import_layout
from events.csv.layouts.oryx import category_of
from events.models import Claim, EquipmentLoss, EquipmentType
from tests.paths import FIXTURES

FIXTURE = FIXTURES / "import" / "oryx_sample_32.csv"


def _import(path, user):
    with open(path, "rb") as handle:
        return import_layout(handle, "oryx", user=user, file_name=Path(path).name)


def test_each_oryx_row_becomes_a_claim_and_one_lost_item(db, data_manager):
    known = EquipmentType.objects.create(name="Orlan-10 reconnaissance drone", category="drone",
                                         tracker_system_names="'Orlan-20' reconnaissance UAV")
    outcome = _import(FIXTURE, data_manager)
    assert outcome.errors == [] and outcome.counts["created"] == 32
    assert EquipmentLoss.objects.count() == 32
    loss = EquipmentLoss.objects.select_related("claim", "owner").get(claim__external_id="oryx:7-232")
    assert (loss.status, loss.low, loss.high, loss.equipment_type) == ("captured", 1, 1, known)
    assert loss.owner.name == "Armed Forces of Russia" and loss.evidence_url == "https://i.postimg.cc/hPPz5cxF/877.jpg"
    assert str(loss.date) == "2022-05-23" and loss.claim.claimant.name == "Oryx" and loss.claim.event is None
    assert set(EquipmentLoss.objects.values_list("status", flat=True)) == {"destroyed", "captured", "damaged",
                                                                           "abandoned"}
    assert loss.import_row == 10 and loss.import_batch == outcome.batch


def test_reimporting_oryx_changes_nothing(db, data_manager):
    _import(FIXTURE, data_manager)
    history = EquipmentLoss.history.count() + Claim.history.count()
    outcome = _import(FIXTURE, data_manager)
    assert outcome.counts["unchanged"] == 32 and outcome.counts["created"] == 0
    assert EquipmentLoss.history.count() + Claim.history.count() == history


def test_a_bad_oryx_row_refuses_the_file(db, data_manager, tmp_path):
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(",destroyed,", ",vaporised,")
    path = tmp_path / "oryx_bad.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outcome = _import(path, data_manager)
    assert outcome.refused and not EquipmentLoss.objects.exists()
    (error,) = outcome.errors
    assert (error.row, error.column, error.value) == (4, "status", "vaporised")


def test_categories_read_from_system_names():
    assert category_of("T-72B3 obr. 2016") == "tank"
    assert category_of("BMP-2") == "ifv"
    assert category_of("'Orlan-20' reconnaissance UAV") == "drone"
    assert category_of("(Unknown) truck") == "vehicle"
    assert category_of("Something else") == "other"
