from itertools import groupby

from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from articles.exports import CHUNK_SIZE, csv_response
from articles.filters import ArticleFilter
from articles.models import Article, ArticleActor
from articles.stats import monthly_activity
from articles.structured_data import json_ld_script, talk_json_ld
from articles.views import active_filters, add_snippets
from newsarchive.pagination import paginate

from .filters import ActorFilter, TalkFilter
from .models import Actor, Talk, TalkParticipant, TalkTopic
from .relations import Relation

CO_MENTIONED = 12


def actor_list(request):
    filterset = ActorFilter(request.GET, queryset=Actor.objects.select_related("state"))
    page = paginate(request, filterset.qs.order_by("name", "pk"), per_page=50)
    return render(
        request,
        "actors/actor_list.html",
        {"filterset": filterset, "page": page, "notices": filterset.notices},
    )


def actor_detail(request, slug):
    actor = get_object_or_404(Actor.objects.select_related("state"), slug=slug)
    mentioning = Article.objects.published().mentioning(actor).select_related("outlet")
    filterset = ArticleFilter(request.GET, queryset=mentioning)
    page = paginate(request, filterset.qs)
    add_snippets(page.object_list, filterset.search_text)
    context = {
        "actor": actor,
        "aliases": actor.aliases.all(),
        "roles": actor.roles.select_related("organization").order_by("-start_date"),
        "holders": actor.positions.select_related("person").order_by("-start_date")[:50],
        "talks": Talk.objects.published()
        .involving(actor)
        .select_related("state_a", "state_b")[:50],
        "filterset": filterset,
        "page": page,
        "notices": filterset.notices,
        "active_filters": active_filters(filterset, request.GET),
        "co_mentioned": co_mentioned(actor),
        "activity": monthly_activity(mentioning),
    }
    return render(request, "actors/actor_detail.html", context)


def co_mentioned(actor: Actor):
    """The actors most often confirmed in the same published articles as ``actor``."""
    articles = Article.objects.published().mentioning(actor).values("pk")
    return list(
        ArticleActor.objects.confirmed()
        .filter(article__in=articles)
        .exclude(actor=actor)
        .values("actor__slug", "actor__name", "actor__kind")
        .annotate(count=Count("article_id", distinct=True))
        .order_by("-count", "actor__name")[:CO_MENTIONED]
    )


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


def relation_detail(request, state_slug, other_slug):
    states = Actor.objects.states().in_bulk([state_slug, other_slug], field_name="slug")
    if state_slug == other_slug or len(states) != 2:
        raise Http404("A relation is between two different states.")
    relation = Relation(states[state_slug], states[other_slug])
    talks = relation.talks()
    articles = relation.articles().select_related("outlet")
    page = paginate(request, articles)
    context = {
        "relation": relation,
        "talks": list(talks.order_by("date")),
        "page": page,
        "topics_by_year": relation.topics_by_year(),
        "activity": monthly_activity(relation.articles(), talks),
    }
    return render(request, "actors/relation_detail.html", context)


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
