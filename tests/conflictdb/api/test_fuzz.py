"""Schema-driven fuzzing: schemathesis generates requests from /api/schema/ for every operation;
none may produce a server error. Bounded: a few examples per operation."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error

from tests.factories import fill, make_world

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())

EXAMPLES_PER_OPERATION = 4


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Schemathesis calls the WSGI app directly, which would close the database connection at the
    end of each request and with it the test's transaction (as Django's own test client avoids)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def editor_token(editor):
    _, token = AuthToken.objects.create(user=editor)
    return token


@pytest.fixture
def fuzz_world(as_editor):
    world = make_world()
    from events.models import Claim, Location

    fill(Claim, 2, world)
    fill(Location, 2, world)
    return world


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_request_produces_a_server_error(case, editor_token, fuzz_world):
    case.call_and_validate(headers={"Authorization": f"Token {editor_token}"}, checks=[not_a_server_error])
