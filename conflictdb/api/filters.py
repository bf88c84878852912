"""Search and ordering for every list endpoint; ordering always ends on `id` so pages are stable."""

from rest_framework import filters


class SearchFilter(filters.SearchFilter):
    search_param = "q"
    search_description = "Free-text search (see each endpoint for the fields searched)."


class OrderingFilter(filters.OrderingFilter):
    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        ordering = list(ordering)
        if not {"id", "-id", "pk", "-pk"} & set(ordering):
            ordering.append("id")  # deterministic tiebreak
        return queryset.order_by(*ordering)

    def get_default_ordering(self, view):
        return getattr(view, "ordering", None) or ("id",)
