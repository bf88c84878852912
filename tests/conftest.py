"""Shared fixtures: the named personas every test speaks of, and a provenance context.

Logging a persona in: `client.force_login(persona)` (no password check). A test about the password
check itself logs in through the login page, or calls `client.login(request=HttpRequest(), …)`:
the brute-force limits (django-axes) need the request every real login has, and refuse a bare
`client.login(username=…, password=…)` (see tests/conflictdb/test_login_limits.py).
"""

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction

from conflictdb.provenance import Channel, acting
from conflictdb.roles import DATA_MANAGERS, EDITORS, RESEARCHERS, VERIFIERS


def pytest_collection_modifyitems(items):
    """One node id per test. Schemathesis names each operation's test `test_…[GET /api/…]`, but
    pytest 9.2 builds node ids from the function name and parametrize ids only, so all 253 fuzz
    tests shared one id: pytest-xdist's reports, `--durations` and selecting a test by id need the
    name the test shows."""
    for item in items:
        base, bracket, params = item.name.partition("[")
        if bracket and item.nodeid.rpartition("::")[2] == base:
            item._id = item.parent.id.child(base).with_params(params.removesuffix("]"))


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """API throttle counters live in the cache and are keyed by user id, which tests reuse."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The seed article, loaded once per test module and rolled back at its end (each test runs in
    its own savepoint inside it). A module may define its own `seeded` instead."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_seeds", verbosity=0)
        yield
        transaction.set_rollback(True)


def _persona(django_user_model, username, group=None, **extra):
    extra.setdefault("is_staff", True)
    user = django_user_model.objects.create_user(username=username, password="pw", **extra)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor(db, django_user_model):
    """Enters claims from reports: may add and change, never delete."""
    return _persona(django_user_model, "edna_editor", EDITORS)


@pytest.fixture
def other_editor(db, django_user_model):
    return _persona(django_user_model, "eric_editor", EDITORS)


@pytest.fixture
def verifier(db, django_user_model):
    """Grades sources and verifies claims."""
    return _persona(django_user_model, "vera_verifier", VERIFIERS)


@pytest.fixture
def researcher(db, django_user_model):
    """Reads everything, changes nothing."""
    return _persona(django_user_model, "rita_researcher", RESEARCHERS)


@pytest.fixture
def data_manager(db, django_user_model):
    """Imports and exports whole files; sees protected data."""
    return _persona(django_user_model, "dana_datamanager", DATA_MANAGERS)


@pytest.fixture
def outsider(db, django_user_model):
    """A logged-in account in no group: sees nothing."""
    return _persona(django_user_model, "otto_outsider", is_staff=False)


@pytest.fixture
def as_editor(editor):
    """Run the test body as the editor writing through the admin."""
    with acting(user=editor, channel=Channel.ADMIN):
        yield editor
