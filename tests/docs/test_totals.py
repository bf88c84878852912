"""The worked examples of the two bases in docs/methodology.md ("Totals") and docs/api.md
("Aggregates"): each line of a ```totals block is a request and the answer it documents, run
here through the API on the world the text describes (tests.events.test_aggregates.build_daily_toll)."""

import re
from urllib.parse import parse_qsl

import pytest
from rest_framework.test import APIClient

from tests.events.test_aggregates import build_daily_toll
from tests.paths import ROOT

pytestmark = pytest.mark.django_db


def examples(name):
    blocks = re.findall(r"```totals\n(.*?)```", (ROOT / "docs" / name).read_text(encoding="utf-8"), flags=re.S)
    lines = [line for block in blocks for line in block.splitlines() if line.strip()]
    assert lines, f"docs/{name} has no worked totals example"
    for line in lines:
        query, answer = (part.strip() for part in line.split("→"))
        expected = dict(pair.split("=") for pair in answer.replace(",", " ").split())
        yield query, expected


@pytest.mark.parametrize("doc", ["methodology.md", "api.md"])
def test_worked_examples(doc, as_editor, researcher):
    build_daily_toll()
    api = APIClient()
    api.force_authenticate(researcher)
    for query, expected in examples(doc):
        path, _, params = query.partition("?")
        [cell] = api.get(path, dict(parse_qsl(params))).json()["results"]
        shown = {key: str(cell[key]).replace("None", "null") for key in expected}
        assert shown == expected, query
