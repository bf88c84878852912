"""The admin's autocomplete, ranked by each model's matcher: no picker ever silently picks.

Django's admin autocomplete (select2 on every `autocomplete_fields` foreign key, and the desk's
name fields, which call the same endpoint) lists the model admin's search results in the
model's ordering and labels them with `str()`: the first row is whatever sorts first, and select2
highlights it, so Enter takes it. Here:

- results are ranked by the model admin's matcher (`RankedAutocompleteMixin.rank_autocomplete`):
  records the term names exactly first (the door's own name rule: `events.naming`,
  `sources.naming`, the place matcher), then by score against their spellings;
- each result carries a label that tells homonyms apart (`autocomplete_label`: a place's kind,
  district and governorate; an actor's or a source's kind), its plain name (`name`, what a
  field shows once picked), and `match: true` only on the one record the matcher says the term
  means (`conflictdb/static/conflictdb/admin/autocomplete.js` lets select2 pre-select only
  that one; the desk takes only it on Enter). An ambiguous or unknown term has no match: the
  candidates are shown and Enter takes nothing.

`ConflictDBAdminSite` serves `RankedAutocompleteJsonView` at the admin's autocomplete URL
(`conflictdb.apps.ConflictDBAdminConfig` makes it the default site). The base knows no app: the
apps' model admins say what a name means through the mixin's hooks.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Q, Value, When
from django.http import JsonResponse
from rapidfuzz import fuzz

from conflictdb.names import normalise_name

RANK_POOL = 200  # search results scored by the matcher; any further ones follow in the model's order


class RankedAutocompleteMixin:
    """Model admin hooks for the ranked autocomplete (override what the model needs)."""

    def autocomplete_exact(self, request, term):
        """The records `term` names exactly (a queryset), by the door's name rule; None: the model
        has no name rule, so its results keep the admin's order and none is ever the match."""
        return None

    def autocomplete_spellings(self, request, records) -> dict:
        """{pk: [spellings]} the term is scored against; by default what the reader sees."""
        return {record.pk: [str(record)] for record in records}

    def autocomplete_label(self, record) -> str:
        """How a result is shown: enough to tell records of one name apart."""
        return str(record)

    def autocomplete_labels(self, request, records) -> dict:
        """{pk: label} for a page of results (one call per page: a model may label in bulk)."""
        return {record.pk: self.autocomplete_label(record) for record in records}

    def rank_autocomplete(self, request, base, searched, term) -> tuple[list, object]:
        """(pks in rank order, the pk the term means or None): exact names first, then by score.

        `base` is what the reader may pick, `searched` the admin search's results within it."""
        if not term.strip():
            return [], None
        exact_named = self.autocomplete_exact(request, term)
        if exact_named is None:
            return [], None  # no name rule for this model: the admin's own order, and never a match
        exact = list(base.filter(pk__in=exact_named.values("pk")).values_list("pk", flat=True))
        pool = list(searched[:RANK_POOL])
        key = normalise_name(term)
        spellings = self.autocomplete_spellings(request, pool)
        scores = {record.pk: max((fuzz.WRatio(key, normalise_name(text)) for text in spellings.get(record.pk, ())
                                  if text), default=0) for record in pool}
        ranked = sorted((pk for pk in scores if pk not in exact), key=lambda pk: -scores[pk])
        return [*exact, *ranked], (exact[0] if len(exact) == 1 else None)


class RankedAutocompleteJsonView(AutocompleteJsonView):
    """AutocompleteJsonView ranked and labelled by the model admin (see the module docstring)."""

    def get(self, request, *args, **kwargs):
        self.term, self.model_admin, self.source_field, to_field_name = self.process_request(request)
        if not self.has_perm(request):
            raise PermissionDenied
        if not isinstance(self.model_admin, RankedAutocompleteMixin):
            return super().get(request, *args, **kwargs)
        base = self.model_admin.get_queryset(request).complex_filter(self.source_field.get_limit_choices_to())
        searched = self.get_queryset()
        ranked, self.match = self.model_admin.rank_autocomplete(request, base, searched, self.term)
        order = Case(*(When(pk=pk, then=Value(position)) for position, pk in enumerate(ranked)),
                     default=Value(len(ranked)), output_field=IntegerField()) if ranked else Value(0)
        model_order = list(base.query.order_by or self.model_admin.model._meta.ordering or ["pk"])
        self.object_list = (base.filter(Q(pk__in=ranked) | Q(pk__in=searched.values("pk")))
                            .order_by(order, *model_order))
        context = self.get_context_data()
        self.labels = self.model_admin.autocomplete_labels(request, list(context["object_list"]))
        return JsonResponse({
            "results": [self.serialize_result(record, to_field_name) for record in context["object_list"]],
            "pagination": {"more": context["page_obj"].has_next()},
            "match": str(self.match) if self.match is not None else None,
        })

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        if isinstance(self.model_admin, RankedAutocompleteMixin):
            result["name"] = result["text"]
            result["text"] = self.labels.get(obj.pk, result["text"])
            result["match"] = obj.pk == self.match
        return result


class ConflictDBAdminSite(admin.AdminSite):
    """The default admin site, with the ranked autocomplete."""

    def autocomplete_view(self, request):
        return RankedAutocompleteJsonView.as_view(admin_site=self)(request)
