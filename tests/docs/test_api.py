"""docs/api.md's Python examples run against the seed data through a real server."""

import re

import pytest
from django.core.management import call_command
from knox.models import AuthToken
from tests.paths import ROOT

DOC = ROOT / "docs" / "api.md"


@pytest.mark.django_db(transaction=True)
def test_python_examples_run_against_the_seed_data(live_server, researcher, capsys):
    call_command("load_seeds", verbosity=0)
    _, token = AuthToken.objects.create(user=researcher)
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) == 3
    namespace = {"BASE_URL": live_server.url, "TOKEN": token}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)  # noqa: S102 - our own documentation
    output = capsys.readouterr().out
    assert "36 None more_than" in output  # "more than 35 government soldiers"
    assert re.search(r"^\d+ claims$", output, flags=re.M)
    assert "Tank" in output and "independent_sources" in output
