"""The admin autocomplete (and so the desk's name fields): ranked by the matcher, labelled, and
flagging only the matcher's match (conflictdb.autocomplete), for places, actors, sources and
equipment types. Through the test client, on the seeded database (gazetteer included)."""

import pytest

from conflictdb.provenance import Channel, acting
from events.models import Actor, EquipmentType, Location
from sources.models import Source

FIELDS = {
    "place": {"app_label": "events", "model_name": "territorialchange", "field_name": "place"},
    "actor": {"app_label": "events", "model_name": "territorialchange", "field_name": "gaining"},
    "equipment": {"app_label": "events", "model_name": "equipmentloss", "field_name": "equipment_type"},
    "source": {"app_label": "events", "model_name": "claim", "field_name": "claimant"},
}


def complete(client, kind, term):
    response = client.get("/admin/autocomplete/", {**FIELDS[kind], "term": term})
    assert response.status_code == 200
    return response.json()


def matched(data):
    flagged = [row for row in data["results"] if row["match"]]
    assert len(flagged) <= 1
    assert (flagged[0]["id"] if flagged else None) == data["match"]
    return flagged[0] if flagged else None


@pytest.fixture
def editing(client, seeded, editor):
    client.force_login(editor)
    return client


@pytest.mark.parametrize(("term", "name", "label"), [
    ("Sarmin", "Sarmīn", "Sarmīn (community, Idleb district, Idleb)"),
    ("Saraqeb", "Saraqib", "Saraqib (community, Idleb district, Idleb)"),
    ("Idleb city", "Idlib", "Idlib (community, Idleb district, Idleb)"),
    ("Duma", "Dūmā", "Dūmā (community, Duma district, Rural Damascus)"),
    ("Tadmor", "Tadmur", "Tadmur (community, Tadmor district, Homs)"),
    ("Ariha", "Arīḩā", "Arīḩā (community, Ariha district, Idleb)"),
])
def test_a_place_the_matcher_matches_comes_first_flagged_and_labelled(editing, term, name, label):
    data = complete(editing, "place", term)
    first = data["results"][0]
    assert (first["name"], first["text"], first["match"]) == (name, label, True)
    assert matched(data) == first


def test_homonym_areas_are_listed_after_the_town_with_their_kind(editing):
    data = complete(editing, "place", "Idleb")
    labels = [row["text"] for row in data["results"]]
    assert labels[0] == "Idlib (community, Idleb district, Idleb)"
    assert {"Idleb (district, Idleb)", "Idleb (governorate)"} <= set(labels)
    assert matched(data)["text"] == labels[0]


@pytest.mark.parametrize("term", ["Qabbasin", "Suran", "Khan al-Asal", "Tal Rifaat al-Jadida", "Zzyzx", "Mosul"])
def test_an_ambiguous_or_unknown_place_flags_nothing(editing, term):
    data = complete(editing, "place", term)
    assert matched(data) is None


def test_an_ambiguous_place_lists_its_candidates_told_apart(editing):
    data = complete(editing, "place", "Qabbasin")
    first_two = [row["text"] for row in data["results"][:2]]
    assert len(set(first_two)) == 2 and all("bbasin" in text or "bbāsīn" in text for text in first_two), first_two
    assert {text.split(", ")[1] for text in first_two} == {"Al Bab district", "Menbij district"}


def test_a_one_word_alias_is_not_what_a_longer_name_means(editing):
    with acting(channel=Channel.SEED, reason="test"):
        Location.objects.create(name="Khan", kind="community", parent=Location.objects.get(pcode="SY02"))
    data = complete(editing, "place", "Khan al-Asal")
    assert matched(data) is None
    assert complete(editing, "place", "Khan")["results"]  # the short name still finds it


def test_actors_exact_alias_first_and_flagged(editing):
    data = complete(editing, "actor", "HTS")
    first = data["results"][0]
    assert first["id"] == str(Actor.objects.get(short_name="HTS").pk)
    assert first["text"] == "Hay'at Tahrir al-Sham (rebel group)" and first["match"]


def test_actors_a_partial_name_ranks_but_is_not_taken(editing):
    data = complete(editing, "actor", "government")
    assert data["results"][0]["name"] == "Syrian government forces"
    assert matched(data) is None  # several actors' spellings contain it; none is named by it


def test_equipment_exact_alias_first(editing):
    data = complete(editing, "equipment", "BMB")
    first = data["results"][0]
    assert first["id"] == str(EquipmentType.objects.get(name="BMP infantry fighting vehicle").pk)
    assert first["match"] and first["text"].startswith("BMP infantry fighting vehicle (")
    assert matched(complete(editing, "equipment", "BM")) is None


def test_sources_exact_name_first_and_labelled_with_kind(editing):
    data = complete(editing, "source", "+963")
    first = data["results"][0]
    assert first["id"] == str(Source.objects.get(name="+963 Media").pk) and first["match"]
    assert first["text"] == "+963 Media (news outlet)"


def test_a_protected_source_is_ranked_by_its_public_label_only(client, seeded, researcher):
    client.force_login(researcher)
    assert complete(client, "source", "Anonymous military source from the opposition")["match"] is None
    data = complete(client, "source", "Anonymous local source")
    assert data["match"] == str(Source.objects.get(public_label="Anonymous local source").pk)
    assert all("2024-11-27" not in row["text"] for row in data["results"])


def test_the_ranked_autocomplete_keeps_a_query_budget(editing, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        complete(editing, "place", "Sarmin")
    with django_assert_max_num_queries(12):
        complete(editing, "actor", "forces")


def test_a_model_without_a_name_rule_keeps_its_order_and_never_flags_a_match(editing):
    response = editing.get("/admin/autocomplete/", {"app_label": "events", "model_name": "claimexcerpt",
                                                    "field_name": "claim", "term": "opposition"})
    data = response.json()
    assert data["results"] and data["match"] is None and not any(row["match"] for row in data["results"])
