"""A relation between two states: their talks and the articles about both."""

from dataclasses import dataclass

from django.db.models import Case, Count, Max, Q, When
from django.db.models.functions import ExtractYear
from django.urls import reverse

from articles.caching import cached
from articles.filters import article_by_article, common_actors_and_states, confirmed_link
from articles.models import Article, ArticleActor, PublicationStatus

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

    def articles_to_page(self):
        """``articles()`` for a list read a page at a time, its count capped.

        A state most articles name is checked article by article, in the list's order,
        which reaches a page, or the count's cap, within a few thousand articles: joining
        its links first read most of the archive's (1 s to count Israel–United States at
        a million articles). A chart over all the articles wants the join: ``articles()``.
        """
        _actors, common = common_actors_and_states()
        articles = Article.objects.published()
        for state in (self.state, self.other):
            named = confirmed_link(actor=state)
            articles = articles.filter(article_by_article(named) if state.pk in common else named)
        return articles

    @property
    def key(self):
        """What tells this relation's cached figures from another's."""
        return (self.state.pk, self.other.pk)

    def topics_by_year(self):
        """[(year, [(topic, count)])] over the relation's talks and articles, counted once per
        archive version."""
        return cached("relation-topics", self.key, self._count_topics_by_year, stale_ok=True)

    def _count_topics_by_year(self):
        # From the relation's articles, whose dates come with them out of their index, to
        # their topics: going from the topics back to each article for its date read a
        # row of the article table per topic (550,000 at a million articles). An article
        # has a topic once, so counting rows counts articles.
        rows = (
            self.articles()
            .filter(topics__isnull=False)
            .annotate(year=ExtractYear("published_on"))
            .values_list("year", "topics__slug", "topics__name")
            .annotate(count=Count("pk"))
            .order_by("-year", "-count", "topics__name")
        )
        years = {}
        for year, slug, name, count in rows:
            if year is not None:
                years.setdefault(year, []).append({"slug": slug, "name": name, "count": count})
        return list(years.items())


def with_counts(relations: list[Relation]) -> list[Relation]:
    """``relations``, each with ``talk_count`` and ``article_count``, counted together.

    Both states of a relation are in a large share of the articles: counting each relation
    on its own read each state's links once per relation it is in. Counted once per
    archive version.
    """
    counts = cached(
        "relation-counts",
        [relation.key for relation in relations],
        lambda: count_relations(relations),
        stale_ok=True,
    )
    for relation, (talk_count, article_count) in zip(relations, counts, strict=True):
        relation.talk_count, relation.article_count = talk_count, article_count
    return relations


def count_relations(relations: list[Relation]) -> list[tuple[int, int]]:
    """[(talks, articles)] of each relation, in two queries whatever their number."""
    talks = Talk.objects.published().aggregate(
        **{
            f"relation_{number}": Count(
                "pk",
                filter=Q(state_a=relation.state, state_b=relation.other)
                | Q(state_a=relation.other, state_b=relation.state),
            )
            for number, relation in enumerate(relations)
        }
    )
    # Each published article naming any of the states, once, with which of them it names.
    states = {state.pk for relation in relations for state in (relation.state, relation.other)}
    naming = (
        ArticleActor.objects.confirmed()
        .filter(actor__in=states, article__status=PublicationStatus.PUBLISHED)
        .values("article_id")
        .annotate(
            **{f"names_{pk}": Max(Case(When(actor_id=pk, then=1), default=0)) for pk in states}
        )
    )
    articles = naming.aggregate(
        **{
            f"relation_{number}": Count(
                "article_id",
                filter=Q(**{f"names_{relation.state.pk}": 1, f"names_{relation.other.pk}": 1}),
            )
            for number, relation in enumerate(relations)
        }
    )
    return [
        (talks[f"relation_{number}"], articles[f"relation_{number}"])
        for number in range(len(relations))
    ]
