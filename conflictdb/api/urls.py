"""The base's own API routes: tokens (conflictdb.api.tokens), the schema and its offline docs. The
apps' routes (their api/urls.py) are mounted beside these by the project urls (conflictdb.urls)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from conflictdb.api.docs import RedocView, SwaggerView
from conflictdb.api.tokens import MyTokensView, ObtainTokenView, RevokeAllTokensView, RevokeThisTokenView


urlpatterns = [
    path("token/", ObtainTokenView.as_view(), name="api-token"),
    path("token/logout/", RevokeThisTokenView.as_view(), name="api-token-logout"),
    path("token/logoutall/", RevokeAllTokensView.as_view(), name="api-token-logoutall"),
    path("tokens/", MyTokensView.as_view(), name="api-tokens"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("redoc/", RedocView.as_view(url_name="schema"), name="api-redoc"),
]
