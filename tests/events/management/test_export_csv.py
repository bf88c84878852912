"""`manage.py export_csv`: the seed data through the command door, filters, formats, permissions and
protection (protected sources and personal data only for users allowed to see them)."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from conflictdb.protection import PLACEHOLDER
from conflictdb.provenance import Channel, acting
from events.models import Casualty, CasualtyFigure, Claim
from sources.models import Source


def export(*args, user=None):
    out = io.StringIO()
    call_command("export_csv", *args, *(["--user", user.username] if user else []), stdout=out, verbosity=0)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


@pytest.fixture
def protected_claimant(seeded):
    source = Source.objects.filter(protected=True).order_by("name").first()
    assert source is not None, "the seed article quotes anonymous, protected sources"
    return source


def test_seed_claims_export_with_natural_keys(seeded, data_manager):
    rows = export("claims", user=data_manager)
    assert len(rows) == Claim.objects.count() == 25
    clashes = next(row for row in rows if row["external_id"].endswith(":milsource-government-killed"))
    assert clashes["event"] == "seed:000_edd5ec991ef37588:clashes"
    assert clashes["document"] == "seed:000_edd5ec991ef37588:translation"  # no URL: its external id
    assert clashes["date_start"] == "2024-11-27"
    assert "id" not in rows[0]


def test_seed_figures_keep_ranges_qualifiers_and_place_references(seeded, data_manager):
    rows = export("casualtyfigure", "--filter", "outcome=killed", user=data_manager)
    assert {row["outcome"] for row in rows} == {"killed"}
    government = next(row for row in rows if row["wording"] == "more than 35")
    assert (government["affiliation"], government["low"], government["high"], government["qualifier"]) == (
        "Syrian government forces", "36", "", "more_than")
    dozens = next(row for row in rows if row["qualifier"] == "dozens")
    assert (dozens["low"], dozens["place"], dozens["place_ref"]) == ("", "Aleppo", "SY02")  # unknown, not 0


def test_locations_carry_an_unambiguous_reference(seeded, researcher):
    rows = {row["name"]: row for row in export("location", "--filter", "pcode=SY07", user=researcher)}
    assert rows["Idleb"]["parent_ref"] == "SY"
    villages = export("location-aliases", user=researcher)
    assert any(row["location_ref"].startswith("geonames:") for row in villages)


def test_protected_claimant_is_a_public_label_for_a_researcher(seeded, researcher, protected_claimant):
    names = {row["claimant"] for row in export("claims", user=researcher)}
    assert protected_claimant.name not in names
    assert protected_claimant.public_label in names
    sources = export("sources", user=researcher)
    assert protected_claimant.name not in {row["name"] for row in sources}
    shown = next(row for row in sources if row["name"] == protected_claimant.public_label)
    assert shown["description"] in ("", PLACEHOLDER) and shown["url"] in ("", PLACEHOLDER)
    aliases = {row["source"] for row in export("sourcealias", user=researcher)}
    assert protected_claimant.public_label not in aliases  # its spellings are nothing but its identity


def test_protected_claimant_is_named_for_a_data_manager(seeded, data_manager, protected_claimant):
    assert protected_claimant.name in {row["claimant"] for row in export("claims", user=data_manager)}
    assert protected_claimant.name in {row["name"] for row in export("sources", user=data_manager)}


def test_without_a_user_nothing_protected_is_written(seeded, protected_claimant):
    assert protected_claimant.name not in {row["claimant"] for row in export("claims")}


@pytest.fixture
def victim(seeded, editor):
    with acting(user=editor, channel=Channel.ADMIN):
        return Casualty.objects.create(claim=CasualtyFigure.objects.first().claim, name="Ahmad K.", name_ar="أحمد",
                                       age=9, sex="male", category="civilian", outcome="killed")


def test_personal_data_is_a_placeholder_for_a_researcher(victim, researcher):
    [row] = export("casualty", user=researcher)
    assert (row["name"], row["name_ar"], row["age"], row["sex"]) == (PLACEHOLDER,) * 4
    assert row["category"] == "civilian"


def test_personal_data_is_exported_exactly_for_a_data_manager(victim, data_manager):
    [row] = export("casualty", user=data_manager)
    assert (row["name"], row["name_ar"], row["age"], row["sex"]) == ("Ahmad K.", "أحمد", "9", "male")


@pytest.mark.parametrize("persona", ["editor", "verifier", "outsider"])
def test_export_needs_the_export_permission(seeded, request, persona):
    user = request.getfixturevalue(persona)
    with pytest.raises(CommandError, match="export_data"):
        export("claims", user=user)


def test_xlsx_output(seeded, data_manager, tmp_path):
    target = tmp_path / "figures.xlsx"
    call_command("export_csv", "casualtyfigure", "--user", data_manager.username, "--output", str(target),
                 verbosity=0)
    sheet = load_workbook(target, read_only=True).active
    rows = list(sheet.values)
    assert rows[0][:5] == ("claim", "affiliation", "category", "subgroup", "outcome")
    assert len(rows) == 1 + CasualtyFigure.objects.count()


def test_csv_file_has_a_bom_for_spreadsheets_and_progress_on_stderr(seeded, data_manager, tmp_path):
    target, err = tmp_path / "events.csv", io.StringIO()
    call_command("export_csv", "event", "--user", data_manager.username, "-o", str(target), stderr=err)
    text = target.read_text(encoding="utf-8")
    assert text.startswith("\ufeffexternal_id,title,")
    assert "Exported 8 event rows" in err.getvalue()


@pytest.mark.parametrize("args, message", [
    (["nothing"], "No CSV columns"),
    (["casualtyfigure", "--filter", "bogus=1"], "Unknown filter"),
    (["casualtyfigure", "--filter", "outcome=exploded"], "outcome"),
    (["casualtyfigure", "--filter", "outcome"], "name=value"),
    (["hxl", "--format", "xlsx"], "--output"),
    (["claims", "--user", "nobody"], "No user"),
])
def test_bad_arguments_are_clear_errors(seeded, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("export_csv", *args, stdout=io.StringIO(), verbosity=0)


def test_filters_read_names_as_the_exporting_user_may(seeded, researcher, data_manager, protected_claimant):
    """A protected claimant is named by its real name only by who may see it (conflictdb.filtersets)."""
    by_label = export("claims", "--filter", f"source={protected_claimant.public_label}", user=researcher)
    assert by_label and {row["claimant"] for row in by_label} == {protected_claimant.public_label}
    by_name = export("claims", "--filter", f"source={protected_claimant.name}", user=data_manager)
    assert {row["claimant"] for row in by_name} == {protected_claimant.name}
    with pytest.raises(CommandError, match="source: No source is called"):
        export("claims", "--filter", f"source={protected_claimant.name}", user=researcher)
