"""The in-process half of bench_pages.py: which URLs to load, and what each costs in SQL.

Run by bench_pages.py with the environment of the server it measures (same DATABASE_URL,
SECRET_KEY and DEBUG=0), so that the admin session it opens is valid on that server:

    DATABASE_URL=... SECRET_KEY=... DEBUG=0 python benchmarks/page_probe.py OUT.json
    DATABASE_URL=... SECRET_KEY=... DEBUG=0 python benchmarks/page_probe.py OUT.json --cookie-only

It picks the URLs of every page family from the data (deterministically: the same database
gives the same URLs), requests a few of each family under ``CaptureQueriesContext`` (twice,
so that the second request, warm, is counted; once when the page takes seconds), takes the
slowest query as the page's main query, and runs it again directly in PostgreSQL under
``EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)``: its execution time is the page's floor. The JSON it
writes holds the families with their paths, the admin cookie and, per probed URL, the
counts, the main query, the floor and the plan.
"""

import itertools
import json
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The probe requests a few URLs of each family; bench_pages.py loads all of them.
PROBED_PER_FAMILY = int(os.environ.get("BENCH_PROBE_URLS") or 3)
FLOOR_RUNS = 3
ONE_RUN_MS = 5000
# A query that runs longer is cancelled, in the page and in EXPLAIN ANALYZE: the probe of a
# million articles must end, and such a query misses every target by far anyway.
TIMEOUT_MS = int(os.environ.get("BENCH_PROBE_TIMEOUT_MS") or 120_000)
SAMPLE_ARTICLES = 20
BENCH_USER = "benchmark-admin"


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsarchive.settings")
    import django

    django.setup()
    from django.db.backends.signals import connection_created

    connection_created.connect(set_timeout)


def set_timeout(sender, connection, **kwargs):
    with connection.cursor() as cursor:
        cursor.execute(f"SET statement_timeout = {TIMEOUT_MS}")


def stride_sample(queryset, count: int):
    """``count`` rows spread evenly over the primary keys of ``queryset``, one index probe each."""
    from django.db.models import Max, Min

    bounds = queryset.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return []
    low, high = bounds["low"], bounds["high"]
    picked = {}
    for step in range(count):
        start = low + (high - low) * step // max(count, 1)
        row = queryset.filter(pk__gte=start).order_by("pk").first()
        if row is not None:
            picked[row.pk] = row
    return list(picked.values())


def match_count(text: str, limit: int) -> int:
    """How many published articles the search matches, counting up to ``limit``.

    The page's own match in each language, without its alternative "or the query names an
    actor": that OR keeps PostgreSQL off the GIN index, and on a million articles each of
    the few dozen candidates would cost a sequential scan.
    """
    from django.db import connection

    from articles.search import DEFAULT_CONFIG, SEARCH_CONFIGS

    matches = [
        f"(language = '{language}' AND search_vector @@ websearch_to_tsquery('{config}', %(q)s))"
        for language, config in SEARCH_CONFIGS.items()
    ]
    others = ", ".join(f"'{language}'" for language in SEARCH_CONFIGS)
    matches.append(
        f"(language NOT IN ({others}) "
        f"AND search_vector @@ websearch_to_tsquery('{DEFAULT_CONFIG}', %(q)s))"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT 1 FROM articles_article WHERE status = 'published' "
            f"AND ({' OR '.join(matches)}) LIMIT %(limit)s) AS found",
            {"q": text, "limit": limit},
        )
        return cursor.fetchone()[0]


def rare_terms(articles, total: int, wanted: int = 2) -> list[str]:
    """Words of the sampled articles that few published articles match.

    The generated corpus may reuse a small vocabulary: the candidates are long words, tried
    in a fixed order, and the rarest found are kept even if none is truly rare.
    """
    words = {}
    for article in articles:
        for word in re.findall(r"[^\W\d_]{8,}", f"{article.title} {article.body}"):
            words.setdefault(word.lower(), None)
    candidates = sorted(words, key=lambda word: (hash_word(word), word))[:30]
    limit = max(5, total // 20000)
    counted = []
    for word in candidates:
        count = match_count(word, 10 * limit)
        if 1 <= count <= limit:
            counted.append((count, word))
            if len(counted) >= wanted:
                break
        elif count:
            counted.append((count, word))
    counted.sort()
    return [word for _count, word in counted[:wanted]]


def hash_word(word: str) -> int:
    # Python's str hash changes per process; this one does not.
    value = 0
    for char in word:
        value = (value * 131 + ord(char)) % 1_000_003
    return value


def phrase_terms(articles, wanted: int = 2) -> list[str]:
    """Two-word phrases taken from the sampled English articles that several articles share."""
    phrases = []
    for article in articles:
        if article.language != "en":
            continue
        words = re.findall(r"[^\W\d_]{4,}", article.body)
        for first, second in zip(words[5::17], words[6::17], strict=False):
            phrase = f'"{first.lower()} {second.lower()}"'
            if phrase not in phrases:
                phrases.append(phrase)
    found = []
    for phrase in phrases[:20]:
        if match_count(phrase, 2) >= 2:
            found.append(phrase)
            if len(found) >= wanted:
                break
    return found or phrases[:1]


def families() -> tuple[list[dict], dict]:
    """Every page family of the benchmark with its paths, picked from the data, and the
    facts the choice rests on."""
    from django.db.models import Count, Exists, Max, OuterRef
    from django.urls import reverse
    from django.utils.encoding import iri_to_uri

    from actors.models import Actor, Talk
    from articles.models import Article, ArticleActor, Outlet, Topic
    from articles.views import RELATIONS

    published = Article.objects.published()
    total = published.count()
    articles = stride_sample(published, SAMPLE_ARTICLES)
    latest = published.aggregate(latest=Max("published_on"))["latest"]
    year = latest.year if latest else 2024
    half_year = (f"{year}-01-01", f"{year}-06-30")
    if latest and latest.month < 7:
        half_year = (f"{year - 1}-07-01", f"{year - 1}-12-31")

    top_actors = list(
        ArticleActor.objects.confirmed()
        .exclude(actor__kind=Actor.Kind.STATE)
        .values("actor_id")
        .annotate(count=Count("id"))
        .order_by("-count", "actor_id")[:6]
    )
    actors = Actor.objects.in_bulk([row["actor_id"] for row in top_actors])
    top = [actors[row["actor_id"]] for row in top_actors]
    states = Actor.objects.states().in_bulk(["iran", "israel", "united-states"], field_name="slug")
    state = states.get("iran") or Actor.objects.states().order_by("pk").first()
    topic_rows = list(
        Article.topics.through.objects.values("topic_id")
        .annotate(count=Count("id"))
        .order_by("-count", "topic_id")[:3]
    )
    topics = Topic.objects.in_bulk([row["topic_id"] for row in topic_rows])
    top_topics = [topics[row["topic_id"]] for row in topic_rows]
    top_outlet = Outlet.objects.annotate(count=Count("articles")).order_by("-count", "pk").first()
    languages = [
        row["language"]
        for row in published.values("language").annotate(n=Count("pk")).order_by("-n")[:2]
    ]
    rare = rare_terms(articles, total)
    phrases = phrase_terms(articles)
    sampled_actors = stride_sample(
        Actor.objects.filter(Exists(ArticleActor.objects.filter(actor=OuterRef("pk")))), 12
    )
    talks = stride_sample(Talk.objects.published(), 12)

    def articles_url(**params):
        from urllib.parse import urlencode

        return reverse("articles:list") + "?" + urlencode(params, doseq=True)

    one_actor = [articles_url(actor=actor.slug) for actor in top[:4]]
    two_actors = [
        articles_url(actor=[first.slug, second.slug], actor_mode="all")
        for first, second in itertools.pairwise(top[:4])
    ]
    state_dates = [
        articles_url(state=state.slug, date_after=half_year[0], date_before=half_year[1])
    ]
    topic_language = [
        articles_url(topic=topic.slug, language=language)
        for topic in top_topics
        for language in languages
    ]
    narrow = {"type": "report", "date_after": half_year[0], "date_before": half_year[1]}
    if top_outlet:
        narrow["outlet"] = top_outlet.slug
    relation_paths = [
        reverse("actors:relation", args=[a, b]) for a, b in RELATIONS if a in states and b in states
    ]
    actor_pages = [actor.get_absolute_url() for actor in [*top[:2], *sampled_actors]]
    api = [
        reverse("api:article-list")
        + f"?language={languages[0]}&date_after={half_year[0]}"
        + (f"&topic={top_topics[0].slug}" if top_topics else ""),
        *(reverse("api:article-list") + f"?actor={actor.slug}&page_size=20" for actor in top[:2]),
    ]
    admin = [reverse("admin:articles_article_changelist") + "?q=Iran"] + [
        reverse("admin:articles_article_changelist") + f"?q={word}" for word in rare[:1]
    ]
    found = [
        ("home", "home", ["/"]),
        ("list", "article list, unfiltered", [reverse("articles:list")]),
        ("actor1", "list by one actor", one_actor),
        ("actor2", "list by two actors (all)", two_actors),
        ("state_dates", "list by state + date range", state_dates),
        ("topic_lang", "list by topic + language", topic_language),
        ("fts_rare", "search, rare term", [articles_url(q=word) for word in rare]),
        ("fts_common", 'search, common term "Iran"', [articles_url(q="Iran")]),
        ("fts_phrase", "search, phrase", [articles_url(q=phrase) for phrase in phrases]),
        ("facets_broad", "facets, broad set", [articles_url(language=languages[0])]),
        ("facets_narrow", "facets, narrow set", [articles_url(**narrow)]),
        ("article", "article page", [article.get_absolute_url() for article in articles]),
        ("actor", "actor page", list(dict.fromkeys(actor_pages))),
        ("talk", "talk page", [talk.get_absolute_url() for talk in talks]),
        ("relation", "relation page", relation_paths),
        ("api", "API list with filters", api),
        ("admin", "admin changelist with a search", admin),
    ]
    # Slugs may hold any letter: the paths go on the wire percent-encoded.
    chosen = [
        {"key": key, "label": label, "paths": [iri_to_uri(path) for path in paths]}
        for key, label, paths in found
        if paths
    ]
    return chosen, {
        "articles": total,
        "year_range": half_year,
        "rare_terms": rare,
        "phrases": phrases,
        "top_actors": [actor.slug for actor in top],
        "top_topics": [topic.slug for topic in top_topics],
        "top_outlet": top_outlet.slug if top_outlet else None,
        "languages": languages,
        "state": state.slug,
        "sample_article_ids": [article.pk for article in articles],
        "sample_actor_ids": [actor.pk for actor in [*top[:2], *sampled_actors]],
    }


def admin_cookie(client) -> str:
    from django.conf import settings
    from django.contrib.auth import get_user_model

    user, _created = get_user_model().objects.get_or_create(
        username=BENCH_USER, defaults={"is_staff": True, "is_superuser": True}
    )
    if not user.is_superuser or user.has_usable_password():
        user.is_staff = user.is_superuser = True
        user.set_unusable_password()
        user.save()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def explain(sql: str) -> dict:
    """The plan and execution time of ``sql`` run directly in PostgreSQL, outside Django.

    A query slower than ``ONE_RUN_MS`` runs once: on a million articles a page's main query
    may take a minute, and three of them per URL would make the probe last hours.
    """
    import psycopg
    from django.db import connection

    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
        autocommit=True,
    ) as database:
        database.execute(f"SET statement_timeout = {TIMEOUT_MS}")
        analyze = f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}"
        runs = []
        try:
            while len(runs) < FLOOR_RUNS:
                (result,) = database.execute(analyze).fetchone()
                runs.append(result[0])
                if runs[0]["Execution Time"] > ONE_RUN_MS:
                    break
        except psycopg.errors.QueryCanceled:
            estimated = database.execute(f"EXPLAIN (FORMAT JSON) {sql}").fetchone()[0][0]
            return {
                "floor_ms": None,
                "floor_timeout_ms": TIMEOUT_MS,
                "plan": "\n".join(plan_lines(estimated["Plan"])),
            }
    median = sorted(runs, key=lambda run: run["Execution Time"])[len(runs) // 2]
    return {
        "floor_ms": median["Execution Time"],
        "planning_ms": median["Planning Time"],
        "floor_runs": len(runs),
        "plan": "\n".join(plan_lines(median["Plan"])),
    }


def plan_lines(node: dict, depth: int = 0) -> list[str]:
    """A plan in FORMAT JSON as indented text, with what tells where the time goes."""
    what = node["Node Type"]
    for key, form in [
        ("Index Name", " using {}"),
        ("Relation Name", " on {}"),
        ("Alias", " {}"),
        ("Subplan Name", " ({})"),
    ]:
        if key in node:
            what += form.format(node[key])
    if "Actual Total Time" in node:
        figures = (
            f"actual {node['Actual Total Time']:.1f} ms, rows {node['Actual Rows']}, "
            f"loops {node['Actual Loops']}; estimated rows {node['Plan Rows']}"
        )
    else:
        figures = f"not run: estimated cost {node['Total Cost']:.0f}, rows {node['Plan Rows']}"
    line = f"{'  ' * depth}-> {what}  ({figures})"
    details = [
        f"{'  ' * depth}     {key}: {node[key]}"
        for key in [
            "Index Cond",
            "Filter",
            "Rows Removed by Filter",
            "Hash Cond",
            "Join Filter",
            "Group Key",
            "Sort Key",
            "Workers Launched",
        ]
        if key in node
    ]
    buffers = node.get("Shared Hit Blocks", 0) + node.get("Shared Read Blocks", 0)
    if buffers:
        details.append(f"{'  ' * depth}     Buffers: {buffers} pages")
    lines = [line, *details]
    for child in node.get("Plans", []):
        lines += plan_lines(child, depth + 1)
    return lines


def probe(client, path: str) -> dict:
    from django.conf import settings
    from django.db import connection
    from django.test import override_settings
    from django.test.utils import CaptureQueriesContext

    started = time.perf_counter()
    result = {"path": path}
    with CaptureQueriesContext(connection) as cold:
        try:
            result["status"] = client.get(path).status_code
        except Exception as error:
            # A cancelled query (TIMEOUT_MS): the queries up to it are still counted.
            result["error"] = f"{type(error).__name__}: {str(error).splitlines()[0]}"
    # Copied now: each request empties the connection's query log that these slice.
    cold_queries = list(cold.captured_queries)
    result["queries_cold"] = len(cold_queries)
    result["page_ms_cold"] = (time.perf_counter() - started) * 1000
    counted = cold_queries
    # The count that matters is the one of a warm process; a page slow enough to be
    # dominated by its SQL is not requested again (its count does not change).
    if result["page_ms_cold"] < ONE_RUN_MS and "error" not in result:
        # The page computed by a warm process (its figures cached), not the copy of the
        # whole page an anonymous reader is served from the cache, timed apart after it.
        started = time.perf_counter()
        with (
            override_settings(PUBLIC_PAGE_CACHE_SECONDS=0),
            CaptureQueriesContext(connection) as computed,
        ):
            result["status"] = client.get(path).status_code
        counted = list(computed.captured_queries)
        result["page_ms_in_process"] = (time.perf_counter() - started) * 1000
        if settings.SESSION_COOKIE_NAME not in client.cookies:  # signed in: never cached
            started = time.perf_counter()
            client.get(path)
            result["page_ms_cached"] = (time.perf_counter() - started) * 1000
    # The main query is the slowest of the first request, before the cache holds the page's
    # figures: a warm page may run only cheap queries, and its floor would then say nothing
    # of the work the database does for it.
    queries = [
        (float(query["time"]) * 1000, query["sql"])
        for query in cold_queries
        if query["sql"].lstrip().upper().startswith(("SELECT", "WITH"))
    ]
    result["queries"] = len(counted)
    result["sql_ms"] = sum(float(query["time"]) * 1000 for query in counted)
    if queries:
        main_ms, main_sql = max(queries)
        result.update({"main_ms_in_process": main_ms, "main_sql": main_sql, **explain(main_sql)})
    return result


def main() -> None:
    setup_django()
    from django.test import Client

    output = Path(sys.argv[1])
    # The public is anonymous: only the admin pages are requested signed in.
    public, editor = Client(), Client()
    cookie = admin_cookie(editor)
    if sys.argv[2:] == ["--cookie-only"]:
        # An earlier probe reused: only its admin session is new (the server's key may be).
        probed = json.loads(output.read_text(encoding="utf-8"))
        output.write_text(json.dumps({**probed, "admin_cookie": cookie}, indent=1))
        return
    found, facts = families()
    for family in found:
        client = editor if family["key"] == "admin" else public
        family["probes"] = [probe(client, path) for path in family["paths"][:PROBED_PER_FAMILY]]
        slowest = max(family["probes"], key=lambda item: item.get("floor_ms") or 0)
        errors = [item["error"] for item in family["probes"] if "error" in item]
        print(
            f"  probed {family['key']:<14} {len(family['paths'])} paths, "
            f"queries {max(item['queries'] for item in family['probes'])}, "
            f"floor {slowest.get('floor_ms') or 0:.1f} ms"
            + (f", errors: {errors}" if errors else ""),
            flush=True,
        )
    output.write_text(
        json.dumps({"families": found, "facts": facts, "admin_cookie": cookie}, indent=1),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
