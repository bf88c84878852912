"""The aggregate endpoints with both bases: explain=1 lists claims and claimants (masked for a
researcher), the basis is refused when unknown, and the query count does not grow with the data."""

import pytest
from rest_framework.test import APIClient

from tests.events.test_aggregates import build_daily_toll

pytestmark = pytest.mark.django_db
URL = "/api/v1/aggregates/casualties/"


def client_for(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def toll(as_editor):
    return build_daily_toll(protected_directorate=True)


def test_explain_masks_protected_claimants_for_a_researcher(toll, researcher, editor):
    params = {"group_by": "outcome", "basis": "consensus", "explain": "1"}
    [cell] = client_for(researcher).get(URL, params).json()["results"]
    names = [c["name"] for c in cell["explain"]["claimants"]]
    assert names == ["an official source"] and cell["explain"]["claims"] == [toll["toll"].pk]
    [cell] = client_for(editor).get(URL, params).json()["results"]
    assert [c["name"] for c in cell["explain"]["claimants"]] == ["Health directorate"]
    claims_cell = client_for(researcher).get(URL, {"group_by": "outcome", "explain": "1"}).json()["results"][0]
    assert "Health directorate" not in str(claims_cell) and len(claims_cell["explain"]["claims"]) == 4


def test_basis_is_in_the_answer_and_an_unknown_one_is_refused(toll, researcher):
    api = client_for(researcher)
    assert api.get(URL, {"group_by": "outcome"}).json()["basis"] == "claims"
    response = api.get(URL, {"group_by": "outcome", "basis": "median"})
    assert response.status_code == 400 and "basis" in response.json()
    response = api.get("/api/v1/aggregates/equipment/", {"group_by": "type", "basis": "consensus"})
    assert response.status_code == 400 and "casualty totals only" in str(response.json())


def test_explain_in_csv(toll, researcher):
    response = client_for(researcher).get(URL, {"group_by": "outcome", "basis": "consensus", "explain": "1",
                                                "format": "csv"})
    header = response.content.decode().splitlines()[0]
    assert "explain.claims" in header and "explain.claimants" in header


@pytest.mark.parametrize("basis", ["claims", "consensus"])
def test_query_budget(toll, researcher, basis, django_assert_max_num_queries):
    api = client_for(researcher)
    api.get(URL, {"group_by": "month,admin1,actor", "basis": basis})  # warm: sessions, permissions
    with django_assert_max_num_queries(14):
        api.get(URL, {"group_by": "month,admin1,actor", "basis": basis, "explain": "1"})
