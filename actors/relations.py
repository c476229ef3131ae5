"""A relation between two states: their talks and the articles about both."""

from dataclasses import dataclass

from django.db.models import Count
from django.db.models.functions import ExtractYear
from django.urls import reverse

from articles.caching import cached
from articles.models import Article, ArticleActor, Topic

from .models import Actor, Talk


@dataclass
class Relation:
    state: Actor
    other: Actor

    def get_absolute_url(self):
        return reverse("actors:relation", args=[self.state.slug, self.other.slug])

    def __str__(self):
        return f"{self.state.name} – {self.other.name}"

    def talks(self):
        return (
            Talk.objects.published()
            .between(self.state, self.other)
            .select_related("state_a", "state_b", "place")
        )

    def articles(self):
        """Published articles confirmed to mention both states."""
        articles = Article.objects.published()
        for state in (self.state, self.other):
            articles = articles.filter(
                pk__in=ArticleActor.objects.confirmed().filter(actor=state).values("article_id")
            )
        return articles

    def with_counts(self):
        """The relation, with ``talk_count`` and ``article_count`` (counted once per archive
        version: both states are in a large share of the articles)."""
        self.talk_count, self.article_count = cached(
            "relation-counts",
            self.key,
            lambda: (self.talks().count(), self.articles().count()),
            stale_ok=True,
        )
        return self

    @property
    def key(self):
        """What tells this relation's cached figures from another's."""
        return (self.state.pk, self.other.pk)

    def topics_by_year(self):
        """[(year, [(topic, count)])] over the relation's talks and articles, counted once per
        archive version."""
        return cached("relation-topics", self.key, self._count_topics_by_year, stale_ok=True)

    def _count_topics_by_year(self):
        rows = (
            Topic.objects.filter(articles__in=self.articles())
            .annotate(year=ExtractYear("articles__published_on"))
            .values("year", "slug", "name")
            .annotate(count=Count("articles", distinct=True))
            .order_by("-year", "-count", "name")
        )
        years = {}
        for row in rows:
            if row["year"] is not None:
                years.setdefault(row["year"], []).append(row)
        return list(years.items())
