"""Two ways to page: limit/offset for browsing (with a maximum), a cursor without COUNT for
harvesting millions of rows (`?cursor=` — start with `?cursor=` empty or `?paginate=cursor`)."""

from rest_framework.pagination import CursorPagination, LimitOffsetPagination

MAX_LIMIT = 1000


class BrowsePagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = MAX_LIMIT


class HarvestPagination(CursorPagination):
    """Ordered by id so the cursor is stable and every row is seen exactly once."""

    ordering = ("id",)
    page_size = 1000
    page_size_query_param = "limit"
    max_page_size = 10000

    def get_ordering(self, request, queryset, view):
        return self.ordering  # never the user's ordering: the cursor needs a unique, fixed key


class HybridPagination:
    """Chooses browse or harvest pagination per request."""

    display_page_controls = False

    def _wants_cursor(self, request):
        params = request.query_params
        return "cursor" in params or params.get("paginate") == "cursor"

    def paginate_queryset(self, queryset, request, view=None):
        self.delegate = HarvestPagination() if self._wants_cursor(request) else BrowsePagination()
        return self.delegate.paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        return self.delegate.get_paginated_response(data)

    def get_paginated_response_schema(self, schema):
        return BrowsePagination().get_paginated_response_schema(schema)

    def get_schema_operation_parameters(self, view):
        params = BrowsePagination().get_schema_operation_parameters(view)
        params += [
            {"name": "paginate", "required": False, "in": "query",
             "description": "`cursor` for harvesting: pages by id without COUNT; follow `next`.",
             "schema": {"type": "string", "enum": ["cursor"]}},
            {"name": "cursor", "required": False, "in": "query",
             "description": "The harvest cursor from a previous page's `next` link.",
             "schema": {"type": "string"}},
        ]
        return params

    def to_html(self):
        return ""

    def get_results(self, data):  # the browsable API reads a page's rows through this
        return data["results"]
