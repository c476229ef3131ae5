"""Facet counts of a filtered set of articles, each a link that narrows the set further.

Counts run across the many-to-many article–actor links (confirmed links only), so
"which actors appear in these articles, and how often" is one query per facet.
"""

import calendar
import datetime
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Case, Count, F, When
from django.db.models.functions import ExtractMonth, ExtractYear
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from actors.models import Actor

from .languages import language_name
from .models import Article, ArticleActor

FACET_SIZE = 12


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


def article_facets(queryset, params: QueryDict) -> list[Facet]:
    """Return the facets of ``queryset`` (already filtered), as links on ``params``."""
    ids = queryset.order_by().values("pk")
    links = ArticleActor.objects.filter(article__in=ids, status=ArticleActor.Status.CONFIRMED)
    chosen_actors = set(params.getlist("actor"))

    actors = Facet("actor", _("Actors"))
    for row in (
        links.exclude(actor__kind=Actor.Kind.STATE)
        .values("actor__slug", "actor__name")
        .annotate(count=Count("article_id", distinct=True))
        .order_by("-count", "actor__name")[:FACET_SIZE]
    ):
        slug = row["actor__slug"]
        actors.items.append(
            FacetItem(
                row["actor__name"],
                row["count"],
                url_with(params, actor=(slug,)),
                slug in chosen_actors,
            )
        )

    states = Facet("state", _("States"))
    state_of_link = Case(
        When(actor__kind=Actor.Kind.STATE, then=F("actor_id")), default=F("actor__state_id")
    )
    state_counts = (
        links.annotate(state_id=state_of_link)
        .exclude(state_id=None)
        .values("state_id")
        .annotate(count=Count("article_id", distinct=True))
        .order_by("-count")[:FACET_SIZE]
    )
    state_counts = list(state_counts)
    slugs_and_names = {
        pk: (slug, name)
        for pk, slug, name in Actor.objects.filter(
            pk__in=[row["state_id"] for row in state_counts]
        ).values_list("pk", "slug", "name")
    }
    for row in state_counts:
        slug, name = slugs_and_names[row["state_id"]]
        states.items.append(
            FacetItem(
                name,
                row["count"],
                url_with(params, state=slug),
                params.get("state") == slug,
            )
        )

    topics = Facet("topic", _("Topics"))
    for row in (
        Article.topics.through.objects.filter(article__in=ids)
        .values("topic__slug", "topic__name")
        .annotate(count=Count("article_id"))
        .order_by("-count", "topic__name")[:FACET_SIZE]
    ):
        slug = row["topic__slug"]
        topics.items.append(
            FacetItem(
                row["topic__name"],
                row["count"],
                url_with(params, topic=slug),
                params.get("topic") == slug,
            )
        )

    plain = Article.objects.filter(pk__in=ids).order_by()
    outlets = Facet("outlet", _("Outlets"))
    for row in (
        plain.exclude(outlet=None)
        .values("outlet__slug", "outlet__name")
        .annotate(count=Count("pk"))
        .order_by("-count", "outlet__name")[:FACET_SIZE]
    ):
        slug = row["outlet__slug"]
        outlets.items.append(
            FacetItem(
                row["outlet__name"],
                row["count"],
                url_with(params, outlet=slug),
                params.get("outlet") == slug,
            )
        )

    languages = Facet("language", _("Languages"))
    for row in plain.values("language").annotate(count=Count("pk")).order_by("-count", "language"):
        code = row["language"]
        languages.items.append(
            FacetItem(
                language_name(code),
                row["count"],
                url_with(params, language=code),
                params.get("language") == code,
            )
        )

    kinds = Facet("type", _("Article types"))
    kind_labels = dict(Article.Kind.choices)
    for row in plain.values("kind").annotate(count=Count("pk")).order_by("-count", "kind"):
        kinds.items.append(
            FacetItem(
                str(kind_labels.get(row["kind"], row["kind"])),
                row["count"],
                url_with(params, type=row["kind"]),
                params.get("type") == row["kind"],
            )
        )

    return [actors, states, topics, outlets, languages, kinds, period_facet(plain, params)]


def period_facet(articles, params: QueryDict) -> Facet:
    """Years; or the months of a year once the dates are narrowed to one year."""
    after, before = valid_date(params.get("date_after")), valid_date(params.get("date_before"))
    dated = articles.exclude(published_on=None)
    if after and before and after.year == before.year:
        facet = Facet("month", _("Months"))
        rows = (
            dated.annotate(month=ExtractMonth("published_on"))
            .values("month")
            .annotate(count=Count("pk"))
            .order_by("month")
        )
        year = after.year
        for row in rows:
            first = datetime.date(year, row["month"], 1)
            last = first.replace(day=calendar.monthrange(year, first.month)[1])
            facet.items.append(
                FacetItem(
                    first.isoformat()[:7],
                    row["count"],
                    url_with(params, date_after=first.isoformat(), date_before=last.isoformat()),
                    after == first and (before.year, before.month) == (year, first.month),
                )
            )
        return facet
    facet = Facet("year", _("Years"))
    rows = (
        dated.annotate(year=ExtractYear("published_on"))
        .values("year")
        .annotate(count=Count("pk"))
        .order_by("-year")
    )
    for row in rows:
        year = row["year"]
        facet.items.append(
            FacetItem(
                str(year),
                row["count"],
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
