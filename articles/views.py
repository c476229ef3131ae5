import datetime
from urllib.parse import urlencode

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from actors.folding import nfc
from actors.models import Actor, Talk
from actors.relations import Relation, with_counts
from newsarchive.pagination import paginate

from .caching import archive_version, cache_public_page
from .changes import public_changes
from .exports import CHUNK_SIZE, csv_response
from .facets import article_facets, url_without
from .filters import ArticleFilter
from .highlighting import linked_html, linked_paragraphs, spans_for
from .models import Article, ArticleActor, Topic
from .search import (
    SNIPPET_WORDS,
    headline_annotations,
    mark_words,
    marked_html,
    query_words,
    uses_postgres_search,
)
from .stats import ACTIVITY_MONTHS, activity_context
from .structured_data import article_json_ld, json_ld_script

RELATIONS = [("israel", "united-states"), ("israel", "iran"), ("iran", "united-states")]


@cache_public_page
def home(request):
    articles = Article.objects.published().select_related("outlet")
    page = paginate(request, articles)
    talks = Talk.objects.published().select_related("state_a", "state_b")[:10]
    context = {
        "page": page,
        "talks": talks,
        "relations": relation_summaries(),
        # The whole archive, over the last three years that have any.
        **activity_context(
            Article.objects.published(), Talk.objects.published(), last_months=ACTIVITY_MONTHS
        ),
    }
    return render(request, "articles/home.html", context)


def relation_summaries():
    """The three relations of the archive with their counts of talks and articles."""
    states = Actor.objects.states().in_bulk(
        [slug for pair in RELATIONS for slug in pair], field_name="slug"
    )
    return with_counts(
        [Relation(states[a], states[b]) for a, b in RELATIONS if a in states and b in states]
    )


@cache_public_page
def article_list(request):
    filterset = ArticleFilter(
        request.GET, queryset=Article.objects.published().select_related("outlet")
    )
    page = paginate(request, filterset.qs, count_cap=filterset.count_cap)
    add_snippets(page.object_list, filterset.search_text)
    context = {
        "filterset": filterset,
        "page": page,
        "facets": article_facets(filterset.qs, request.GET),
        "active_filters": active_filters(filterset, request.GET),
        "notices": filterset.notices,
        # The filter form's lists of states, topics and outlets take longer to render than
        # the rest of the page: it is cached per selection (any page of it) and version.
        "archive_version": archive_version(),
        "selection": url_without(request.GET, "page"),
    }
    return render(request, "articles/article_list.html", context)


def add_snippets(articles, text: str) -> None:
    """Give each article of a page ``title_html`` and ``snippet_html`` with the query marked."""
    articles = list(articles)
    if not text or not articles:
        return
    if uses_postgres_search():
        headlines = {
            row["pk"]: row
            for row in Article.objects.filter(pk__in=[a.pk for a in articles])
            .annotate(**headline_annotations(text))
            .values("pk", "title_headline", "body_headline")
        }
        for article in articles:
            row = headlines.get(article.pk)
            if row:
                article.title_html = marked_html(row["title_headline"] or article.title)
                article.snippet_html = marked_html(row["body_headline"] or "")
        return
    words = query_words(text)
    for article in articles:
        article.title_html = mark_words(article.title, words)
        article.snippet_html = mark_words(article.body, words, SNIPPET_WORDS)


def active_filters(filterset, params):
    """The filters in force, each with a link that removes it."""
    filterset.is_valid()
    data = filterset.form.cleaned_data
    chips = []
    if filterset.search_text:
        chips.append((_("Search"), filterset.search_text, url_without(params, "q")))
    if data.get("actor"):
        for value, actor in filterset.form.fields["actor"].resolved.items():
            chips.append((_("Actor"), actor.name, url_without(params, "actor", value)))
    for key in [
        "state",
        "kind",
        "type",
        "topic",
        "outlet",
        "language",
        "talk",
        "date_after",
        "date_before",
    ]:
        value = data.get(key)
        if value:
            field = filterset.form.fields[key]
            label = (
                dict(getattr(field, "choices", [])).get(value, value)
                if key in {"kind", "type", "language"}
                else value
            )
            chips.append((field.label, label, url_without(params, key)))
    return chips


@cache_public_page
def article_detail(request, pk, slug=None):
    article = get_object_or_404(
        Article.objects.visible_to(request.user).select_related("outlet"), pk=pk
    )
    if slug != article.slug:
        return redirect(article, permanent=True)
    entity_groups = article.entity_groups()
    confirmed = [link for _label, rows in entity_groups for *_, links in rows for link in links]
    context = {
        "title_html": linked_html(
            nfc(article.title), spans_for(confirmed, "title", nfc(article.title))
        ),
        "paragraphs_html": linked_paragraphs(
            article.body, spans_for(confirmed, "body", nfc(article.body))
        ),
        "article": article,
        "entity_groups": entity_groups,
        "json_ld": json_ld_script(
            article_json_ld(article, entity_groups, request.build_absolute_uri)
        ),
        "topics": article.topics.all(),
        "talks": article.talks.visible_to(request.user).select_related("state_a", "state_b"),
        "quotes": article.quotes.select_related("speaker"),
        "related": article.related()[:8],
    }
    return render(request, "articles/article_detail.html", context)


@cache_public_page
def topic_list(request):
    topics = Topic.objects.order_by("name")
    return render(request, "articles/topic_list.html", {"topics": topics})


@cache_public_page
def topic_detail(request, slug):
    topic = get_object_or_404(Topic, slug=slug)
    articles = Article.objects.published().filter(topics=topic)
    filterset = ArticleFilter(request.GET, queryset=articles.select_related("outlet"))
    page = paginate(request, filterset.qs, count_cap=filterset.count_cap)
    talks = Talk.objects.published().filter(pk__in=topic.talks.values("pk"))
    context = {
        "topic": topic,
        "filterset": filterset,
        "page": page,
        "notices": filterset.notices,
        "talks": talks.select_related("state_a", "state_b")[:50],
        "facets": article_facets(filterset.qs, request.GET),
        **activity_context(articles, talks),
    }
    return render(request, "articles/topic_detail.html", context)


def article_csv(request):
    """The articles of the list page's selection, every one of them, as CSV."""
    filterset = ArticleFilter(request.GET, queryset=Article.objects.published())
    # The bodies are not exported: reading them was most of the bytes.
    articles = (
        filterset.qs.defer("body")
        .select_related("outlet")
        .prefetch_related(
            Prefetch(
                "actor_links",
                # Only what the row shows: whole actors (their descriptions) took most of
                # an export's time.
                queryset=ArticleActor.objects.confirmed()
                .select_related("actor")
                .only("article", "actor__slug", "actor__name"),
                to_attr="confirmed_links",
            ),
            "topics",
            Prefetch("talks", queryset=Talk.objects.published(), to_attr="public_talks"),
        )
    )

    def to_row(article):
        actors = dict.fromkeys(link.actor.slug for link in article.confirmed_links)
        return [
            article.pk,
            request.build_absolute_uri(article.get_absolute_url()),
            article.source_url,
            article.title,
            article.outlet.slug if article.outlet else "",
            article.byline,
            article.published_on.isoformat() if article.published_on else "",
            article.language,
            article.kind,
            ";".join(actors),
            ";".join(topic.slug for topic in article.topics.all()),
            ";".join(str(talk.pk) for talk in article.public_talks),
        ]

    return csv_response(
        "articles.csv",
        ARTICLE_CSV_COLUMNS,
        articles.iterator(chunk_size=CHUNK_SIZE),
        to_row,
    )


ARTICLE_CSV_COLUMNS = [
    "id",
    "url",
    "source_url",
    "title",
    "outlet",
    "byline",
    "published",
    "language",
    "type",
    "actors",
    "topics",
    "talks",
]


@cache_public_page
def change_log(request):
    """Corrections to published records, newest first; ``?before=`` pages back in time."""
    before, notices = parse_before(request.GET.get("before", ""))
    changes = public_changes(limit=CHANGES_PER_PAGE + 1, before=before)
    older_url = ""
    if len(changes) > CHANGES_PER_PAGE:
        changes = changes[:CHANGES_PER_PAGE]
        older_url = "?" + urlencode({"before": changes[-1].when.isoformat()})
    context = {"changes": changes, "older_url": older_url, "notices": notices}
    return render(request, "articles/change_log.html", context)


def parse_before(raw: str):
    """Return the aware datetime in ``raw`` (or None) and the notices about it."""
    if not raw:
        return None, []
    try:
        moment = parse_datetime(raw[:40])
        if moment is not None:
            # Compared in UTC, where 0001-01-01T00:00+14:00 is before year 1: an OverflowError.
            moment = moment.replace(tzinfo=moment.tzinfo or datetime.UTC).astimezone(datetime.UTC)
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        return None, [_("Ignored “before”: not a date and time.")]
    return moment, []


CHANGES_PER_PAGE = 50
