from django.contrib.sitemaps import Sitemap

from .models import Actor, Talk


class ActorSitemap(Sitemap):
    changefreq = "weekly"
    limit = 10000

    def items(self):
        return Actor.objects.only("pk", "slug", "updated_at").order_by("pk")

    def lastmod(self, actor):
        return actor.updated_at


class TalkSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return Talk.objects.published().only("pk", "updated_at").order_by("pk")

    def lastmod(self, talk):
        return talk.updated_at
