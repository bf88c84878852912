"""The Content-Security-Policy in a real browser: Chromium (Debian's, headless, no sandbox) opens the
pages an editor uses — the admin's, the desk, the map, the history, the import page, the browsable
API, Swagger UI and Redoc — and the policy refuses nothing on any of them, while each page still
does its work (the desk's script ran, the map drew its points, Swagger and Redoc rendered the
schema).

A refusal is seen twice: the page's `securitypolicyviolation` events (a listener installed before
any of the page's scripts, kept on the window) and Chromium's console errors naming the policy.

As in tests/events/desk/test_browser.py, the data is prepared before the browser starts (Django
refuses ORM calls while Playwright's event loop runs in this thread)."""

import json
import os
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.management import call_command

from events.models import Claim, Location
from sources.models import Document
from tests.paths import ROOT

CHROMIUM = os.environ.get("CONFLICTDB_CHROMIUM", "/usr/bin/chromium")
if not Path(CHROMIUM).exists():
    pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium; .ci/run does it)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = pytest.mark.django_db(transaction=True)

ARTIFACTS = ROOT / "test-artifacts" / "csp"

# Kept on the window so that a violation raised before the test looks is not missed.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push({directive: event.violatedDirective, blocked: event.blockedURI,
                               source: event.sourceFile, line: event.lineNumber, sample: event.sample});
});
"""


@contextmanager
def chromium():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser):
    """A page in a fresh context (its own cookies: one person), recording refusals from the start."""
    page = browser.new_context(viewport={"width": 1400, "height": 1600}).new_page()
    page.set_default_timeout(20_000)
    page.add_init_script(RECORD_VIOLATIONS)
    return page


class PolicyWatch:
    """Opens pages and collects what the policy refused on each, from the events and the console."""

    def __init__(self, page, base_url, refused, console):
        self.page, self.base_url = page, base_url
        self.refused, self.console = refused, console
        page.on("console", self._console)

    def _console(self, message):
        if message.type == "error" and "Content Security Policy" in message.text:
            self.console.append((self.page.url, message.text))

    def open(self, name, path, ready):
        """Open a page, wait until `ready` (a selector or a function of the page) holds, record refusals."""
        response = self.page.goto(self.base_url + path)
        assert response.status == 200, (path, response.status)
        assert "Content-Security-Policy" in response.headers or "content-security-policy" in response.headers, path
        if isinstance(ready, str):
            self.page.wait_for_selector(ready, state="attached")
        else:
            ready(self.page)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=False)
        violations = self.page.evaluate("window.__cspViolations")
        if violations:
            self.refused[name] = violations

    def login(self, username):
        self.open("login", "/admin/login/", "#id_username")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", "pw")
        self.page.click("input[type=submit]")
        self.page.wait_for_selector("#user-tools")


@pytest.fixture
def pages(transactional_db, editor):
    """The seeded database and the ids of the records whose pages are opened."""
    call_command("load_seeds", verbosity=0)
    claim = Claim.objects.filter(casualty_figures__isnull=False).distinct().order_by("pk").first()
    located = Location.objects.filter(latitude__isnull=False).order_by("pk").first()
    return {"claim": claim.pk, "document": claim.document_id, "location": located.pk,
            "documents": Document.objects.count()}


def test_no_page_an_editor_opens_breaks_the_policy(live_server, editor, data_manager, pages):
    refused, console = {}, []
    with chromium() as browser:
        page = new_page(browser)
        watch = PolicyWatch(page, live_server.url, refused, console)
        watch.login(editor.username)
        watch.open("admin-index", "/admin/", "#content-main")
        watch.open("changelist", "/admin/events/claim/", "#result_list")
        watch.open("change-form", f"/admin/events/claim/{pages['claim']}/change/", ".inline-group")
        # An autocomplete widget (select2, jQuery) opens and searches.
        page.click(".field-claimant .select2-selection")
        page.wait_for_selector(".select2-container--open .select2-results__option")
        page.keyboard.press("Escape")
        if violations := page.evaluate("window.__cspViolations"):
            refused["change-form-autocomplete"] = violations

        watch.open("desk", f"/admin/events/claim/desk/{pages['document']}/", "#desk-text[data-ready='1']")
        expect(page.locator("#desk-text a.desk-hl").first).to_be_visible()  # its script highlighted the claims

        watch.open("events-map", "/admin/events/event/", ".conflictdb-map .leaflet-interactive")
        watch.open("place-map", f"/admin/events/location/{pages['location']}/change/",
                   ".conflictdb-map .leaflet-interactive")
        watch.open("history", f"/admin/events/claim/{pages['claim']}/history/", "#change-history")
        watch.open("browsable-api", "/api/v1/claims/?format=api", ".response-info")
        watch.open("swagger", "/api/docs/", ".swagger-ui .opblock-summary")
        watch.open("redoc", "/api/redoc/", lambda p: expect(p.locator("#redoc-container h1").first)
                   .to_have_text("ConflictDB API (1)", timeout=60_000))
        # Redoc drew with its own run-time styles (those the page's nonce lets in).
        assert page.evaluate("document.querySelectorAll('style[data-styled]').length") > 0

        # Importing is the data managers' door.
        page = new_page(browser)
        watch = PolicyWatch(page, live_server.url, refused, console)
        watch.login(data_manager.username)
        watch.open("import", "/admin/events/casualtyfigure/import/", "input[type=file]")

    assert refused == {}, json.dumps(refused, indent=1)
    assert console == [], "\n".join(f"{url}: {text}" for url, text in console)
