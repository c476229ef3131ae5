"""Facet counts of a filtered set of articles, each a link that narrows the set further.

Counts run across the many-to-many article–actor links (confirmed links only), so
"which actors appear in these articles, and how often" is one query; outlets, languages,
types and dates share another. The counts are cached until the archive changes
(``articles.caching``), and a broad set is counted over its newest ``FACET_SAMPLE``
articles, which the page says.
"""

import calendar
import datetime
from collections import Counter
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db.models import Case, Count, F, Q, Value, When
from django.db.models.functions import ExtractMonth, ExtractYear
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from actors.models import Actor

from .caching import cached
from .languages import language_name
from .models import Article, ArticleActor

FACET_SIZE = 12
# Counting the links of a million articles takes seconds: a broad set is counted over its
# newest FACET_SAMPLE articles, and the page says so. Narrow sets are counted whole.
FACET_SAMPLE = 5_000


@dataclass
class FacetItem:
    label: str
    count: int
    url: str
    active: bool = False


@dataclass
class Facet:
    parameter: str
    title: str
    items: list[FacetItem] = field(default_factory=list)


def url_with(params: QueryDict, **changes) -> str:
    """Return the query string of ``params`` with ``changes``, back on the first page.

    A value that is a tuple is added to the parameter's values instead of replacing them.
    """
    query = params.copy()
    query.pop("page", None)
    for key, value in changes.items():
        if isinstance(value, tuple):
            values = [v for v in query.getlist(key) if v not in value]
            query.setlist(key, [*values, *value])
        elif value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return "?" + query.urlencode()


def url_without(params: QueryDict, key: str, value: str | None = None) -> str:
    """Return the query string of ``params`` without ``key`` (or without one of its values)."""
    query = params.copy()
    query.pop("page", None)
    if value is None:
        query.pop(key, None)
    else:
        query.setlist(key, [v for v in query.getlist(key) if v != value])
    return "?" + query.urlencode()


class Facets(list):
    """The facets of a set, and ``sample_size`` when their counts cover only its newest
    ``FACET_SAMPLE`` articles (None when they cover the whole set)."""

    def __init__(self, facets, sample_size: int | None):
        super().__init__(facets)
        self.sample_size = sample_size


def article_facets(queryset, params: QueryDict) -> Facets:
    """Return the facets of ``queryset`` (already filtered), as links on ``params``."""
    newest = queryset.order_by("-published_on", "-id").values("pk")[:FACET_SAMPLE]
    try:
        # Keyed by the SQL of the sample, the filters' normalized form: "?actor=Nétanyahou"
        # and "?actor=benjamin-netanyahu" share an entry; a page number or sort makes none.
        selection = str(newest.query)
    except EmptyResultSet:  # a filter that nothing can match: nothing to narrow down
        return Facets([], None)
    one_year = period_year(params)
    counts = cached(
        "facet-counts",
        (selection, one_year),
        lambda: facet_counts(newest, one_year),
        stale_ok=True,
    )
    chosen_actors = set(params.getlist("actor"))
    kind_labels = dict(Article.Kind.choices)

    def facet(parameter, title, rows, label=None):
        def is_active(key):
            return key in chosen_actors if parameter == "actor" else params.get(parameter) == key

        items = [
            FacetItem(
                str(label(key) if label else name),
                count,
                url_with(params, **{parameter: (key,) if parameter == "actor" else key}),
                is_active(key),
            )
            for key, name, count in rows
        ]
        return Facet(parameter, title, items)

    facets = [
        facet("actor", _("Actors"), counts["actor"]),
        facet("state", _("States"), counts["state"]),
        facet("topic", _("Topics"), counts["topic"]),
        facet("outlet", _("Outlets"), counts["outlet"]),
        facet("language", _("Languages"), counts["language"], language_name),
        facet("type", _("Article types"), counts["type"], lambda kind: kind_labels.get(kind, kind)),
        period_facet(counts["period"], one_year, params),
    ]
    sampled = counts["sampled"]
    return Facets(facets, sampled if sampled >= FACET_SAMPLE else None)


def period_year(params: QueryDict) -> int | None:
    """The year the dates are narrowed to, if they are narrowed to one year."""
    after, before = valid_date(params.get("date_after")), valid_date(params.get("date_before"))
    if after and before and after.year == before.year:
        return after.year
    return None


def facet_counts(articles, one_year: int | None) -> dict:
    """Count what the facets show among ``articles`` (a query of article ids), in four queries
    (the ids, the actors, the states and topics, the rest).

    Return, for each facet, the rows (key, name, count) of its largest values; ``period``
    holds (year or month, count) by date; ``sampled`` how many articles were counted.
    """
    # The ids first: given the subquery, PostgreSQL misjudged its size and joined it with
    # every confirmed link of the archive (seconds at a million articles), where looking up
    # the links of a few thousand ids takes milliseconds.
    articles = [row["pk"] for row in articles]
    links = ArticleActor.objects.filter(article__in=articles, status=ArticleActor.Status.CONFIRMED)
    actor_rows = (
        links.exclude(actor__kind=Actor.Kind.STATE)
        .values_list("actor__slug", "actor__name")
        .annotate(count=Count("article_id", distinct=True))
        .order_by("-count", "actor__name")[:FACET_SIZE]
    )
    # States and topics are few (hundreds of rows at most, where actors are thousands):
    # both are read in one query, and their largest kept here.
    is_state = Q(actor__kind=Actor.Kind.STATE)
    state_rows = (
        links.annotate(
            state_slug=Case(When(is_state, then=F("actor__slug")), default=F("actor__state__slug")),
            state_name=Case(When(is_state, then=F("actor__name")), default=F("actor__state__name")),
        )
        .exclude(state_slug=None)
        .values_list("state_slug", "state_name")
        .annotate(count=Count("article_id", distinct=True), facet=Value("state"))
        .order_by()
    )
    topic_rows = (
        Article.topics.through.objects.filter(article__in=articles)
        .values_list("topic__slug", "topic__name")
        .annotate(count=Count("article_id"), facet=Value("topic"))
        .order_by()
    )
    few = {"state": Counter(), "topic": Counter()}
    for slug, name, count, facet in state_rows.union(topic_rows, all=True):
        few[facet][slug, name] = count
    # Outlets, languages, types and dates in one pass: the sample's combinations of them.
    period = ExtractMonth("published_on") if one_year else ExtractYear("published_on")
    combinations = (
        Article.objects.filter(pk__in=articles)
        .values_list("outlet__slug", "outlet__name", "language", "kind")
        .annotate(period=period, count=Count("pk"))
        .order_by()
    )
    outlets, languages, kinds, periods = Counter(), Counter(), Counter(), Counter()
    sampled = 0
    for outlet_slug, outlet_name, language, kind, when, count in combinations:
        sampled += count
        if outlet_slug:
            outlets[outlet_slug, outlet_name] += count
        languages[language, language] += count
        kinds[kind, kind] += count
        if when is not None:
            periods[when] += count
    return {
        "actor": list(actor_rows),
        "state": largest(few["state"], FACET_SIZE),
        "topic": largest(few["topic"], FACET_SIZE),
        "outlet": largest(outlets, FACET_SIZE),
        "language": largest(languages),
        "type": largest(kinds),
        "period": sorted(periods.items(), reverse=not one_year),
        "sampled": sampled,
    }


def largest(counter: Counter, size: int | None = None) -> list[tuple]:
    """(key, name, count) rows by count, largest first, then by name."""
    ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0][1]))
    return [(key, name, count) for (key, name), count in ranked[:size]]


def period_facet(periods, one_year: int | None, params: QueryDict) -> Facet:
    """Years; or the months of a year once the dates are narrowed to one year."""
    if one_year:
        facet = Facet("month", _("Months"))
        after, before = valid_date(params.get("date_after")), valid_date(params.get("date_before"))
        for month, count in periods:
            first = datetime.date(one_year, month, 1)
            last = first.replace(day=calendar.monthrange(one_year, month)[1])
            facet.items.append(
                FacetItem(
                    first.isoformat()[:7],
                    count,
                    url_with(params, date_after=first.isoformat(), date_before=last.isoformat()),
                    after == first and (before.year, before.month) == (one_year, month),
                )
            )
        return facet
    facet = Facet("year", _("Years"))
    for year, count in periods:
        facet.items.append(
            FacetItem(
                str(year),
                count,
                url_with(params, date_after=f"{year}-01-01", date_before=f"{year}-12-31"),
            )
        )
    return facet


def valid_date(text: str | None) -> datetime.date | None:
    """``text`` read as the date filters read it; None when they would ignore it."""
    try:
        return forms.DateField().to_python(text)
    except ValidationError:
        return None
