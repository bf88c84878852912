"""The data-model documentation is generated from the models and must be kept current."""

from io import StringIO

from django.core.management import call_command
from tests.paths import ROOT

DOC = ROOT / "docs" / "data-model.md"


def test_data_model_doc_is_current():
    out = StringIO()
    call_command("document_model", stdout=out)
    assert DOC.read_text() == out.getvalue(), (
        "docs/data-model.md is out of date: run `python manage.py document_model > docs/data-model.md`"
    )
