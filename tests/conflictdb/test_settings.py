"""Settings come from the environment with secure defaults."""

import os
import subprocess
import sys

import pytest
from tests.paths import ROOT

ROOT = ROOT


def run_manage(*args, env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in {"CONFLICTDB_DEV", "DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
    env.update(env_overrides)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)


def test_secret_key_is_required_outside_development():
    result = run_manage("check", env_overrides={})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_deploy_check_is_clean_with_production_settings():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        env_overrides={"SECRET_KEY": "x7#kq" * 12, "ALLOWED_HOSTS": "conflictdb.example.org"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_debug_is_off_unless_asked_for():
    result = run_manage(
        "shell", "-c", "from django.conf import settings; print(settings.DEBUG)",
        env_overrides={"SECRET_KEY": "x7#kq" * 12},
    )
    assert result.stdout.strip().endswith("False"), result.stdout + result.stderr


def test_malformed_boolean_is_named():
    result = run_manage("check", env_overrides={"CONFLICTDB_DEV": "1", "DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


@pytest.mark.parametrize("value", ["1", "true", "yes", "on"])
def test_development_mode_allows_missing_secret_key(value):
    result = run_manage("check", env_overrides={"CONFLICTDB_DEV": value})
    assert result.returncode == 0, result.stderr
