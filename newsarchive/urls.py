"""URLs of newsarchive: each app owns its own under a namespace."""

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "newsarchive curation"
admin.site.site_title = "newsarchive"
admin.site.index_title = "Curation"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("articles.urls")),
    path("", include("actors.urls")),
]
