"""Protection (conflictdb.protection) through every door: the domain rules, the API (serializers,
fast list path, filters, search, ordering, writes), the admin (lists, forms, search, lookups,
autocomplete, history) and the OpenAPI schema — and THE LEAK TEST, which crawls every API
route and every admin page as the researcher and finds no protected value anywhere, while the
editor, crawling the same pages, does find each of them (so the test can fail)."""

import json
from urllib.parse import quote_plus, unquote_plus, urlencode

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import NoReverseMatch, reverse

from conflictdb import protection
from conflictdb.urls import api_router
from conflictdb.urls import api_urlpatterns
from conflictdb.provenance import Channel, acting
from events import aggregates
from events.models import Casualty, Claim, ClaimExcerpt, Location, SourceAffiliation
from sources.models import Document, Excerpt, PersonalSpan, Source, SourceAlias
from tests.factories import DAY, make_world

pytestmark = pytest.mark.django_db

LABEL = "Anonymous local source"
# One made-up word per protected value, so a leak says which value leaked.
SECRETS = {
    "source name": "Zorvath",
    "earlier source name": "Qelmani",
    "source url": "vexmirra",
    "source description": "Drubakh",
    "source alias": "Zulqarnix",
    "document archive url": "plonvitt",
    "document author": "Brasquell",
    "casualty name": "Quennix",
    "earlier casualty name": "Tassok",
    "casualty Arabic name": "يارا",
    # Personal data in text (docs/protection.md#personal-data-in-text): a recorded victim's name
    # in a document's text, a quote and a statement (suggested from the individual record), and a
    # witness's name an editor marked in the text (also in the statement).
    "victim's name in text, quote and statement": "Vandermeer",
    "marked name in text and statement": "Korrow",
}
SECRET_AGE = 97


@pytest.fixture
def world(editor):
    with acting(user=editor, channel=Channel.ADMIN):
        world = make_world()
        informant = Source.objects.create(
            name="Zorvath Qelmani", kind=Source.Kind.ANONYMOUS, protected=True, public_label=LABEL,
            url="https://t.me/vexmirra_7731", description="Nephew of the Drubakh mukhtar.", reliability="C",
        )
        informant.name = "Abu Zorvath, informant"  # the history keeps the earlier name
        informant.save()
        SourceAlias.objects.create(source=informant, name="Zulqarnix")
        post = Document.objects.create(
            publisher=informant, title="Channel post 55", url="https://t.me/vexmirra_7731/55",
            archive_url="https://archive.example/plonvitt", author="Brasquell", text="Four civilians were killed.",
            published_on=DAY,
        )
        told = Claim.objects.create(document=world["document"], claimant=informant, event=world["event"],
                                    statement="A local source said four civilians were killed", date_start=DAY)
        Claim.objects.create(document=post, claimant=informant, event=world["event"], statement="Channel post",
                             date_start=DAY)
        victim = Casualty.objects.create(claim=told, name="Mirelle Tassok", name_ar="يارا حداد", age=SECRET_AGE,
                                         sex="female", category="civilian", outcome="killed", place=world["location"])
        victim.name = "Yara Quennix"
        victim.save()
        report = Document.objects.create(
            publisher=world["source"], title="Hospital list", published_on=DAY,
            text="Among the dead was Hollis Vandermeer, a teacher. The nurse Ilsabet Korrow said VANDERMEER was shot.")
        quote = Excerpt.for_quote(report, "Among the dead was Hollis Vandermeer, a teacher.")
        quote.save()
        listed = Claim.objects.create(document=report, claimant=world["source"], event=world["event"], date_start=DAY,
                                      statement="Hollis Vandermeer was killed, the nurse Ilsabet Korrow said")
        ClaimExcerpt.objects.create(claim=listed, excerpt=quote)
        Casualty.objects.create(claim=listed, name="Hollis Vandermeer", category="civilian", outcome="killed")
        PersonalSpan.objects.create(document=report, text="Ilsabet Korrow")  # marked by the editor
        SourceAffiliation.objects.create(source=informant, actor=world["actor"], note="speaks for the faction")
        Location.objects.filter(pk=world["location"].pk).update(latitude=36.1, longitude=36.9)
    world.update(informant=informant, post=post, told=told, victim=victim)
    return world


def logged_in(user, **options):
    client = Client(**options)
    client.force_login(user)
    return client


def leaks(response, echoed=""):
    """The protected values in a response's body and headers; a value the request itself
    carried (a search for it, echoed back) is judged by `finds` instead."""
    text = body(response) + json.dumps(dict(response.headers), ensure_ascii=False)
    return [what for what, word in SECRETS.items()
            if word.lower() in text.lower() and word.lower() not in echoed.lower()]


def body(response):
    if response.streaming:  # exports stream; read once, keep for every check
        response.read_body = b"".join(response.streaming_content).decode("utf-8", "replace")
        response.streaming = False
    if hasattr(response, "read_body"):
        return response.read_body
    return response.content.decode("utf-8", "replace")


def found(response):
    """What a search or filter response lists (JSON list, autocomplete, changelist rows)."""
    if response.status_code != 200:
        return response.status_code
    if response["Content-Type"].startswith("application/json"):
        data = response.json()
        rows = data.get("results", []) if isinstance(data, dict) else data
        return sorted(str(row.get("id")) for row in rows if isinstance(row, dict))
    return 'id="result_list"' in body(response)


def finds_by(client, url, response):
    """Does searching for the protected values in `url` find more than searching for nonsense?"""
    nonsense = url
    for word in SECRETS.values():
        nonsense = nonsense.replace(word, "Xqzvw").replace(quote_plus(word), "Xqzvw")
    nonsense = nonsense.replace("term=Zul", "term=Xqzvw")
    return nonsense != url and found(response) != found(client.get(nonsense)) and bool(found(response))


# --- the domain rules -------------------------------------------------------------------------


def test_source_name_and_personal_values_by_permission(world, editor, researcher):
    informant = world["informant"]
    assert protection.source_label(editor, informant) == "Abu Zorvath, informant"
    assert protection.source_label(researcher, informant) == LABEL
    assert protection.source_label(researcher, world["source"]) == world["source"].name  # not protected
    assert protection.personal_value(researcher, "Yara") == protection.PLACEHOLDER
    assert protection.personal_value(researcher, None) is None
    assert protection.personal_value(editor, "Yara") == "Yara"
    assert protection.sight(protection.SYSTEM) == protection.EVERYTHING


def test_str_follows_the_reader(world, editor, researcher):
    informant = world["informant"]
    assert str(informant) == "Abu Zorvath, informant"  # no request: the system sees everything
    with acting(user=researcher, channel=Channel.ADMIN):
        assert str(informant) == LABEL
        assert LABEL in str(SourceAffiliation.objects.get(source=informant))
    with acting(user=None, channel=Channel.API):  # anonymous
        assert str(informant) == LABEL
    with acting(user=editor, channel=Channel.ADMIN):
        assert str(informant) == "Abu Zorvath, informant"


def test_masked_fields_per_record(world, researcher, editor):
    assert protection.masked_fields(researcher, world["informant"]) == {
        "name": LABEL, "description": protection.PLACEHOLDER, "url": protection.PLACEHOLDER}
    assert protection.masked_fields(researcher, world["post"]) == dict.fromkeys(
        ("url", "archive_url", "author"), protection.PLACEHOLDER)
    assert protection.masked_fields(researcher, world["document"]) == {}  # a public publisher's document
    assert set(protection.masked_fields(researcher, world["victim"])) == {"name", "name_ar", "age", "sex"}
    assert protection.masked_fields(editor, world["victim"]) == {}


def test_search_filter_and_ordering_paths(world, researcher, editor):
    def names(user, path, term, model=Claim):
        return set(model.objects.filter(protection.search_q(user, model, path, term)).values_list("pk", flat=True))

    assert names(researcher, "claimant__name", "Zorvath") == set()
    assert names(researcher, "claimant__name", "local source") == {world["told"].pk, world["post"].claims.get().pk}
    assert names(editor, "claimant__name", "Zorvath") == {world["told"].pk, world["post"].claims.get().pk}
    assert names(researcher, "aliases__name", "Zulqarnix", Source) == set()
    assert names(researcher, "name", "Quennix", Casualty) == set()
    assert protection.refuses_lookup(researcher, Casualty, "sex__exact")
    assert protection.refuses_lookup(researcher, Document, "url")
    assert not protection.refuses_lookup(researcher, Claim, "claimant__reliability")
    assert not protection.refuses_lookup(researcher, Claim, "claimant")  # by id reveals nothing
    assert not protection.refuses_lookup(editor, Casualty, "name")
    assert protection.order_by_public(researcher, Casualty, "age") is None
    assert protection.order_by_public(editor, Source, "name") == "name"
    assert not isinstance(protection.order_by_public(researcher, Claim, "claimant"), str)  # by the label


# --- API --------------------------------------------------------------------------------------


def test_api_masks_protected_sources_everywhere_they_appear(world, researcher, editor):
    informant, post = world["informant"], world["post"]
    seen = logged_in(researcher).get(f"/api/v1/sources/{informant.pk}/").json()
    assert (seen["name"], seen["url"], seen["description"], seen["aliases"]) == (
        LABEL, protection.PLACEHOLDER, protection.PLACEHOLDER, [])
    assert seen["protected"] is True and seen["public_label"] == LABEL
    assert logged_in(editor).get(f"/api/v1/sources/{informant.pk}/").json()["aliases"] == ["Zulqarnix"]
    document = logged_in(researcher).get(f"/api/v1/documents/{post.pk}/").json()
    assert document["publisher"]["name"] == LABEL
    assert (document["url"], document["archive_url"], document["author"]) == (protection.PLACEHOLDER,) * 3
    claim = logged_in(researcher).get(f"/api/v1/claims/{world['told'].pk}/").json()
    assert claim["claimant"]["name"] == LABEL
    assert logged_in(editor).get(f"/api/v1/claims/{world['told'].pk}/").json()["claimant"]["name"] == (
        "Abu Zorvath, informant")


def test_api_masks_personal_data(world, researcher, editor):
    url = f"/api/v1/casualties/{world['victim'].pk}/"
    seen = logged_in(researcher).get(url).json()
    assert {k: seen[k] for k in ("name", "name_ar", "age", "sex")} == dict.fromkeys(
        ("name", "name_ar", "age", "sex"), protection.PLACEHOLDER)
    assert seen["category"] == "civilian"  # not personal data
    real = logged_in(editor).get(url).json()
    assert (real["name"], real["age"], real["sex"]) == ("Yara Quennix", SECRET_AGE, "female")
    listed = logged_in(researcher).get("/api/v1/casualties/", {"format": "csv"}).content.decode()
    assert "Quennix" not in listed and protection.PLACEHOLDER in listed


@pytest.mark.parametrize("prefix", ["sources", "documents", "claims", "casualties", "casualty-figures",
                                    "source-affiliations", "source-aliases", "excerpts"])
def test_fast_list_path_masks_exactly_as_the_serializers(world, researcher, editor, monkeypatch, prefix):
    from conflictdb.api import fast

    for user in (researcher, editor):
        client = logged_in(user)
        for params in ({}, {"format": "csv"}, {"paginate": "cursor"}, {"brief": "1"}):
            quick = client.get(f"/api/v1/{prefix}/", params)
            with monkeypatch.context() as patch:
                patch.setattr(fast.FastListMixin, "fast_formats", ())
                slow = client.get(f"/api/v1/{prefix}/", params)
            assert quick.status_code == slow.status_code == 200
            assert quick.content == slow.content


def test_api_filters_search_and_ordering_do_not_reveal(world, researcher, editor):
    informant = world["informant"]
    client = logged_in(researcher)

    def ids(path, **params):
        return [row["id"] for row in client.get(path, {"limit": 1000, **params}).json()["results"]]

    assert ids("/api/v1/sources/", name="Zorvath") == []
    assert ids("/api/v1/sources/", name="local source") == [informant.pk]
    assert ids("/api/v1/sources/", q="Drubakh") == []
    assert ids("/api/v1/sources/", q="Zorvath") == []
    assert ids("/api/v1/documents/", q="Brasquell") == []
    assert ids("/api/v1/documents/", url=world["post"].url) == []
    assert ids("/api/v1/source-aliases/", q="Zulqarnix") == []
    assert client.get(f"/api/v1/source-aliases/{informant.aliases.get().pk}/").status_code == 404
    editor_client = logged_in(editor)
    assert [r["id"] for r in editor_client.get("/api/v1/sources/", {"name": "Zorvath"}).json()["results"]] == [
        informant.pk]
    # Ordered by the name the reader sees: "Anonymous local source" sorts first, "Abu Zorvath…" would too,
    # so compare with a source between the two.
    with acting(user=editor, channel=Channel.ADMIN):
        between = Source.objects.create(name="Alpha Monitor", kind=Source.Kind.MONITOR)
    order = ids("/api/v1/sources/", ordering="name")
    assert order.index(between.pk) < order.index(informant.pk)  # "Alpha" < "Anonymous"
    editor_order = [r["id"] for r in editor_client.get("/api/v1/sources/", {"ordering": "name"}).json()["results"]]
    assert editor_order.index(informant.pk) < editor_order.index(between.pk)  # "Abu" < "Alpha"


def test_nobody_writes_the_placeholder_or_unseen_personal_data(world, editor, django_user_model):
    client = logged_in(editor)
    response = client.patch(f"/api/v1/sources/{world['informant'].pk}/", {"name": protection.PLACEHOLDER},
                            content_type="application/json")
    assert response.status_code == 400 and protection.PLACEHOLDER in response.content.decode()
    clerk = django_user_model.objects.create_user("cleo_clerk", password="pw", is_staff=True)
    clerk.user_permissions.set(Permission.objects.filter(
        codename__in=["view_casualty", "change_casualty", "add_casualty", "view_source", "change_source"]))
    clerk_client = logged_in(clerk)
    refused = clerk_client.patch(f"/api/v1/casualties/{world['victim'].pk}/", {"name": "Someone"},
                                 content_type="application/json")
    assert refused.status_code == 400 and "personal data" in refused.content.decode()
    untouched = clerk_client.patch(f"/api/v1/casualties/{world['victim'].pk}/", {"occupation": "teacher"},
                                   content_type="application/json")
    assert untouched.status_code == 200, untouched.content
    world["victim"].refresh_from_db()
    assert (world["victim"].name, world["victim"].age, world["victim"].occupation) == (
        "Yara Quennix", SECRET_AGE, "teacher")


def test_openapi_schema_declares_the_placeholder_and_holds_no_data(world, researcher):
    response = logged_in(researcher).get("/api/schema/", {"format": "json"})
    schema = response.json()
    age = schema["components"]["schemas"]["Casualty"]["properties"]["age"]
    assert {"type": "string", "enum": [protection.PLACEHOLDER]} in age["oneOf"]
    assert leaks(response) == []


# --- admin ------------------------------------------------------------------------------------


def test_admin_lists_forms_and_history_show_the_label_and_placeholders(world, researcher, editor):
    client = logged_in(researcher)
    informant = world["informant"]
    changelist = client.get(reverse("admin:sources_source_changelist"))
    assert LABEL in changelist.content.decode() and leaks(changelist) == []
    page = client.get(reverse("admin:sources_source_change", args=[informant.pk]))
    assert protection.PLACEHOLDER in page.content.decode() and leaks(page) == []
    history = client.get(reverse("admin:sources_source_history", args=[informant.pk]))
    assert history.status_code == 200 and leaks(history) == []
    claims = client.get(reverse("admin:events_claim_changelist"), {"o": "2"})  # ordered by claimant
    assert claims.status_code == 200 and leaks(claims) == []
    editor_history = logged_in(editor).get(reverse("admin:sources_source_history", args=[informant.pk]))
    assert "Qelmani" in editor_history.content.decode()


def test_admin_search_lookups_and_filters_refuse_protected_values(world, researcher, editor):
    client = logged_in(researcher, raise_request_exception=False)  # a refused lookup is a 400
    found = client.get(reverse("admin:sources_source_changelist"), {"q": "Zorvath"})
    assert found.status_code == 200 and str(world["informant"].pk) not in _change_links(found, "source")
    by_label = client.get(reverse("admin:sources_source_changelist"), {"q": "local source"})
    assert str(world["informant"].pk) in _change_links(by_label, "source")
    assert client.get(reverse("admin:sources_source_changelist"), {"name__icontains": "Zorv"}).status_code == 400
    assert client.get(reverse("admin:events_casualty_changelist"), {"sex": "female"}).status_code == 400
    assert client.get(reverse("admin:events_claim_changelist"),
                      {"claimant__name__startswith": "Abu"}).status_code == 400
    casualties = client.get(reverse("admin:events_casualty_changelist")).content.decode()
    assert 'data-filter-title="sex"' not in casualties and protection.PLACEHOLDER in casualties
    editor_found = logged_in(editor).get(reverse("admin:sources_source_changelist"), {"q": "Zorvath"})
    assert str(world["informant"].pk) in _change_links(editor_found, "source")


def _change_links(response, model_name):
    text = response.content.decode()
    return {part.split("/")[0] for part in text.split(f"/{model_name}/")[1:] if part.split("/")[0].isdigit()}


def test_admin_autocomplete_shows_and_finds_only_the_label(world, researcher):
    client = logged_in(researcher)
    params = {"app_label": "events", "model_name": "claim", "field_name": "claimant"}
    secret = client.get("/admin/autocomplete/", {**params, "term": "Zorvath"}).json()["results"]
    assert secret == []
    label = client.get("/admin/autocomplete/", {**params, "term": "local"}).json()["results"]
    # The ranked autocomplete (conflictdb.autocomplete) labels it with its kind; the name stays the label.
    assert [(row["id"], row["name"]) for row in label] == [(str(world["informant"].pk), LABEL)]
    assert all("Zorvath" not in row["text"] for row in label)


def test_admin_users_without_permission_cannot_overwrite_with_the_placeholder(world, django_user_model):
    clerk = django_user_model.objects.create_user("cleo_clerk", password="pw", is_staff=True)
    clerk.user_permissions.set(Permission.objects.filter(codename__in=["view_source", "change_source"]))
    client = logged_in(clerk)
    informant = world["informant"]
    url = reverse("admin:sources_source_change", args=[informant.pk])
    page = client.get(url)
    assert leaks(page) == [] and protection.PLACEHOLDER in page.content.decode()
    form = {"name": protection.PLACEHOLDER, "url": "", "description": "", "kind": informant.kind,
            "country": "SY", "languages": "", "protected": "on", "public_label": LABEL,
            "aliases-TOTAL_FORMS": "0", "aliases-INITIAL_FORMS": "0"}
    response = client.post(url, form)
    assert response.status_code in (200, 302), response.content[:500]
    informant.refresh_from_db()
    assert (informant.name, informant.url, informant.description) == (
        "Abu Zorvath, informant", "https://t.me/vexmirra_7731", "Nephew of the Drubakh mukhtar.")


# --- THE LEAK TEST ----------------------------------------------------------------------------

# Builders of further URLs to crawl (e.g. CSV/HXL export pages added later): each takes the
# world and yields paths. Everything they return is crawled as the researcher and the editor.
def _admin_csv_exports(world):
    """Each changelist's CSV export (conflictdb.csvio), searched for each secret too."""
    for model in admin.site._registry:
        try:
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_export")
        except NoReverseMatch:
            continue
        yield url
        for token in ("Zorvath", "Zulqarnix", "Brasquell"):
            yield f"{url}?{urlencode({'q': token})}"


EXTRA_URL_BUILDERS = [_admin_csv_exports]


def _api_urls(world):
    tokens = list(SECRETS.values())
    for prefix, viewset, _ in api_router.registry:
        base = f"/api/v1/{prefix}/"
        model = viewset.queryset.model
        fields = ",".join(viewset.serializer_class().fields)
        variants = [{}, {"brief": 1}, {"fields": fields}, {"format": "csv"}, {"format": "geojson"},
                    {"paginate": "cursor"}, {"format": "api"}, {"limit": 1000}]
        variants += [{"q": token} for token in tokens]
        variants += [{"ordering": f"{sign}{name}"} for name in getattr(viewset, "ordering_fields", ()) or ()
                     for sign in ("", "-")]
        filterset = getattr(viewset, "filterset_class", None)
        if filterset is not None:
            variants += [{name: token} for name, f in filterset.base_filters.items()
                         if type(f).__name__ == "CharFilter" for token in ("Zorvath", "Zulqarnix")]
        for params in variants:
            yield f"{base}?{urlencode(params)}"
        for pk in model._base_manager.values_list("pk", flat=True):
            for params in ({}, {"brief": 1}, {"format": "csv"}, {"format": "geojson"}, {"format": "api"}):
                yield f"{base}{pk}/?{urlencode(params)}"
            yield f"{base}{pk}/transitions/"
    for name, dimensions in (("casualties", aggregates.CASUALTY_DIMENSIONS),
                             ("equipment", aggregates.EQUIPMENT_DIMENSIONS)):
        for dimension in dimensions:
            for params in ({"group_by": dimension}, {"group_by": dimension, "format": "csv"}):
                yield f"/api/v1/aggregates/{name}/?{urlencode(params)}"
    for token in tokens[:2]:
        yield f"/api/v1/locations/resolve/?{urlencode({'name': token})}"
    for pk in Location.objects.values_list("pk", flat=True):
        yield f"/api/v1/locations/{pk}/control/"
    yield "/api/v1/territorial-changes/changed-hands/?date_from=2000-01-01&date_to=2030-12-31"
    # Every other API path without parameters (new endpoints are crawled automatically).
    for pattern in api_urlpatterns:
        route = str(getattr(pattern, "pattern", ""))
        if "<" not in route and "(" not in route and not hasattr(pattern, "url_patterns"):
            yield f"/api/{route}"
    yield "/api/schema/?format=json"


def _admin_urls(world):
    yield reverse("admin:index")
    tokens = list(SECRETS.values())
    for model, model_admin in admin.site._registry.items():
        info = f"{model._meta.app_label}_{model._meta.model_name}"
        yield reverse("admin:app_list", args=[model._meta.app_label])
        changelist = reverse(f"admin:{info}_changelist")
        yield changelist
        for token in tokens:
            yield f"{changelist}?{urlencode({'q': token})}"
        for column in range(len(model_admin.list_display)):
            yield f"{changelist}?o={column + 1}"
        history = getattr(model, "history", None)
        for pk in model._base_manager.values_list("pk", flat=True):
            yield reverse(f"admin:{info}_change", args=[pk])
            yield reverse(f"admin:{info}_history", args=[pk])
            if history is not None:
                for version in history.model.objects.filter(id=pk).values_list("history_id", flat=True):
                    yield reverse(f"admin:{info}_simple_history", args=[pk, version])
        for inline in [model_admin, *(i(model, admin.site) for i in model_admin.inlines)]:
            for field in getattr(inline, "autocomplete_fields", ()):
                for term in ("", "Zorvath", "Zul", "local"):
                    yield "/admin/autocomplete/?" + urlencode({
                        "app_label": inline.model._meta.app_label, "model_name": inline.model._meta.model_name,
                        "field_name": field, "term": term})
    yield reverse("admin:events_location_resolve") + "?" + urlencode({"name": "Zorvath"})
    yield reverse("admin:events_location_changed_hands") + "?date_from=2000-01-01&date_to=2030-12-31"


def _crawl(client, world):
    urls = [*_api_urls(world), *_admin_urls(world)]
    for build in EXTRA_URL_BUILDERS:
        urls += list(build(world))
    for url in dict.fromkeys(urls):
        response = client.get(url)
        assert response.status_code < 500, f"{url}: {response.status_code}"
        yield url, response


def _probes(url):
    """The protected values a crawled URL searches or filters for."""
    return [what for what, word in SECRETS.items() if word.lower() in url.lower()] + (
        ["source alias"] if "term=Zul&" in url or url.endswith("term=Zul") else [])


def _structured_personal_values(response):
    """Ages and sexes have no distinctive spelling: check them where they are structured."""
    if not response["Content-Type"].startswith("application/json"):
        return []
    found = []

    def walk(value):
        if isinstance(value, dict):
            if value.get("age") == SECRET_AGE or value.get("sex") == "female":
                found.append(value)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(response.json())
    return found


def test_leak_crawl_researcher_sees_no_protected_value_anywhere(world, researcher, editor):
    with acting(user=editor, channel=Channel.ADMIN):  # a verification change on the protected source
        from conflictdb import verification
        verification.transition(world["informant"], "disputed", user=editor, reason="contested by the outlet")
    pages, leaked = 0, []
    client = logged_in(researcher, raise_request_exception=False)
    for url, response in _crawl(client, world):
        pages += 1
        leaked += [(url, what) for what in leaks(response, echoed=unquote_plus(url))]
        leaked += [(url, "age/sex") for _ in _structured_personal_values(response)]
        if _probes(unquote_plus(url)) and finds_by(client, url, response):
            leaked.append((url, f"found by {_probes(unquote_plus(url))}"))
    assert pages > 500
    assert leaked == []
    # The same crawl as the editor finds every value, and finds records by them: the test would
    # see a leak.
    seen, found_by = set(), set()
    client = logged_in(editor, raise_request_exception=False)
    for url, response in _crawl(client, world):
        seen.update(leaks(response, echoed=unquote_plus(url)))
        if _structured_personal_values(response):
            seen.add("age/sex")
        if _probes(unquote_plus(url)) and finds_by(client, url, response):
            found_by.update(_probes(unquote_plus(url)))
    assert seen == {*SECRETS, "age/sex"}
    assert {"source name", "source alias", "document author", "source description"} <= found_by


def test_crawl_covers_every_route_and_admin_model(world):
    urls = [*_api_urls(world), *_admin_urls(world)]
    for prefix, _, _ in api_router.registry:
        assert any(url.startswith(f"/api/v1/{prefix}/") for url in urls)
    for model in admin.site._registry:
        assert any(f"/{model._meta.app_label}/{model._meta.model_name}/" in url for url in urls)
