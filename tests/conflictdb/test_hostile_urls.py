"""The hostile-URL crawl (issue 16): no URL a user can type answers with a server error.

Every URL pattern of the admin and of /api/ is found by walking the project's resolver (a new
route is crawled without touching this file). Path parameters are filled with the ids of real
records of a small world (one of each model) and with hostile ids; query strings carry hostile
parameters: unknown lookups, wrong types for each declared filter of the view, huge numbers,
impossible dates, Unicode (NUL, right-to-left marks), SQL-ish text, very long values, every
format, pages and orderings that do not exist. Each request goes out as one of the personas; the
changelists' action forms are posted with selections that name nothing. Any answer >= 500 (or an
exception while a streamed body is read) is collected, and the test reports them all at once.

The crawl samples, so that it stays a couple of thousand requests: each route gets its real URL
as a persona without access, then a fixed, seeded sample of its hostile variants (one bad id, a
few hostile query strings, more on lists) spread over the staff personas; a route that shares
its view with one already crawled (a format suffix) gets one request. The sample is the same on
every run (seeded by the route).
"""

from __future__ import annotations

import json
import random
import re
import traceback
import zlib
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlencode

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, Resolver404, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern

from events.models import Claim, Location
from sources.models import Document
from tests.factories import fill, make_world

PERSONAS = ("editor", "verifier", "researcher", "data_manager", "outsider", "anonymous")
STAFF = PERSONAS[:4]

HUGE = "99999999999999999999"
HOSTILE_IDS = ("0", "-1", HUGE, "abc", "é\u202e𝒳", "1' OR '1'='1", "1\x00")
HOSTILE_VALUES = ("abc", "-1", HUGE, "1e999", "2026-13-45", "2026-02-30", "\x00", "a\x00b", "\u202eكلام\u200f",
                  "Ωμέγα 𝒳 ☃", "1' OR '1'='1", "1; DROP TABLE events_claim; --", "%", "x" * 3000, "", "[]", "{}")
# What every URL is tried with, whatever it declares.
GENERIC_QUERIES = (
    [("claimant", "1")], [("foo__bar", "1")], [("id__regex", "(")], [("pk__in", "1,abc")],
    [("created_by__password__startswith", "a")], [("q", "1' OR '1'='1")], [("q", "\x00")], [("q", "x" * 5000)],
    [("q", "\u202eكلام")], [("o", "99")], [("o", "abc")], [("o", "1.-2.x")], [("p", "-1")], [("p", HUGE)],
    [("all", "")], [("e", "1")], [("e", "1"), ("claimant", "1")], [("_to_field", "password")], [("_popup", "1")],
    [("ordering", "unknownfield")], [("ordering", "-")], [("ordering", "created_by__password")],
    [("page", "-1")], [("page", HUGE)], [("limit", "-1")], [("limit", HUGE)], [("offset", HUGE)],
    [("offset", "-5")], [("cursor", "abc")], [("cursor", "\x00")], [("paginate", "cursor"), ("limit", HUGE)],
    [("format", "csv")], [("format", "xlsx")], [("format", "json")], [("format", "geojson")],
    [("format", "unknown")], [("format", "api")], [("fields", "nope,__all__")], [("brief", "maybe")],
    [("name", "\x00")], [("name", "x" * 3000)], [("term", "\x00")], [("within", HUGE)], [("within", "abc")],
    [("date", "2026-13-45")], [("date_from", "2026-13-45"), ("date_to", HUGE)], [("start", HUGE), ("end", "-1")],
    [("start", "abc"), ("end", "1")], [("app_label", "events"), ("model_name", "claim"), ("field_name", "nope")],
    [("app_label", "events"), ("model_name", "territorialchange"), ("field_name", "place"), ("term", "\x00")],
)
HOSTILE_PATHS_PER_ROUTE = 1
QUERIES_PER_ROUTE = 1  # hostile query strings per route (more for the lists of a model)
QUERIES_PER_LIST = 4


@dataclass
class Endpoint:
    template: str  # "admin/events/claim/{object_id}/history/"
    pattern: URLPattern
    params: list[str]
    model: type | None = None
    filters: list[str] = field(default_factory=list)


# --- every route, from the resolver ------------------------------------------------------------

_GROUP = re.compile(r"\(\?P<(\w+)>")


def _regex_template(regex: str, params: list[str]) -> str:
    """A regex pattern as a template: each group becomes {name} (unnamed ones {_0}, {_1} …)."""
    out, i, unnamed = [], 0, 0
    regex = regex.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    while i < len(regex):
        char = regex[i]
        if char == "\\":
            out.append(regex[i + 1])
            i += 2
            continue
        if char == "(":
            named = _GROUP.match(regex, i)
            if named:
                name = named.group(1)
            else:
                name = f"_{unnamed}"
                unnamed += 1
            depth, j = 0, i
            while j < len(regex):  # the group's end, nested groups and escapes included
                if regex[j] == "\\":
                    j += 2
                    continue
                depth += {"(": 1, ")": -1}.get(regex[j], 0)
                if depth == 0:
                    break
                j += 1
            params.append(name)
            out.append("{%s}" % name)
            i = j + 1
            continue
        if char == "?" and out and out[-1] == "/":  # an optional trailing slash: keep it
            i += 1
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _route_template(route: str, params: list[str]) -> str:
    def slot(match):
        params.append(match.group(2))
        return "{%s}" % match.group(2)

    return re.sub(r"<(?:(\w+):)?(\w+)>", slot, route)


def _piece(pattern, params):
    if isinstance(pattern, RoutePattern):
        return _route_template(str(pattern), params)
    if isinstance(pattern, RegexPattern):
        return _regex_template(pattern._regex, params)
    raise AssertionError(f"unknown URL pattern kind {pattern!r}")


def _walk(patterns, prefix="", params=()):
    for entry in patterns:
        names = list(params)
        template = prefix + _piece(entry.pattern, names)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, template, names)
        else:
            yield template, entry, names


def _admin_model(template):
    match = re.match(r"admin/(\w+)/(\w+)/", template)
    if match:
        try:
            return apps.get_model(match.group(1), match.group(2))
        except LookupError:
            return None
    return None


def _admin_filters(model):
    model_admin = admin.site._registry.get(model)
    if model_admin is None:
        return []
    names = []
    for item in model_admin.list_filter:
        if isinstance(item, str):
            names += [item, f"{item}__exact", f"{item}__id__exact", f"{item}__isnull"]
        elif isinstance(item, (tuple, list)):
            names += [item[0], f"{item[0]}__exact"]
        else:
            names.append(getattr(item, "parameter_name", None) or "")
    if model_admin.date_hierarchy:
        names += [f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")]
    return [name for name in names if name]


def endpoints() -> list[Endpoint]:
    found = []
    for template, pattern, params in _walk(get_resolver().url_patterns):
        if not (template.startswith("admin/") or template.startswith("api/")):
            continue
        view_class = getattr(pattern.callback, "cls", None)
        model, filters = None, []
        if template.startswith("admin/"):
            model = _admin_model(template)
            filters = _admin_filters(model) if model else []
        elif view_class is not None:
            queryset = getattr(view_class, "queryset", None)
            model = queryset.model if queryset is not None else None
            filterset = getattr(view_class, "filterset_class", None)
            filters = list(filterset.base_filters) if filterset else []
        found.append(Endpoint(template, pattern, params, model, filters))
    return found


# --- the world the crawl walks in ----------------------------------------------------------------


@pytest.fixture
def world(as_editor):
    records = make_world()
    for model in apps.get_models():
        try:
            fill(model, 1, records)
        except KeyError:  # no builder: a model of Django's or a library's
            continue
    claim = records["claim"]
    claim.statement = "Ten fighters killed, as amended"
    claim.save()  # a second version, for the history and restore pages
    return records


def _real_ids(model):
    if model is None:
        return [str(Location.objects.order_by("pk").values_list("pk", flat=True).first())]
    pk = model._base_manager.order_by("pk").values_list("pk", flat=True).first()
    return [str(pk)] if pk is not None else ["1"]


def _history_ids(model):
    history = getattr(model, "history", None) if model is not None else None
    if history is None:
        return ["1"]
    first = model._base_manager.order_by("pk").first()
    rows = history.filter(id=first.pk) if first is not None else history.none()
    return [str(row) for row in rows.order_by("history_id").values_list("history_id", flat=True)[:1]] or ["1"]


def _real_values(endpoint, name):
    """Values of real records (or the one right value) for a path parameter."""
    if name in ("object_id", "pk", "id", "_0"):
        if endpoint.template.startswith("admin/r/"):
            return [str(Claim.objects.order_by("pk").values_list("pk", flat=True).first())]
        return _real_ids(endpoint.model)
    if name in ("history_id", "version_id", "_1"):
        return _history_ids(endpoint.model)
    if name == "document_id":
        return _real_ids(Document)
    if name == "content_type_id":
        return [str(ContentType.objects.get_for_model(Claim).pk)]
    if name == "app_label":
        return ["events", "sources"]
    if name == "format":
        return ["json", ".json", "csv", ".csv", "geojson", "api"]
    if name == "url":
        return ["nowhere/"]
    return ["1"]


def _fill(template, values):
    return "/" + template.format(**{name: quote(value, safe="") for name, value in values.items()})


def _resolves_to(url, endpoint):
    try:
        return resolve(unquote(url.split("?")[0])).func is endpoint.pattern.callback
    except Resolver404:
        return False


def _paths(endpoint, rng):
    """The real URL, then a sample of hostile values, one parameter at a time, the others real."""
    real = {name: _real_values(endpoint, name)[0] for name in endpoint.params}
    for name in endpoint.params:  # a converter may want another real value (".json" for a suffix)
        for value in _real_values(endpoint, name):
            if _resolves_to(_fill(endpoint.template, {**real, name: value}), endpoint):
                real[name] = value
                break
    first = _fill(endpoint.template, real)
    hostile = [_fill(endpoint.template, {**real, name: value})
               for name in endpoint.params for value in [*_real_values(endpoint, name)[1:], *HOSTILE_IDS]]
    hostile = [url for url in dict.fromkeys(hostile) if url != first and _resolves_to(url, endpoint)]
    return [first, *rng.sample(hostile, min(HOSTILE_PATHS_PER_ROUTE, len(hostile)))]


def _lists(endpoint):
    """A route that lists a model's records by the query string: the admin changelist and its
    exports, an API list (by Django's and DRF's URL names)."""
    name = endpoint.pattern.name or ""
    return bool(endpoint.model and not endpoint.params
                and (name.endswith(("_changelist", "_export", "_export_xlsx", "-list"))))


def _queries(endpoint, rng):
    specific = [[(name, value)] for name in endpoint.filters for value in HOSTILE_VALUES]
    catalogue = [*GENERIC_QUERIES, *specific]
    count = QUERIES_PER_LIST if _lists(endpoint) else QUERIES_PER_ROUTE
    sample = rng.sample(catalogue, min(count, len(catalogue)))
    if specific and count == QUERIES_PER_LIST:  # two of every list's own filters
        sample += rng.sample(specific, min(2, len(specific)))
    return ["?" + urlencode(pairs) for pairs in sample]


# --- making the requests ---------------------------------------------------------------------------


@dataclass
class Failure:
    method: str
    url: str
    persona: str
    status: int | str
    error: str

    def __str__(self):
        shown = self.url if len(self.url) < 160 else self.url[:157] + "…"
        return f"{self.method} {shown} as {self.persona}: {self.status} {self.error}"


def _describe(exc_info):
    if not exc_info:
        return ""
    _, error, tb = exc_info
    ours = [frame for frame in traceback.extract_tb(tb) if "site-packages" not in frame.filename]
    where = f" at {ours[-1].filename.rsplit('/', 2)[-2:]}:{ours[-1].lineno}" if ours else ""
    return f"{type(error).__name__}: {str(error)[:200]}{where}"


class Crawler:
    def __init__(self, users):
        self.clients = {}
        for persona in PERSONAS:
            client = Client(raise_request_exception=False)
            if persona != "anonymous":
                client.force_login(users[persona])
            self.clients[persona] = client
        self.failures: list[Failure] = []
        self.requests = 0

    def request(self, persona, method, url, data=None, content_type=None):
        cache.clear()  # API throttles count in the cache: a crawl must not be answered 429
        self.requests += 1
        client = self.clients[persona]
        kwargs = {"content_type": content_type} if content_type else {}
        # Each request in its own savepoint: a database error must not poison the next ones, and
        # posted actions change nothing the next request sees.
        savepoint = transaction.savepoint()
        try:
            response = getattr(client, method.lower())(url, data, **kwargs) if data is not None else \
                getattr(client, method.lower())(url)
            status, error = response.status_code, _describe(getattr(response, "exc_info", None))
            if response.streaming and status < 500:
                try:
                    b"".join(response.streaming_content)
                except Exception as streamed:  # noqa: BLE001 - any error while streaming is the finding
                    status, error = "streamed", _describe((type(streamed), streamed, streamed.__traceback__))
        finally:
            transaction.savepoint_rollback(savepoint)
            if connection.needs_rollback:
                transaction.set_rollback(False)
        if status == "streamed" or status >= 500:
            self.failures.append(Failure(method, url, persona, status, error))


def _action_posts(endpoint, url, users, rng):
    """The changelist's action form, posted with selections that name nothing (and 'abc')."""
    model_admin = admin.site._registry.get(endpoint.model)
    if model_admin is None or not endpoint.pattern.name or not endpoint.pattern.name.endswith("_changelist"):
        return []
    posts = []
    for index, persona in enumerate(STAFF):
        request = RequestFactory().get("/")
        request.user = users[persona]
        actions = sorted(model_admin.get_actions(request)) + ["no_such_action"]
        for action in actions[index::len(STAFF)] or actions[:1]:
            selection = rng.choice([[HUGE, "abc"], ["0", "-1"], ["1' OR '1'='1"], ["\x00"]])
            data = {"action": action, ACTION_CHECKBOX_NAME: selection, "index": "0"}
            if rng.random() < 0.5:  # past the confirmation page, with a reason and a bad value
                data.update({"apply": "1", "reason": "crawl", "value": "Z", "to": "bogus"})
            query = rng.choice(["", "?claimant=1", "?q=%00", f"?p={HUGE}"])
            if rng.random() < 0.3:
                data["select_across"] = "1"
            posts.append((persona, url + query, data))
    return posts


def _page_posts(endpoint):
    """The other admin pages that take a POST (desk, resolve, import, restore), with hostile data."""
    name = endpoint.pattern.name or ""
    if name.endswith("_desk_claims"):
        return [("json", {"claimant": {"id": "abc"}}), ("json", {"claimant": {"id": HUGE}, "event": {"id": [1]}}),
                ("json", {"quotes": [{"start": HUGE, "end": "x"}], "casualty_figures": "nope"}),
                ("json", {"date_start": "2026-13-45", "credibility": "abc", "claimant": "\x00"}),
                ("json", [1, 2]), ("raw", "{not json")]
    if name.endswith("_resolve"):
        return [("form", {"learn": "abc", "name": "x"}), ("form", {"learn": HUGE, "name": "x"}),
                ("form", {"learn": "1"}), ("form", {"learn": "0", "name": "\x00"})]
    if name.endswith("_import"):
        return [("form", {"confirm": "1", "token": "abc"}), ("form", {"confirm": "1"}),
                ("form", {"encoding": "ebcdic", "delimiter": "pipe"})]
    if name.endswith("_restore"):
        return [("form", {"reason": "crawl", "expected_version": HUGE}), ("form", {"expected_version": "abc"})]
    return []


@pytest.mark.django_db
def test_no_url_answers_a_server_error(world, editor, verifier, researcher, data_manager, outsider):
    users = {"editor": editor, "verifier": verifier, "researcher": researcher, "data_manager": data_manager,
             "outsider": outsider}
    crawler = Crawler(users)
    crawled = endpoints()
    assert len(crawled) > 300, "the resolver walk found too few routes"
    crawled_views = set()
    for number, endpoint in enumerate(crawled):
        rng = random.Random(zlib.crc32(endpoint.template.encode()))
        paths = _paths(endpoint, rng)
        staff = STAFF[number % len(STAFF)]
        if endpoint.pattern.callback in crawled_views:  # a sibling (a format suffix, …/xlsx): its real URL
            crawler.request(staff, "GET", paths[0] + _queries(endpoint, rng)[0])
            continue
        crawled_views.add(endpoint.pattern.callback)
        # The real URL as someone with no access (staff reach it below, with hostile queries).
        crawler.request(("outsider", "anonymous")[number % 2], "GET", paths[0])
        variants = [*paths[1:], *(paths[0] + query for query in _queries(endpoint, rng))]
        for index, url in enumerate(variants):
            crawler.request(STAFF[(number + index + 1) % len(STAFF)], "GET", url)
        for persona, url, data in _action_posts(endpoint, paths[0], users, rng):
            crawler.request(persona, "POST", url, data)
        for index, (kind, data) in enumerate(_page_posts(endpoint)):
            persona = STAFF[(number + index) % len(STAFF)]
            for url in paths[:3]:
                if kind == "json":
                    crawler.request(persona, "POST", url, json.dumps(data), "application/json")
                elif kind == "raw":
                    crawler.request(persona, "POST", url, data, "application/json")
                else:
                    crawler.request(persona, "POST", url, data)
    report = "\n".join(str(failure) for failure in crawler.failures)
    assert not crawler.failures, (f"{len(crawler.failures)} of {crawler.requests} requests answered >= 500:\n"
                                  f"{report}")


# --- what each kind of malformed request gets -----------------------------------------------------


def _messages(response):
    return [str(message) for message in response.wsgi_request._messages]


@pytest.mark.django_db
def test_an_export_answers_an_unknown_lookup_as_the_changelist_does(client, data_manager, world):
    client.force_login(data_manager)
    for query in ({"claimant": "1"}, {"foo__bar": "1"}, {"date_start__year": HUGE}):
        response = client.get("/admin/events/event/export/", query)
        assert response.status_code == 302, query
        assert response["Location"] == "/admin/events/event/?e=1"
        assert "cannot use" in _messages(response)[0]
    assert client.get("/admin/events/event/", {"claimant": "1"})["Location"] == "/admin/events/event/?e=1"
    # A regular expression is refused as Django refuses a lookup the admin does not allow.
    assert client.get("/admin/events/event/export/", {"id__regex": "("}).status_code == 400
    again = client.get("/admin/events/event/export/", {"claimant": "1", "e": "1"})
    assert again.status_code == 400 and b"cannot use" in again.content  # no redirect loop


@pytest.mark.django_db
def test_a_value_that_fails_only_in_the_database_is_refused_not_a_server_error(client, verifier, world):
    client.force_login(verifier)
    # SQLite holds no integer this large, PostgreSQL no NUL in text: there the database refuses
    # the value and the list answers with its error flag; elsewhere the list is shown.
    for query in ({"content_type__exact": HUGE}, {"q": "\x00"}):
        response = client.get("/admin/conflictdb/gradechange/", query)
        if response.status_code == 302:
            assert response["Location"] == "/admin/conflictdb/gradechange/?e=1"
        else:
            assert response.status_code == 200


@pytest.mark.django_db
def test_an_action_on_a_selection_that_names_nothing_changes_nothing(client, verifier, world):
    client.force_login(verifier)
    claim = world["claim"]
    response = client.post("/admin/events/claim/", {"action": "mark_disputed", ACTION_CHECKBOX_NAME: ["abc", HUGE],
                                                    "apply": "1", "reason": "crawl"})
    assert response.status_code == 302
    assert "do not exist" in _messages(response)[0]
    claim.refresh_from_db()
    assert claim.verification_status == "unverified"


@pytest.mark.django_db
def test_an_id_that_cannot_be_an_id_is_a_record_that_does_not_exist(client, researcher, world):
    client.force_login(researcher)
    for url in ("/admin/sources/source/abc/history/", f"/admin/sources/source/{HUGE}/change/",
                f"/admin/events/claim/{world['claim'].pk}/history/abc/",
                f"/admin/events/claim/{world['claim'].pk}/history/{HUGE}/restore/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/admin/", url
        assert "doesn’t exist" in _messages(response)[0]


@pytest.mark.django_db
def test_the_desk_and_the_resolve_page_answer_bad_values_with_a_message(client, editor, world):
    client.force_login(editor)
    document = world["document"]
    response = client.post(f"/admin/events/claim/desk/{document.pk}/claims/",
                           {"claimant": {"id": "abc"}, "date_start": "2026-13-45"}, content_type="application/json")
    assert response.status_code == 400
    errors = json.dumps(response.json()["errors"], ensure_ascii=False)
    assert "is not the id of a" in errors and "is not a date" in errors
    response = client.post("/admin/events/location/resolve/", {"learn": "abc", "name": "Hoor"})
    assert response.status_code == 302 and response["Location"] == "/admin/events/location/resolve/?name=Hoor"
    assert "Nothing was learnt" in _messages(response)[0]


@pytest.mark.django_db
def test_every_api_route_takes_its_format_suffix(client, researcher, world):
    client.force_login(researcher)
    claim = world["claim"].pk
    for action in ("history", "transitions", "grades", "corroboration"):
        response = client.get(f"/api/v1/claims/{claim}/{action}.json")
        assert response.status_code == 200, (action, response.content[:300])
        assert response["Content-Type"].startswith("application/json")
