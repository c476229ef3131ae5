"""RSS and Atom feeds of the articles, filtered by the same parameters as the list page.

Feed readers render an item's description (RSS ``description``, Atom ``summary
type="html"``) as HTML: the plain text of a description is escaped first, so that words
such as ``<script>`` stay words. Titles and categories are plain text.
"""

import datetime

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from .changes import public_changes
from .filters import ArticleFilter
from .models import Article

FEED_SIZE = 50


class ArticleFeed(Feed):
    """The latest published articles; subclasses choose which ones and name the feed.

    Invalid parameters are ignored, as on the list page, so a feed never fails.
    """

    def get_object(self, request, **kwargs):
        return {"params": request.GET}

    def articles(self, obj):
        return Article.objects.published()

    def items(self, obj):
        filterset = ArticleFilter(obj["params"], queryset=self.articles(obj))
        return filterset.qs.select_related("outlet").prefetch_related("topics")[:FEED_SIZE]

    def item_title(self, article):
        return article.title

    def item_description(self, article):
        return escape(Truncator(article.body).words(80))

    def item_pubdate(self, article):
        if article.published_on is None:
            return article.created_at
        return datetime.datetime.combine(article.published_on, datetime.time(), datetime.UTC)

    def item_updateddate(self, article):
        return article.updated_at

    def item_author_name(self, article):
        return article.byline or (article.outlet.name if article.outlet else None)

    def item_categories(self, article):
        return [topic.name for topic in article.topics.all()]


class ArticleRssFeed(ArticleFeed):
    def title(self, obj):
        return _("newsarchive: articles")

    def description(self, obj):
        return _("Articles about Israel, the United States and Iran.")

    def link(self, obj):
        query = obj["params"].urlencode()
        return reverse("articles:list") + (f"?{query}" if query else "")


class ArticleAtomFeed(ArticleRssFeed):
    feed_type = Atom1Feed

    def subtitle(self, obj):
        return self.description(obj)


class ChangeFeed(Feed):
    """The public change log as RSS: what was corrected, when."""

    def title(self):
        return _("newsarchive: corrections")

    def description(self):
        return _("Corrections to published articles, talks and actors.")

    def link(self):
        return reverse("articles:changes")

    def items(self):
        return public_changes(limit=FEED_SIZE)

    def item_title(self, change):
        return f"{change.label.capitalize()}: {change.record}"

    def item_description(self, change):
        return escape(_("Changed: %(fields)s.") % {"fields": ", ".join(change.fields)})

    def item_link(self, change):
        return change.url

    def item_guid(self, change):
        return f"{change.url}#changed-{change.when.isoformat()}"

    item_guid_is_permalink = False

    def item_pubdate(self, change):
        return change.when
