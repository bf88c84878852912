"""The project's URLs: the admin, and /api/ assembled from every app's api/urls.py and the base's.

The project urls are the one place of the base that names the apps."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from rest_framework.routers import DefaultRouter

from conflictdb.api import urls as base_api
from events.api import urls as events_api
from sources.api import urls as sources_api

admin.site.site_header = "ConflictDB"
admin.site.site_title = "ConflictDB"
admin.site.index_title = "Claims, sources and places"

API_APPS = (sources_api, events_api)

# /api/v1/: one route per model, from every app's `routes`.
api_router = DefaultRouter()
for app_api in API_APPS:
    for prefix, viewset in app_api.routes:
        api_router.register(prefix, viewset)

api_urlpatterns = [
    *(pattern for app_api in API_APPS for pattern in app_api.urlpatterns),  # before the router
    path("v1/", include(api_router.urls)),
    *base_api.urlpatterns,
]

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/", include(api_urlpatterns)),
]
