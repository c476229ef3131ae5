from django.contrib.sitemaps import Sitemap

from .models import Article, Topic


class ArticleSitemap(Sitemap):
    changefreq = "monthly"
    limit = 10000

    def items(self):
        return Article.objects.published().only("pk", "slug", "updated_at").order_by("pk")

    def lastmod(self, article):
        return article.updated_at


class TopicSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return Topic.objects.order_by("pk")
