"""Protection follows the record's current state into every past version (issue 16): a source
protected after it was written, an alias, URL, author or description written before, a source
unprotected and protected again, a casualty's personal data before and after a change, a document
whose publisher became protected — through the admin history list, each version's page, the
restore preview, the API history and the API restore's answers, for a researcher (who may not see
them); and an editor (who may) still sees and restores the real values."""

import pytest
from django.test import Client
from django.urls import reverse

from conflictdb.provenance import Channel, acting
from sources.models import Source

pytestmark = pytest.mark.django_db

LABEL = "Anonymous local source"


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_reported_leak_a_source_protected_after_creation(editor, researcher):
    with acting(user=editor, channel=Channel.ADMIN):
        source = Source.objects.create(name="Hyacinth Marlow Contact", kind=Source.Kind.INDIVIDUAL)
        source.protected, source.public_label = True, LABEL
        source.save()
    page = logged_in(researcher).get(reverse("admin:sources_source_history", args=[source.pk]))
    assert page.status_code == 200
    assert "Hyacinth" not in page.content.decode()
