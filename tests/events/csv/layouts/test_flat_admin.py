"""The flat layouts through the admin's Import page (layout chosen, how each column was read,
a mapping chosen and previewed again, then confirmed) and through `import_csv --layout --map`."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from conflictdb.models import ImportBatch
from events.gazetteer import load_gazetteer
from events.models import CasualtyFigure
from tests.events.csv.layouts.flat_helpers import FLAT, rewrite

IMPORT_URL = "admin:events_casualtyfigure_import"


@pytest.fixture
def renamed(db, tmp_path):
    load_gazetteer()
    return rewrite(FLAT / "casualty_figures.csv", tmp_path, lambda i, r: None,
                   header={"Perpetrator": "Who did it", "Category": "Kind of victim"})


def test_the_admin_preview_shows_how_columns_were_read_and_takes_a_mapping(renamed, client, data_manager):
    client.force_login(data_manager)
    page = client.get(reverse(IMPORT_URL))
    assert 'value="casualty-figures"' in page.content.decode() and 'value="acled"' in page.content.decode()
    preview = client.post(reverse(IMPORT_URL), {"file": SimpleUploadedFile("sheet.csv", renamed.read_bytes()),
                                                "layout": "casualty-figures"})
    body = preview.content.decode()
    assert preview.status_code == 200 and "How each column was read" in body
    assert "required column missing" in body and "The file cannot be imported" in body  # category is not read
    readings = {r["header"]: r for r in preview.context["readings"]}
    assert readings["Affiliation"]["field"] == "party" and readings["Affiliation"]["how"] == "a synonym"
    assert readings["Who did it"]["field"] is None
    token = preview.context["token"]
    assert token and not ImportBatch.objects.exists()
    header = [r["header"] for r in preview.context["readings"]]
    choices = {f"map-{header.index('Who did it')}": "perpetrator", f"map-{header.index('Kind of victim')}": "category",
               f"map-{header.index('Note')}": "-"}
    again = client.post(reverse(IMPORT_URL), {"token": token, "remap": "1", **choices})
    assert again.status_code == 200 and "8</strong> to create" in again.content.decode()
    readings = {r["header"]: r for r in again.context["readings"]}
    assert readings["Who did it"]["field"] == "perpetrator" and readings["Who did it"]["how"] == "your mapping"
    assert readings["Note"]["field"] is None and readings["Note"]["chosen"] == "-"
    assert "Confirm import" in again.content.decode() and not CasualtyFigure.objects.exists()
    done = client.post(reverse(IMPORT_URL), {"token": again.context["token"], "confirm": "1"})
    assert done.status_code == 302
    batch = ImportBatch.objects.get()
    assert batch.layout == "casualty-figures" and batch.created_count == 8
    assert batch.options["mapping"] == {"perpetrator": "Who did it", "category": "Kind of victim", "-": ["Note"]}
    assert CasualtyFigure.objects.filter(perpetrator__name="Syrian Arab Army").count() == 3
    assert not CasualtyFigure.objects.exclude(note__in=["", "Unanchored quote (the document has no text): "
                                                                "“between 12 and 15 soldiers”"]).exists()


def test_a_layout_the_user_may_not_import_is_not_offered(renamed, client, researcher):
    from django.contrib.auth.models import Permission

    researcher.user_permissions.add(*Permission.objects.filter(codename__in=[
        "import_data", "add_casualtyfigure", "change_casualtyfigure"]))
    client.force_login(researcher)
    page = client.get(reverse(IMPORT_URL))
    assert page.status_code == 200 and 'value="casualty-figures"' not in page.content.decode()


def test_the_command_maps_columns(renamed, data_manager):
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="Refused"):
        call_command("import_csv", str(renamed), layout="casualty-figures", user=data_manager.username,
                     no_progress=True, stdout=out, stderr=err)
    assert "required column missing" in err.getvalue()
    call_command("import_csv", str(renamed), layout="casualty-figures", user=data_manager.username,
                 no_progress=True, stdout=out, stderr=err, map=["category=Kind of victim", "perpetrator=Who did it"])
    assert "8 created" in out.getvalue() and CasualtyFigure.objects.filter(perpetrator__isnull=False).count() == 4
    with pytest.raises(CommandError, match="expected FIELD=COLUMN"):
        call_command("import_csv", str(renamed), layout="casualty-figures", user=data_manager.username,
                     no_progress=True, stdout=out, stderr=err, map=["category"])
    with pytest.raises(CommandError, match="takes no column mapping"):
        call_command("import_csv", str(renamed), layout="oryx", user=data_manager.username,
                     no_progress=True, stdout=out, stderr=err, map=["a=b"])
