from itertools import groupby

from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from articles.archive import CAMEO_COLUMNS, cameo_rows
from articles.caching import archive_version, cache_public_page, cached
from articles.charts import RankedBar, TimelinePoint, ranked_bar_chart, timeline_chart
from articles.exports import CHUNK_SIZE, csv_response
from articles.filters import ArticleFilter
from articles.models import Article, ArticleActor
from articles.stats import activity_context
from articles.structured_data import json_ld_script, talk_json_ld
from articles.views import active_filters, add_snippets
from newsarchive.pagination import paginate

from .filters import ActorFilter, TalkFilter
from .models import Actor, Role, Talk, TalkParticipant, TalkTopic
from .relations import Relation

CO_MENTIONED = 12
#: How many of an actor's latest articles its co-mentioned actors are counted in.
CO_MENTIONED_SAMPLE = 2000
#: How many of a relation's latest talks its page draws and lists.
RELATION_TIMELINE_TALKS = 100


@cache_public_page
def actor_list(request):
    filterset = ActorFilter(request.GET, queryset=Actor.objects.select_related("state"))
    page = paginate(request, filterset.qs.order_by("name", "pk"), per_page=50)
    return render(
        request,
        "actors/actor_list.html",
        {"filterset": filterset, "page": page, "notices": filterset.notices},
    )


@cache_public_page
def actor_detail(request, slug):
    actor = get_object_or_404(Actor.objects.select_related("state"), slug=slug)
    mentioning = Article.objects.published().mentioning(actor).select_related("outlet")
    filterset = ArticleFilter(request.GET, queryset=mentioning)
    page = paginate(request, filterset.qs, count_cap=filterset.count_cap)
    add_snippets(page.object_list, filterset.search_text)
    talks = Talk.objects.published().involving(actor)
    together = co_mentioned(actor)
    # A person holds roles; a state or an organization has office holders (Role's choices):
    # asking for the other kind would be a query that always finds nothing.
    roles = holders = Role.objects.none()
    if actor.kind == Actor.Kind.PERSON:
        roles = actor.roles.select_related("organization").order_by("-start_date")
    elif actor.kind in (Actor.Kind.STATE, Actor.Kind.ORGANIZATION):
        holders = actor.positions.select_related("person").order_by("-start_date")[:50]
    context = {
        "actor": actor,
        "aliases": actor.aliases.all(),
        "roles": roles,
        "holders": holders,
        "talks": talks.select_related("state_a", "state_b")[:50],
        "filterset": filterset,
        "page": page,
        "notices": filterset.notices,
        "active_filters": active_filters(filterset, request.GET),
        "archive_version": archive_version(),
        "co_mentioned": together["rows"],
        "co_mentioned_chart": co_mentioned_chart(actor, together),
        **activity_context(mentioning, talks),
    }
    return render(request, "actors/actor_detail.html", context)


def co_mentioned(actor: Actor) -> dict:
    """The actors most often confirmed in the same published articles as ``actor``, among
    its latest ``CO_MENTIONED_SAMPLE`` (a state is in most of a million articles):
    ``{"articles": how many were read, "rows": [{actor__slug, actor__name, actor__kind,
    count}]}``, counted once per archive version."""
    return cached("co-mentioned", actor.pk, lambda: _count_co_mentioned(actor), stale_ok=True)


def _count_co_mentioned(actor: Actor) -> dict:
    sample = (
        ArticleActor.objects.confirmed()
        .filter(actor=actor, article__status=Article.Status.PUBLISHED)
        .order_by("-article_id")
        .values("article_id")
        .distinct()[:CO_MENTIONED_SAMPLE]  # an article may name it twice, in two roles
    )
    # One query: the actor itself is counted with the others. It is in every article of
    # the sample, so its count is the sample's size, and no other count is larger.
    rows = list(
        ArticleActor.objects.confirmed()
        .filter(article_id__in=sample)
        .values("actor_id", "actor__slug", "actor__name", "actor__kind")
        .annotate(count=Count("article_id", distinct=True))
        .order_by("-count", "actor__name")[: CO_MENTIONED + 1]
    )
    own = next((row for row in rows if row["actor_id"] == actor.pk), None)
    # Left out of the rows only when every row ties with it.
    articles = own["count"] if own else rows[0]["count"] if rows else 0
    others = [row for row in rows if row["actor_id"] != actor.pk][:CO_MENTIONED]
    return {"articles": articles, "rows": others}


def co_mentioned_chart(actor: Actor, together: dict):
    """``co_mentioned`` as ranked bars: each name leads to its actor, each bar to the
    articles that mention both."""
    articles_url = reverse("articles:list")
    bars = [
        RankedBar(
            label=row["actor__name"],
            count=row["count"],
            url=reverse("actors:detail", args=[row["actor__slug"]]),
            bar_url=f"{articles_url}?actor={actor.slug}&actor={row['actor__slug']}",
            bar_label=ngettext(
                "%(count)d article mentions both %(actor)s and %(other)s",
                "%(count)d articles mention both %(actor)s and %(other)s",
                row["count"],
            )
            % {"count": row["count"], "actor": actor.name, "other": row["actor__name"]},
        )
        for row in together["rows"]
    ]
    return ranked_bar_chart(
        bars,
        chart_id="co-mentioned-chart",
        title=_("Actors most often mentioned with %(actor)s") % {"actor": actor.name},
        description=ngettext(
            "Among the latest %(count)d article about %(actor)s, those that also mention "
            "each actor.",
            "Among the latest %(count)d articles about %(actor)s, those that also mention "
            "each actor.",
            together["articles"],
        )
        % {"count": together["articles"], "actor": actor.name},
    )


@cache_public_page
def talk_list(request):
    filterset = TalkFilter(
        request.GET, queryset=Talk.objects.published().select_related("state_a", "state_b", "place")
    )
    page = paginate(request, filterset.qs)
    return render(
        request,
        "actors/talk_list.html",
        {"filterset": filterset, "page": page, "notices": filterset.notices},
    )


@cache_public_page
def talk_detail(request, pk):
    talk = get_object_or_404(
        Talk.objects.visible_to(request.user).select_related("state_a", "state_b", "place"), pk=pk
    )
    topics_by_side = {
        side_id: [link.topic for link in links]
        for side_id, links in groupby(
            talk.talk_topics.select_related("topic").order_by("side_id", "topic__name"),
            key=lambda link: link.side_id,
        )
    }
    reports = list(
        talk.articles.published().select_related("outlet").order_by("language", "-published_on")
    )
    accounts = [
        {
            "state": state,
            "topics": topics_by_side.get(state.pk, []),
            "readouts": [
                article
                for article in reports
                if article.kind in (Article.Kind.READOUT, Article.Kind.STATEMENT)
                and article.outlet
                and article.outlet.country_id == state.pk
            ],
        }
        for state in (talk.state_a, talk.state_b)
    ]
    shared = {topic.pk for topic in topics_by_side.get(talk.state_a_id, [])} & {
        topic.pk for topic in topics_by_side.get(talk.state_b_id, [])
    }
    participants = list(talk.participations.select_related("person", "represents"))
    context = {
        "talk": talk,
        "json_ld": json_ld_script(
            talk_json_ld(
                talk,
                participants,
                reports,
                {topic.pk: topic for side in topics_by_side.values() for topic in side}.values(),
                request.build_absolute_uri,
            )
        ),
        "participants": participants,
        "accounts": accounts,
        "topics_both_sides": shared,
        "press_topics": topics_by_side.get(None, []),
        "reports_by_language": [
            (language, list(items))
            for language, items in groupby(reports, key=lambda article: article.language)
        ],
        "quotes": talk.quotes.filter(article__in=Article.objects.published()).select_related(
            "speaker", "article"
        ),
    }
    return render(request, "actors/talk_detail.html", context)


@cache_public_page
def relation_detail(request, state_slug, other_slug):
    states = Actor.objects.states().in_bulk([state_slug, other_slug], field_name="slug")
    if state_slug == other_slug or len(states) != 2:
        raise Http404("A relation is between two different states.")
    relation = Relation(states[state_slug], states[other_slug])
    context = {
        "relation": relation,
        "talks_section": relation_talks_section(relation),
        "page": paginate(request, relation.articles_to_page().select_related("outlet")),
        "topics_section": relation_topics_section(relation),
        **activity_context(relation.articles(), relation.talks()),
    }
    return render(request, "actors/relation_detail.html", context)


def relation_talks_section(relation: Relation):
    """The relation's latest talks as a timeline and a list, rendered once per archive
    version and language: the same for every visitor, and hundreds of links to draw."""

    def render_section():
        # Drawing every talk made Israel–United States 790 kB of HTML at a million
        # articles; the activity chart already counts them all, the talk list lists them.
        latest = list(relation.talks().order_by("-date", "-pk")[: RELATION_TIMELINE_TALKS + 1])
        total = relation.talks().count() if len(latest) > RELATION_TIMELINE_TALKS else None
        talks = latest[:RELATION_TIMELINE_TALKS][::-1]
        return render_to_string(
            "actors/relation_talks.html",
            {
                "relation": relation,
                "talks": talks,
                "total": total,
                "timeline_chart": relation_timeline(relation, talks),
            },
        )

    return cached("relation-talks", (relation.key, get_language()), render_section)


def relation_topics_section(relation: Relation):
    """The relation's topics year by year, rendered once per archive version and language:
    hundreds of links to draw."""
    return cached(
        "relation-topics-section",
        (relation.key, get_language()),
        lambda: render_to_string(
            "actors/relation_topics.html", {"topics_by_year": relation.topics_by_year()}
        ),
    )


def relation_timeline(relation: Relation, talks):
    """The relation's talks on a time axis, a lane per kind, each point a link to its talk."""
    points = [
        TimelinePoint(
            date=talk.date,
            kind=talk.kind,
            kind_label=talk.get_kind_display(),
            label=_("%(kind)s, %(date)s: %(a)s – %(b)s")
            % {
                "kind": talk.get_kind_display().capitalize(),
                "date": talk_date_label(talk),
                "a": talk.state_a.name,
                "b": talk.state_b.name,
            },
            url=talk.get_absolute_url(),
        )
        for talk in talks
    ]
    return timeline_chart(
        points,
        chart_id="timeline-chart",
        title=_("Talks between %(a)s and %(b)s over time")
        % {"a": relation.state.name, "b": relation.other.name},
        kinds=Talk.Kind.choices,
    )


def talk_date_label(talk: Talk) -> str:
    """The talk's date as precisely as it is known."""
    if talk.date_precision == Talk.DatePrecision.DAY:
        return date_format(talk.date, "DATE_FORMAT")
    if talk.date_precision == Talk.DatePrecision.MONTH:
        return date_format(talk.date, "YEAR_MONTH_FORMAT")
    return str(talk.date.year)


def actor_csv(request):
    filterset = ActorFilter(request.GET, queryset=Actor.objects.select_related("state"))
    actors = filterset.qs.order_by("name", "pk").prefetch_related("aliases")

    def to_row(actor):
        return [
            actor.pk,
            actor.slug,
            actor.name,
            actor.kind,
            actor.state.slug if actor.state else "",
            actor.wikidata_id,
            actor.description,
            ";".join(f"{alias.name} [{alias.language or '*'}]" for alias in actor.aliases.all()),
            request.build_absolute_uri(actor.get_absolute_url()),
        ]

    header = ["id", "slug", "name", "kind", "state", "wikidata", "description", "aliases", "url"]
    return csv_response("actors.csv", header, actors.iterator(chunk_size=CHUNK_SIZE), to_row)


def talk_csv(request):
    filterset = TalkFilter(
        request.GET, queryset=Talk.objects.published().select_related("state_a", "state_b", "place")
    )
    talks = filterset.qs.prefetch_related(
        Prefetch(
            "participations",
            queryset=TalkParticipant.objects.select_related("person", "represents"),
        ),
        Prefetch("talk_topics", queryset=TalkTopic.objects.select_related("topic", "side")),
        Prefetch("articles", queryset=Article.objects.published(), to_attr="public_reports"),
    )

    def to_row(talk):
        return [
            talk.pk,
            talk.slug,
            talk.date.isoformat(),
            talk.date_precision,
            talk.kind,
            talk.cameo_code,
            talk.state_a.slug,
            talk.state_b.slug,
            talk.place.slug if talk.place else "",
            ";".join(f"{p.person.slug}@{p.represents.slug}" for p in talk.participations.all()),
            ";".join(
                f"{t.topic.slug}@{t.side.slug if t.side else 'press'}"
                for t in talk.talk_topics.all()
            ),
            ";".join(str(article.pk) for article in talk.public_reports),
            request.build_absolute_uri(talk.get_absolute_url()),
        ]

    header = [
        "id", "slug", "date", "date_precision", "kind", "cameo_code", "state_a", "state_b",
        "place", "participants", "topics", "reports", "url",
    ]  # fmt: skip
    return csv_response("talks.csv", header, talks.iterator(chunk_size=CHUNK_SIZE), to_row)


def talk_cameo_csv(request):
    """The selected talks as a CAMEO-style event table, for comparison with event datasets."""
    filterset = TalkFilter(request.GET, queryset=Talk.objects.published())
    base_url = request.build_absolute_uri("/")
    return csv_response(
        "talks-cameo.csv",
        CAMEO_COLUMNS,
        cameo_rows(filterset.qs, base_url),
        lambda row: [row[column] for column in CAMEO_COLUMNS],
    )
