"""The sources app's API routes, mounted under /api/v1/ by the project urls (conflictdb.urls)."""

from sources.api import views

# (URL prefix, viewset), registered on the project's /api/v1/ router.
routes = [
    ("sources", views.SourceViewSet),
    ("source-aliases", views.SourceAliasViewSet),
    ("documents", views.DocumentViewSet),
    ("excerpts", views.ExcerptViewSet),
    ("personal-passages", views.PersonalSpanViewSet),
]

# Paths besides the router's, placed before it.
urlpatterns = []
