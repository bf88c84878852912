"""What a malformed value in a request gets: the changelist's answer, in every admin view.

Django's changelist answers a filter it cannot apply (an unknown lookup, a value of the wrong
type) by redirecting to itself with the error flag `?e=1`. Some malformed values only fail when
the query runs (an id beyond what SQLite holds, a NUL character PostgreSQL refuses, a date
past 9999), after the view has returned: the changelist page then rendered as a server error, and
the admin export, which built the same queryset itself, answered every unknown lookup with one.

So every admin view of a model runs inside `guarded` (conflictdb.admin.MalformedInputAdminMixin
puts it around each of the model admin's URLs: changelist, export, import, actions, history,
restore, the desk, the resolve pages): ids in the URL are checked before anything is looked up,
the page is rendered inside the guard (so a query that fails late fails there), and a malformed
value gets the changelist's redirect with a message or, when the error flag is already set (a
redirect would loop) or the caller wants JSON, a 400 saying what was wrong. Views that filter
by the query string build their queryset with `changelist_queryset`, which runs it once.
"""

from __future__ import annotations

import contextlib
import functools

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import ValidationError
from django.db import DataError, connection, connections, models, transaction
from django.http import HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.html import escape

# Errors a value from the request can cause while its query is built or run. OverflowError:
# SQLite holds no integer past 64 bits; DataError: PostgreSQL refuses a value (NUL in text, an
# integer out of range, a malformed regular expression).
MALFORMED = (IncorrectLookupParameters, ValidationError, OverflowError, DataError)

# Lookups a URL may not ask for: a regular expression from a stranger runs in the database
# (SQLite raises from inside its function, PostgreSQL may backtrack for a long time).
REFUSED_LOOKUPS = ("regex", "iregex")

MESSAGE = "The address holds a filter, search or value this list cannot use: {error}"


class Malformed(Exception):
    """A request whose values cannot be used; `str()` says which and why."""


def refuses_lookup(lookup: str) -> bool:
    return lookup.rsplit("__", 1)[-1] in REFUSED_LOOKUPS


def valid_pk(model, value) -> bool:
    """Whether `value` can be an id of `model` (a whole number the database can hold, for
    integer keys): looking up anything else raises instead of finding nothing."""
    field = model._meta.pk
    while field.is_relation:  # a one-to-one key: the target's key type
        field = field.target_field
    try:
        python = field.to_python(value)
    except ValidationError:
        return False
    if isinstance(field, models.IntegerField) and python is not None:
        low, high = connections["default"].ops.integer_field_range(field.get_internal_type())
        return (low is None or python >= low) and (high is None or python <= high)
    return python is not None


def _describe(error) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    if isinstance(error, OverflowError):
        return "a number is too large."
    if isinstance(error, DataError):
        return "a value is not valid for the database (a NUL character, a number out of range…)."
    return str(error) or error.__class__.__name__


@contextlib.contextmanager
def answering_malformed(savepoint=True):
    """Run what the request's values reach: an error they cause comes out as `Malformed`.
    Inside a transaction (tests, ATOMIC_REQUESTS) a query of the request's values runs in a
    savepoint, so a database error rolls back to it and the transaction stays usable; the
    whole-view guard does without (its pages keep their query counts)."""
    atomic = transaction.atomic() if savepoint and connection.in_atomic_block else contextlib.nullcontext()
    try:
        with atomic:
            yield
    except MALFORMED as error:
        raise Malformed(_describe(error)) from error


def probe(queryset):
    """Run the queryset's filters once (one row): a value that fails only in the database fails here."""
    with answering_malformed():
        list(queryset[:1])


def changelist_queryset(model_admin, request):
    """The changelist's queryset for this request (filters, search, ordering, protection), checked."""
    with answering_malformed():
        queryset = model_admin.get_changelist_instance(request).get_queryset(request)
    probe(queryset)
    return queryset


def refusal(request, changelist_url, error):
    """The changelist's answer to a malformed request: back to the list with the error flag and
    a message; a 400 page if the flag is already there (the list itself failed)."""
    if ERROR_FLAG in request.GET:
        return HttpResponseBadRequest(f"<h1>Bad request</h1><p>{escape(MESSAGE.format(error=error))}</p>")
    messages.error(request, MESSAGE.format(error=error))
    return HttpResponseRedirect(f"{changelist_url}?{ERROR_FLAG}=1")


def _wants_json(request):
    return request.content_type == "application/json" or "application/json" in request.headers.get("Accept", "")


# URL parameters that name a record: the model admin's own records, or their history rows.
_OBJECT_KWARGS = ("object_id",)
_HISTORY_KWARGS = ("history_id", "version_id")


def _bad_ids(model_admin, args, kwargs):
    """The URL's ids that cannot be ids (positional ones: simple-history's version page)."""
    model = model_admin.model
    history = getattr(model, "history", None)
    named = {**dict(zip(("object_id", "version_id"), args, strict=False)), **kwargs}
    bad = [value for name, value in named.items() if name in _OBJECT_KWARGS and not valid_pk(model, unquote(value))]
    if history is not None:
        bad += [value for name, value in named.items() if name in _HISTORY_KWARGS
                and not valid_pk(history.model, value)]
    return bad


def guarded(model_admin, view):
    """`view` answering malformed input the changelist's way (see the module's docstring)."""

    @functools.wraps(view)
    def guarded_view(request, *args, **kwargs):
        opts = model_admin.model._meta
        bad = _bad_ids(model_admin, args, kwargs)
        if bad:  # as the change form answers an id that names nothing
            return model_admin._get_obj_does_not_exist_redirect(request, opts, str(bad[0]))
        try:
            with answering_malformed(savepoint=False):
                response = view(request, *args, **kwargs)
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()
        except Malformed as error:
            if _wants_json(request):
                return JsonResponse({"errors": {"request": [MESSAGE.format(error=error)]}}, status=400)
            changelist = reverse(f"{model_admin.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")
            return refusal(request, changelist, error)
        return response

    return guarded_view
