from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "ConflictDB"
admin.site.site_title = "ConflictDB"
admin.site.index_title = "Claims, sources and places"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/", include("conflictdb.api.urls")),
]
