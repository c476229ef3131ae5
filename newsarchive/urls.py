"""URLs of newsarchive: each app owns its own under a namespace."""

from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.views.generic import TemplateView

from actors.sitemaps import ActorSitemap, TalkSitemap
from articles.sitemaps import ArticleSitemap, TopicSitemap

from .language import choose_language

admin.site.site_header = "newsarchive curation"
admin.site.site_title = "newsarchive"
admin.site.index_title = "Curation"

sitemaps = {
    "articles": ArticleSitemap,
    "actors": ActorSitemap,
    "talks": TalkSitemap,
    "topics": TopicSitemap,
}

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/setlang/", choose_language, name="set_language"),
    path("api/", include("newsarchive.api_urls")),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="sitemap"),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain"),
        name="robots",
    ),
    path("", include("articles.urls")),
    path("", include("actors.urls")),
]
