"""`ensure_demo_accounts`: one account per role, passwords generated once and printed."""

import json
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.http import HttpRequest

pytestmark = pytest.mark.django_db


def run(path):
    out = StringIO()
    call_command("ensure_demo_accounts", file=str(path), stdout=out)
    return out.getvalue()


def test_accounts_are_created_with_generated_passwords_and_roles(tmp_path):
    path = tmp_path / "demo"
    output = run(path)
    stored = json.loads(path.read_text())
    assert set(stored) == {"editor", "verifier", "researcher", "datamanager"}
    assert len(set(stored.values())) == 4  # generated, not one shared password
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    for username, password in stored.items():
        assert password in output
        # A request, as every real login has: the brute-force limits (django-axes) need one.
        user = authenticate(HttpRequest(), username=username, password=password)
        assert user is not None and user.is_staff and not user.is_superuser
        assert user.groups.get().name == {"editor": "editors", "verifier": "verifiers",
                                          "researcher": "researchers", "datamanager": "data managers"}[username]


def test_second_run_keeps_passwords(tmp_path):
    path = tmp_path / "demo"
    run(path)
    first = path.read_text()
    run(path)
    assert path.read_text() == first
    assert get_user_model().objects.count() == 4


def test_refused_outside_development(tmp_path, settings):
    settings.DEV_MODE = False
    with pytest.raises(CommandError, match="development machines only"):
        run(tmp_path / "demo")
