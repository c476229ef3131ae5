from itertools import groupby

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from articles.models import Article

from .models import Actor, Talk


def actor_detail(request, slug):
    actor = get_object_or_404(Actor.objects.select_related("state"), slug=slug)
    articles = Article.objects.published().mentioning(actor).select_related("outlet")
    page = Paginator(articles, settings.ARCHIVE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "actor": actor,
        "aliases": actor.aliases.all(),
        "roles": actor.roles.select_related("organization").order_by("-start_date"),
        "holders": actor.positions.select_related("person").order_by("-start_date")[:50],
        "talks": Talk.objects.published()
        .involving(actor)
        .select_related("state_a", "state_b")[:50],
        "page": page,
    }
    return render(request, "actors/actor_detail.html", context)


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
    accounts = [(state, topics_by_side.get(state.pk, [])) for state in (talk.state_a, talk.state_b)]
    reports = (
        talk.articles.published().select_related("outlet").order_by("language", "-published_on")
    )
    context = {
        "talk": talk,
        "participants": talk.participations.select_related("person", "represents"),
        "accounts": accounts,
        "shared_topics": topics_by_side.get(None, []),
        "reports_by_language": [
            (language, list(items))
            for language, items in groupby(reports, key=lambda a: a.language)
        ],
        "quotes": talk.quotes.filter(article__in=Article.objects.published()).select_related(
            "speaker", "article"
        ),
    }
    return render(request, "actors/talk_detail.html", context)
