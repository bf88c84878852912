"""API tokens (conflictdb.api.tokens, django-rest-knox): hashed at rest, shown once, expiring,
revoked by their user or by an administrator; DRF's old plain tokens converted by migration."""

import datetime
import importlib

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

CLAIMS = "/api/v1/claims/"


@pytest.fixture
def administrator(django_user_model):
    """Runs the installation: may revoke anyone's token."""
    return django_user_model.objects.create_superuser("ada_admin", password="pw")


def obtain(username, password="pw"):
    response = APIClient().post("/api/token/", {"username": username, "password": password})
    assert response.status_code == 200, response.content
    return response.json()


def with_token(token):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


def test_the_stored_row_does_not_contain_the_token(researcher):
    token = obtain(researcher.username)["token"]
    stored = AuthToken.objects.get(user=researcher)
    assert stored.digest == hash_token(token) != token
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuthToken._meta.db_table}")
        rows = cursor.fetchall()
    assert rows and all(token not in str(value) for row in rows for value in row)


def test_a_token_is_shown_once_in_the_answer_that_creates_it(researcher):
    token = obtain(researcher.username)["token"]
    api = with_token(token)
    assert api.get(CLAIMS).status_code == 200
    listed = api.get("/api/tokens/")
    assert listed.status_code == 200
    assert token not in listed.content.decode()
    [mine] = listed.json()
    assert token.startswith(mine["token_key"]) and mine["current"] is True
    assert set(mine) == {"token_key", "created", "expiry", "current"}


def test_a_token_expires_after_the_configured_time(researcher):
    answer = obtain(researcher.username)
    stored = AuthToken.objects.get(user=researcher)
    assert stored.expiry - stored.created == pytest.approx(settings.API_TOKEN_TTL, abs=datetime.timedelta(seconds=5))
    assert parse_datetime(answer["expiry"]) == stored.expiry


def test_an_expired_token_is_refused(researcher):
    token = obtain(researcher.username)["token"]
    AuthToken.objects.filter(user=researcher).update(expiry=timezone.now() - datetime.timedelta(seconds=1))
    response = with_token(token).get(CLAIMS)
    assert response.status_code == 401
    assert not AuthToken.objects.filter(user=researcher).exists()  # and removed


def test_a_user_revokes_the_token_of_the_request(researcher):
    first, second = obtain(researcher.username)["token"], obtain(researcher.username)["token"]
    assert with_token(first).post("/api/token/logout/").status_code == 204
    assert with_token(first).get(CLAIMS).status_code == 401
    assert with_token(second).get(CLAIMS).status_code == 200


def test_a_user_revokes_all_their_tokens(researcher, editor):
    mine = [obtain(researcher.username)["token"] for _ in range(2)]
    theirs = obtain(editor.username)["token"]
    assert with_token(mine[0]).post("/api/token/logoutall/").status_code == 204
    assert all(with_token(token).get(CLAIMS).status_code == 401 for token in mine)
    assert with_token(theirs).get(CLAIMS).status_code == 200


def test_a_user_revokes_all_their_tokens_from_the_browser(client, researcher):
    token = obtain(researcher.username)["token"]
    client.force_login(researcher)
    assert client.post("/api/token/logoutall/").status_code == 204
    assert with_token(token).get(CLAIMS).status_code == 401


def test_revoking_needs_a_login(client):
    assert APIClient().post("/api/token/logout/").status_code == 401
    assert APIClient().post("/api/token/logoutall/").status_code == 401
    assert APIClient().get("/api/tokens/").status_code == 401


def test_an_administrator_revokes_a_token_in_the_admin(client, administrator, researcher):
    token = obtain(researcher.username)["token"]
    stored = AuthToken.objects.get(user=researcher)
    client.force_login(administrator)
    changelist = client.get("/admin/knox/authtoken/")
    assert changelist.status_code == 200
    page = changelist.content.decode()
    assert stored.token_key in page and researcher.username in page and token not in page
    response = client.post("/admin/knox/authtoken/", {
        "action": "revoke", "_selected_action": [stored.pk]})
    assert response.status_code == 302
    assert with_token(token).get(CLAIMS).status_code == 401


def test_staff_without_the_permission_cannot_see_or_revoke_tokens(client, editor, researcher):
    obtain(researcher.username)
    stored = AuthToken.objects.get(user=researcher)
    client.force_login(editor)
    assert client.get("/admin/knox/authtoken/").status_code == 403
    assert client.post(f"/admin/knox/authtoken/{stored.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuthToken.objects.filter(pk=stored.pk).exists()


def test_a_token_made_in_the_admin_is_shown_once_and_expires(client, administrator, researcher):
    client.force_login(administrator)
    response = client.post("/admin/knox/authtoken/add/", {"user": researcher.pk, "expiry": ""}, follow=True)
    [message] = [str(m) for m in response.context["messages"] if "shown only now" in str(m)]
    token = message.rsplit(" ", 1)[1]
    stored = AuthToken.objects.get(user=researcher)
    assert stored.digest == hash_token(token) and stored.expiry is not None
    assert with_token(token).get(CLAIMS).status_code == 200
    assert token not in client.get(f"/admin/knox/authtoken/{stored.pk}/change/").content.decode()


OLD_KEY = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"  # a DRF token: 40 hex characters


def test_the_migration_turns_old_drf_tokens_into_hashed_ones_that_still_work(researcher):
    migration = importlib.import_module("conflictdb.migrations.0002_knox_tokens_from_drf")
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:  # DRF's table as rest_framework.authtoken made it
        cursor.execute(f"CREATE TABLE {quote('authtoken_token')} ({quote('key')} varchar(40) NOT NULL PRIMARY KEY, "
                       f"{quote('created')} timestamp NOT NULL, {quote('user_id')} integer NOT NULL)")
        cursor.execute(f"INSERT INTO {quote('authtoken_token')} VALUES (%s, %s, %s)",
                       [OLD_KEY, "2024-05-01 10:00:00", researcher.pk])

    assert migration.convert_drf_tokens(AuthToken, connection) == 1

    assert "authtoken_token" not in connection.introspection.table_names()
    converted = AuthToken.objects.get(user=researcher)
    assert converted.digest == hash_token(OLD_KEY)
    assert converted.created == datetime.datetime(2024, 5, 1, 10, tzinfo=datetime.timezone.utc)
    assert converted.expiry > timezone.now() + settings.API_TOKEN_TTL - datetime.timedelta(minutes=1)
    assert with_token(OLD_KEY).get(CLAIMS).status_code == 200


def test_the_migration_does_nothing_on_a_database_that_never_had_drf_tokens():
    migration = importlib.import_module("conflictdb.migrations.0002_knox_tokens_from_drf")
    assert migration.convert_drf_tokens(AuthToken, connection) == 0
