"""Brute-force limits on logins: what django-axes needs from us, for every door that logs in.

Axes (settings "Authentication") counts the failures and decides the lockout; this module only
says where a request comes from and how a lockout reads: the admin login shows a page, the token
endpoint (conflictdb.api.tokens) answers 429 with the same sentence and a Retry-After.
"""

from django.conf import settings
from django.contrib import admin
from django.shortcuts import render


def client_address(request) -> str | None:
    """The client's address. Behind LOGIN_PROXY_COUNT proxies, each of which appends the address it
    saw to X-Forwarded-For, the client is that many entries from the right; anything further left
    was written by the client and is not trusted."""
    proxies = settings.LOGIN_PROXY_COUNT
    if proxies:
        forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


def retry_after_seconds() -> int:
    """How long a lockout lasts. A failure during a lockout starts the cool-off again, so from the
    refused attempt on it is the whole cool-off."""
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_message() -> str:
    minutes = max(1, round(retry_after_seconds() / 60))
    return (f"Too many failed logins for this username or from this address. Try again later, "
            f"in {minutes} minute{'s' if minutes != 1 else ''}.")


def lockout_response(request, original_response=None, credentials=None):
    """Axes' AXES_LOCKOUT_CALLABLE: the admin login's lockout page (429, Retry-After)."""
    context = {**admin.site.each_context(request), "title": "Try again later", "message": lockout_message()}
    # Rendered now: axes calls this from its middleware, after the view, too late for a TemplateResponse.
    response = render(request, "axes/lockout.html", context, status=429)
    response["Retry-After"] = str(retry_after_seconds())
    return response
