from django.shortcuts import get_object_or_404
from django.utils.html import escape
from django.utils.translation import gettext as _

from articles.feeds import ArticleFeed
from articles.models import Article

from .models import Actor


class ActorFeed(ArticleFeed):
    """The latest published articles confirmed to mention one actor."""

    def get_object(self, request, slug):
        return {"params": request.GET, "actor": get_object_or_404(Actor, slug=slug)}

    def articles(self, obj):
        return Article.objects.published().mentioning(obj["actor"])

    def title(self, obj):
        return _("newsarchive: %(name)s") % {"name": obj["actor"].name}

    def description(self, obj):
        # Readers render a channel's description as HTML, like an item's.
        return escape(_("Articles that mention %(name)s.") % {"name": obj["actor"].name})

    def link(self, obj):
        return obj["actor"].get_absolute_url()
