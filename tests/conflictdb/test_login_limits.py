"""Brute-force limits (conflictdb.logins, django-axes): the admin login and the token endpoint count
failed logins per address and per username, independently, and refuse even the right password
once locked out, with a clear "try again later"."""

import datetime

import pytest
from axes.models import AccessAttempt
from axes.exceptions import AxesBackendRequestParameterRequired
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

pytestmark = pytest.mark.django_db

LIMIT = settings.AXES_FAILURE_LIMIT
COOL_OFF_SECONDS = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
ATTACKER = "203.0.113.7"


def admin_login(client, username, password, address=ATTACKER):
    return client.post("/admin/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def token_login(client, username, password, address=ATTACKER):
    return client.post("/api/token/", {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in(client):
    return "_auth_user_id" in client.session


def test_the_admin_refuses_the_right_password_after_too_many_wrong_ones(client, editor):
    for _ in range(LIMIT):
        admin_login(client, editor.username, "wrong")
    response = admin_login(client, editor.username, "pw")
    assert response.status_code == 429
    assert response["Retry-After"] == COOL_OFF_SECONDS
    page = response.content.decode()
    assert "Too many failed logins for this username or from this address. Try again later" in page
    assert not logged_in(client)


def test_wrong_passwords_below_the_limit_still_let_the_right_one_in(client, editor):
    for _ in range(LIMIT - 1):
        assert admin_login(client, editor.username, "wrong").status_code == 200  # the form again
    response = admin_login(client, editor.username, "pw")
    assert response.status_code == 302 and logged_in(client)


def test_a_success_before_the_limit_resets_the_count(client, editor):
    for _ in range(LIMIT - 1):
        admin_login(client, editor.username, "wrong")
    assert admin_login(client, editor.username, "pw").status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        admin_login(client, editor.username, "wrong")
    assert admin_login(client, editor.username, "pw").status_code == 302


def test_one_address_is_locked_for_every_username(client, editor, researcher):
    for n in range(LIMIT):  # a different made-up username each time: only the address repeats
        admin_login(client, f"guess{n}", "wrong")
    assert admin_login(client, editor.username, "pw").status_code == 429
    assert token_login(client, researcher.username, "pw").status_code == 429
    # The same accounts from another address are not locked.
    assert admin_login(client, editor.username, "pw", address="198.51.100.20").status_code == 302


def test_one_username_is_locked_from_every_address(client, editor, researcher):
    for n in range(LIMIT):  # a different address each time: only the username repeats
        admin_login(client, editor.username, "wrong", address=f"192.0.2.{n + 1}")
    assert admin_login(client, editor.username, "pw", address="198.51.100.20").status_code == 429
    assert not logged_in(client)
    # Another account from one of those addresses is not locked.
    assert admin_login(client, researcher.username, "pw", address="192.0.2.1").status_code == 302


def test_the_token_endpoint_answers_429_with_a_clear_detail_and_retry_after(client, researcher):
    for _ in range(LIMIT):
        token_login(client, researcher.username, "wrong")
    response = token_login(client, researcher.username, "pw")
    assert response.status_code == 429
    assert response["Retry-After"] == COOL_OFF_SECONDS
    assert "Try again later" in response.json()["detail"]
    assert "token" not in response.json()


def test_a_wrong_password_below_the_limit_is_a_400_not_a_lockout(client, researcher):
    response = token_login(client, researcher.username, "wrong")
    assert response.status_code == 400
    assert token_login(client, researcher.username, "pw").status_code == 200


def test_failures_at_the_token_endpoint_lock_the_admin_login_too(client, editor):
    """One count per username and address, whichever door the guesses come through."""
    for _ in range(LIMIT):
        token_login(client, editor.username, "wrong")
    assert admin_login(client, editor.username, "pw", address="198.51.100.20").status_code == 429


def test_the_lockout_ends_after_the_cool_off(client, editor):
    for _ in range(LIMIT):
        admin_login(client, editor.username, "wrong")
    assert admin_login(client, editor.username, "pw").status_code == 429
    # The last failure as long ago as the cool-off (no waiting in a test).
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - datetime.timedelta(seconds=1))
    assert admin_login(client, editor.username, "pw").status_code == 302


def test_failed_logins_are_recorded_without_the_password(client, editor):
    admin_login(client, editor.username, "hunter2-wrong")
    attempt = AccessAttempt.objects.get()
    assert attempt.username == editor.username and attempt.ip_address == ATTACKER
    assert "hunter2-wrong" not in attempt.post_data


def test_a_test_logs_in_with_the_password_by_passing_a_request(client, editor):
    """How tests use the test client's login() under axes (tests/conftest.py)."""
    with pytest.raises(AxesBackendRequestParameterRequired):
        client.login(username=editor.username, password="pw")
    assert client.login(request=HttpRequest(), username=editor.username, password="pw")
    assert client.get("/admin/").status_code == 200


def test_behind_a_proxy_the_client_address_is_counted_not_the_proxys(client, settings, editor, researcher):
    settings.LOGIN_PROXY_COUNT = 1
    proxy = "10.0.0.1"

    def through_proxy(username, password, client_address, claimed=""):
        forwarded = f"{claimed}, {client_address}" if claimed else client_address
        return client.post("/admin/login/", {"username": username, "password": password},
                           REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=forwarded)

    for n in range(LIMIT):  # an attacker claiming a new address each time (the proxy appends the real one)
        through_proxy(f"guess{n}", "wrong", ATTACKER, claimed=f"192.0.2.{n + 1}")
    assert through_proxy(editor.username, "pw", ATTACKER).status_code == 429
    assert through_proxy(researcher.username, "pw", "198.51.100.20").status_code == 302
