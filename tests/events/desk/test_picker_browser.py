"""Enter never takes a place the matcher did not match: the desk's name fields and the admin's
select2 autocomplete, in Debian's Chromium (Playwright, headless, no sandbox) against the live
server, on the full gazetteer.

An ambiguous name ("Qabbasin": two villages) or an unknown one ("Khan al-Asal") shows its
candidates and Enter takes nothing; a name the matcher settles ("Sarmin", "Idleb": the town, not
the district or governorate of the same name) is taken on Enter; an arrow key is the editor's
own choice. The data is written before the browser starts (see test_browser.py's docstring on
Playwright's event loop and the ORM).
"""

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

from conflictdb.provenance import Channel, acting
from events.gazetteer import load_gazetteer
from events.models import Location
from tests.factories import make_world
from tests.paths import ROOT

CHROMIUM = os.environ.get("CONFLICTDB_CHROMIUM", "/usr/bin/chromium")
if not Path(CHROMIUM).exists():
    pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium; .ci/run does it)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True)
ARTIFACTS = ROOT / "test-artifacts" / "pickers"


@contextmanager
def chromium_page(base_url, username):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1400})
        page.set_default_timeout(20_000)
        try:
            page.goto(base_url + "/admin/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", "pw")
            page.click("input[type=submit]")
            page.wait_for_selector("#user-tools")
            yield page
        finally:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=ARTIFACTS / f"{os.environ.get('PYTEST_CURRENT_TEST', 'x').split(':')[-1][:60]}.png")
            browser.close()


@pytest.fixture
def gazetteer(transactional_db, editor):
    load_gazetteer()
    with acting(user=editor, channel=Channel.ADMIN):
        document = make_world()["document"]
    ids = {name: Location.objects.get(name=name, kind="community").pk for name in ("Sarmīn", "Idlib")}
    ids["qabbasin"] = {str(pk) for pk in Location.objects.filter(geonames_id__in=[166285, 168061])
                       .values_list("pk", flat=True)}
    return {"document": document.pk, **ids}


def test_enter_in_the_desk_takes_only_the_matchers_match(live_server, gazetteer, editor):
    with chromium_page(live_server.url, editor.username) as page:
        page.goto(f"{live_server.url}/admin/events/claim/desk/{gazetteer['document']}/")
        page.wait_for_selector("#desk-text[data-ready='1']")
        page.click("[data-add=casualty_figures]")
        field = page.locator(".desk-row [data-field=place]").first
        options = field.locator("xpath=following-sibling::ul[1]/li[@role='option']")

        # Ambiguous: the two villages are shown, told apart; Enter takes neither.
        field.fill("Qabbasin")
        expect(options.nth(1)).to_be_visible()
        assert {options.nth(i).get_attribute("data-id") for i in range(2)} == gazetteer["qabbasin"]
        assert len({options.nth(i).inner_text() for i in range(2)}) == 2  # labelled apart
        field.press("Enter")
        expect(field).to_have_value("Qabbasin")
        assert field.get_attribute("data-id") is None
        expect(field.locator("xpath=following-sibling::ul[1]/li[contains(@class, 'desk-ask')]")).to_be_visible()

        # Unknown (and a one-word alias "Khan" must not stand for it): nothing taken.
        field.fill("Khan al-Asal")
        page.wait_for_timeout(600)  # let a search (if any) come back: nothing may be taken after it either
        field.press("Enter")
        expect(field).to_have_value("Khan al-Asal")
        assert field.get_attribute("data-id") is None

        # The matcher's match is taken on Enter: the town, not the district named after it.
        for typed, name in (("Sarmin", "Sarmīn"), ("Idleb", "Idlib")):
            field.fill(typed)
            expect(field.locator("xpath=following-sibling::ul[1]/li[@data-match='1']")).to_be_visible()
            field.press("Enter")
            expect(field).to_have_attribute("data-id", str(gazetteer[name]))
            expect(field).to_have_value(name)

        # An arrow key is the editor's own choice among the candidates.
        field.fill("Qabbasin")
        expect(options.nth(1)).to_be_visible()
        field.press("ArrowDown")
        field.press("Enter")
        assert field.get_attribute("data-id") in gazetteer["qabbasin"]


def test_enter_in_the_admin_autocomplete_takes_only_the_matchers_match(live_server, gazetteer, editor):
    with chromium_page(live_server.url, editor.username) as page:
        page.goto(f"{live_server.url}/admin/events/territorialchange/add/")
        page.click(".field-place .select2-selection")
        search = page.locator(".select2-container--open .select2-search__field")
        results = page.locator(".select2-container--open .select2-results__option[aria-selected]")
        highlighted = page.locator(".select2-container--open .select2-results__option--highlighted")

        search.fill("Qabbasin")
        expect(results.nth(1)).to_contain_text("Qab")
        expect(highlighted).to_have_count(0)  # nothing pre-selected
        search.press("Enter")
        assert page.input_value("#id_place") == ""
        expect(results.first).to_be_visible()  # still open, still asking

        # Typed as an editor types (an Enter select2 refused swallows the next lone input event).
        search.fill("")
        search.press_sequentially("Khan al-Asal")
        expect(page.locator(".select2-container--open .select2-results__option", has_text="Qab")).to_have_count(0)
        expect(highlighted).to_have_count(0)
        search.press("Enter")
        assert page.input_value("#id_place") == ""

        search.fill("")
        search.press_sequentially("Sarmin")
        expect(highlighted).to_have_text("Sarmīn (community, Idleb district, Idleb)")
        search.press("Enter")
        expect(page.locator("#id_place")).to_have_value(str(gazetteer["Sarmīn"]))

        page.click(".field-place .select2-selection")
        search.press_sequentially("Idleb")
        expect(highlighted).to_have_text("Idlib (community, Idleb district, Idleb)")
        search.press("Enter")
        expect(page.locator("#id_place")).to_have_value(str(gazetteer["Idlib"]))
