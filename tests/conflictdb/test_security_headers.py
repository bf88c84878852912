"""The security headers: the Content-Security-Policy on every response, and, with production
settings (DEBUG off, as a deployment runs), HSTS, nosniff, X-Frame-Options, Referrer-Policy,
Cross-Origin-Opener-Policy, secure cookies and the HTTPS redirect. Production settings are loaded
in a subprocess with a production environment (the test suite itself runs in development mode)."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

from tests.paths import ROOT

PRODUCTION = {"SECRET_KEY": "x7#kq" * 12, "ALLOWED_HOSTS": "conflictdb.example.org"}
HOST = "conflictdb.example.org"

# Requests made inside the production process with Django's test client; prints what came back.
PROBE = f"""
import json
from django.conf import settings
from django.test import Client
client = Client(HTTP_HOST={HOST!r})
page = client.get("/admin/login/", secure=True)
plain = client.get("/admin/login/")
print(json.dumps({{
    "status": page.status_code,
    "headers": dict(page.headers),
    "csrf_cookie_secure": bool(page.cookies["csrftoken"]["secure"]),
    "plain_status": plain.status_code,
    "plain_location": plain.headers.get("Location"),
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "session_cookie_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "img_src": settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"],
}}))
"""


def run_manage(*args, env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in {"CONFLICTDB_DEV", "DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
    env.update(env_overrides)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)


def production_probe(**env):
    result = run_manage("shell", "-c", PROBE, env_overrides={**PRODUCTION, **env})
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def directives(policy):
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ")}


STRICT = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}


@pytest.fixture(scope="module")
def production():
    return production_probe()


def test_production_responses_carry_every_security_header(production):
    headers = production["headers"]
    assert production["status"] == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert directives(headers["Content-Security-Policy"]) == STRICT


def test_production_cookies_are_secure(production):
    assert production["csrf_cookie_secure"]
    assert production["session_cookie_secure"] and production["session_cookie_httponly"]


def test_production_redirects_plain_http_to_https(production):
    assert production["plain_status"] == 301
    assert production["plain_location"] == f"https://{HOST}/admin/login/"


def test_policy_has_no_unsafe_source():
    policy = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    sources = [source for values in policy.values() for source in values]
    assert not [source for source in sources if "unsafe" in source or source == "*"]


@pytest.mark.parametrize("tile_url, origin", [
    ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
    ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
])
def test_map_tiles_host_is_the_only_image_source_from_elsewhere(tile_url, origin):
    assert production_probe(MAP_TILE_URL=tile_url)["img_src"] == ["'self'", "data:", origin]


def test_a_tile_url_without_a_host_is_named():
    result = run_manage("check", env_overrides={**PRODUCTION, "MAP_TILE_URL": "/tiles/{z}/{x}/{y}.png"})
    assert result.returncode != 0
    assert "MAP_TILE_URL='/tiles/{z}/{x}/{y}.png' has no host" in result.stderr


def test_deploy_check_is_clean_with_tiles_configured():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING",
                        env_overrides={**PRODUCTION, "MAP_TILE_URL": "https://tile.openstreetmap.org/{z}/{x}/{y}.png"})
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", [
    "/admin/login/",  # a page
    "/api/v1/claims/",  # JSON (401 here: the policy is on refusals too)
    "/api/v1/claims/?format=api",  # the browsable API
    "/api/schema/",
    "/api/docs/",
    "/api/docs/?script=",  # Swagger UI's init script, a separate file
    "/no-such-page/",  # a 404
])
def test_every_response_carries_the_policy(client, db, path):
    response = client.get(path)
    assert directives(response["Content-Security-Policy"]) == STRICT, path


def test_swagger_init_script_is_served_as_a_file(client, researcher):
    client.force_login(researcher)
    page = client.get("/api/docs/").content.decode()
    assert '<script src="/api/docs/?script="></script>' in page
    assert "<style>" not in page and "SwaggerUIBundle(" not in page
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle(" in script.content


def test_only_the_redoc_page_allows_its_own_styles_by_nonce(client, researcher):
    client.force_login(researcher)
    response = client.get("/api/redoc/")
    policy = directives(response["Content-Security-Policy"])
    nonce = next(source for source in policy["style-src"] if source.startswith("'nonce-"))
    assert f'nonce="{nonce[7:-1]}"' in response.content.decode()  # on the init script, which hands it to Redoc
    assert policy["script-src"] == ["'self'"] and policy["worker-src"] == ["blob:"]
    assert "<style>" not in response.content.decode() and "fonts.googleapis" not in response.content.decode()
