"""The admin door of exporting: the filtered changelist streamed as CSV (or XLSX), the
"Export selected" action, permissions and protection."""

import csv
import io

import pytest
from django.contrib import admin
from django.urls import reverse
from openpyxl import load_workbook

from conflictdb.csvio.admin_export import SAFE_EXPORT_FORMATS
from conflictdb.protection import PLACEHOLDER
from conflictdb.provenance import Channel, acting
from events.models import CasualtyFigure
from sources.models import Source
from tests.factories import make_world


@pytest.fixture
def world(editor):
    with acting(user=editor, channel=Channel.ADMIN):
        world = make_world()
        claim = world["claim"]
        CasualtyFigure.objects.create(claim=claim, category="civilian", outcome="injured", low=4, high=4,
                                      wording="=HYPERLINK(\"http://evil\")")
        world["anonymous"] = Source.objects.create(name="Abu Khaled, Sarmin", kind="anonymous", protected=True,
                                                   public_label="Anonymous local source")
        claim.claimant = world["anonymous"]
        claim.save()
    return world


def rows(response):
    assert response.status_code == 200, response.content[:500]
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def export_url(model, suffix="export"):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{suffix}")


def test_export_of_the_filtered_changelist(client, data_manager, world):
    client.force_login(data_manager)
    all_rows = rows(client.get(export_url(CasualtyFigure)))
    assert len(all_rows) == 2
    injured = rows(client.get(export_url(CasualtyFigure), {"outcome__exact": "injured"}))
    assert [row["outcome"] for row in injured] == ["injured"]
    assert injured[0]["wording"] == "'=HYPERLINK(\"http://evil\")"  # neutralised
    assert injured[0]["low"] == "4"


def test_changelist_shows_the_export_buttons_only_to_exporters(client, data_manager, editor, world):
    changelist = reverse("admin:events_casualtyfigure_changelist")
    client.force_login(data_manager)
    page = client.get(changelist, {"outcome__exact": "injured"}).content.decode()
    assert f'{export_url(CasualtyFigure)}?outcome__exact=injured' in page
    client.force_login(editor)
    assert "Export CSV" not in client.get(changelist).content.decode()


def test_export_refused_without_the_export_permission(client, editor, world):
    client.force_login(editor)
    assert client.get(export_url(CasualtyFigure)).status_code == 403


def test_protected_source_only_for_those_allowed(client, researcher, data_manager, world):
    client.force_login(researcher)
    claimants = {row["claimant"] for row in rows(client.get(export_url(type(world["claim"]))))}
    assert claimants == {"Anonymous local source"}
    names = {row["name"] for row in rows(client.get(export_url(Source)))}
    assert "Abu Khaled, Sarmin" not in names
    client.force_login(data_manager)
    assert {row["claimant"] for row in rows(client.get(export_url(type(world["claim"]))))} == {"Abu Khaled, Sarmin"}


def test_search_on_a_protected_name_finds_nothing_to_export_for_a_researcher(client, researcher, world):
    client.force_login(researcher)
    assert rows(client.get(export_url(Source), {"q": "Khaled"})) == []


def test_export_selected_action(client, data_manager, world):
    client.force_login(data_manager)
    figure = CasualtyFigure.objects.get(outcome="injured")
    response = client.post(reverse("admin:events_casualtyfigure_changelist"),
                           {"action": "export_selected", "_selected_action": [figure.pk]})
    assert [row["outcome"] for row in rows(response)] == ["injured"]


def test_xlsx_export(client, data_manager, world):
    client.force_login(data_manager)
    response = client.get(export_url(CasualtyFigure, "export_xlsx"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    values = list(sheet.values)
    assert values[0][0] == "claim" and len(values) == 3


def test_personal_data_placeholder_in_admin_export(client, researcher, world, editor):
    from events.models import Casualty

    with acting(user=editor, channel=Channel.ADMIN):
        Casualty.objects.create(claim=world["claim"], name="Rami", age=30, sex="male", category="civilian",
                                outcome="killed")
    client.force_login(researcher)
    [row] = rows(client.get(export_url(Casualty)))
    assert (row["name"], row["age"], row["sex"]) == (PLACEHOLDER,) * 3


def test_the_librarys_export_formats_are_the_safe_ones():
    for model_admin in admin.site._registry.values():
        if hasattr(model_admin, "export_formats") and model_admin.model._meta.app_label in ("sources", "events"):
            assert model_admin.export_formats == SAFE_EXPORT_FORMATS
