"""Search and ordering for every list endpoint; ordering always ends on `id` so pages are stable."""

from functools import reduce

from django.db.models import Q
from rest_framework import filters
from rest_framework.exceptions import ValidationError

from conflictdb import protection


class SearchFilter(filters.SearchFilter):
    search_param = "q"
    search_description = ("Free-text search (see each endpoint for the fields searched); a 400 on an endpoint "
                          "that has no text search.")

    def filter_queryset(self, request, queryset, view):
        fields = self.get_search_fields(view, request) or ()
        terms = self.get_search_terms(request)
        if terms and not fields:  # never ignore a search: the reader would take the list as its result
            raise ValidationError({self.search_param: "This endpoint has no text search."})
        model = queryset.model
        if not terms or not any(protection.refuses_lookup(request.user, model, f) for f in fields):
            return super().filter_queryset(request, queryset, view)
        # A reader who may not see a protected value must not find a record by it either.
        matches = [reduce(lambda a, b: a | b, (protection.search_q(request.user, model, f, term) for f in fields))
                   for term in terms]
        queryset = queryset.filter(reduce(lambda a, b: a & b, matches, Q()))
        return queryset.distinct() if any("__" in f for f in fields) else queryset


class OrderingFilter(filters.OrderingFilter):
    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        ordering = [self._as_seen(request, queryset.model, term) for term in ordering]
        if not {"id", "-id", "pk", "-pk"} & set(ordering):
            ordering.append("id")  # deterministic tiebreak
        return queryset.order_by(*ordering)

    @staticmethod
    def _as_seen(request, model, term):
        """Order a protected source by the name the reader sees; refuse other protected values."""
        if not isinstance(term, str):
            return term
        path = term.lstrip("-")
        instead = protection.order_by_public(request.user, model, path)
        if instead is None:
            raise ValidationError({"ordering": f"Ordering by {path} is not available: it is protected data."})
        if isinstance(instead, str):
            return term
        return instead.desc() if term.startswith("-") else instead.asc()

    def get_default_ordering(self, view):
        return getattr(view, "ordering", None) or ("id",)
