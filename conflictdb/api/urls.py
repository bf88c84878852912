"""The base's own API routes: the token, the schema and its offline docs. The apps' routes (their
api/urls.py) are mounted beside these by the project urls (conflictdb.urls)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.authtoken.views import obtain_auth_token

from conflictdb.api.docs import RedocView, SwaggerView

urlpatterns = [
    path("token/", obtain_auth_token, name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("redoc/", RedocView.as_view(url_name="schema"), name="api-redoc"),
]
