"""Writing generated rows: COPY on PostgreSQL, ``bulk_create`` elsewhere."""

import json

from django.db import connection

from actors.models import TalkReport
from articles.models import Article, ArticleActor

ARTICLE_TABLE = Article._meta.db_table
LINK_TABLE = ArticleActor._meta.db_table
TOPIC_TABLE = Article.topics.through._meta.db_table
REPORT_TABLE = TalkReport._meta.db_table
# COPY text format: \\N is NULL, a newline or a backslash inside a value is escaped.
NULL = "\\N"
NEWLINE, ESCAPED_NEWLINE = "\n", "\\n"
BACKSLASH, ESCAPED_BACKSLASH = "\\", "\\\\"


def copy_rows(rows) -> None:
    """COPY one chunk in the caller's transaction; the search trigger fills the vectors."""
    articles = "".join(
        f"{aid}\t{title}\t{slug}\t{body.replace(NEWLINE, ESCAPED_NEWLINE)}\t{kind}\t{url}\t{url}\t"
        f"{outlet}\t{byline}\t{published or NULL}\t{code}\t{status}\t{digest}\t{created}\t"
        f"{created}\n"
        for (
            aid,
            title,
            slug,
            body,
            kind,
            url,
            outlet,
            byline,
            published,
            code,
            status,
            digest,
            created,
        ) in rows.articles
    )
    links = "".join(
        f"{aid}\t{actor}\t{role}\t{status}\t{origin}\t{reviewed or NULL}\t"
        f"{evidence.replace(BACKSLASH, ESCAPED_BACKSLASH)}\t{created}\n"
        for aid, actor, role, status, origin, reviewed, evidence, created in rows.links
    )
    topics = "".join(f"{aid}\t{topic}\n" for aid, topic in rows.topics)
    reports = "".join(f"{talk}\t{aid}\t{created}\n" for talk, aid, created in rows.reports)
    with connection.cursor() as cursor:
        for sql, data in (
            (
                f"COPY {ARTICLE_TABLE} (id, title, slug, body, kind, source_url, canonical_url, "
                "outlet_id, byline, published_on, language, status, content_hash, created_at, "
                "updated_at) FROM STDIN",
                articles,
            ),
            (
                f"COPY {LINK_TABLE} (article_id, actor_id, role, status, origin, reviewed_at, "
                "evidence, created_at) FROM STDIN",
                links,
            ),
            (f"COPY {TOPIC_TABLE} (article_id, topic_id) FROM STDIN", topics),
            (f"COPY {REPORT_TABLE} (talk_id, article_id, created_at) FROM STDIN", reports),
        ):
            if data:
                with cursor.copy(sql) as copy:
                    copy.write(data)


def create_rows(rows, batch_size: int) -> None:
    """Write one chunk with the ORM's bulk inserts (SQLite and other databases)."""
    Article.objects.bulk_create(
        (
            Article(
                id=aid,
                title=title,
                slug=slug,
                body=body,
                kind=kind,
                source_url=url,
                canonical_url=url,
                outlet_id=outlet,
                byline=byline,
                published_on=published,
                language=code,
                status=status,
                content_hash=digest,
                created_at=created,
                updated_at=created,
            )
            for (
                aid,
                title,
                slug,
                body,
                kind,
                url,
                outlet,
                byline,
                published,
                code,
                status,
                digest,
                created,
            ) in rows.articles
        ),
        batch_size=batch_size,
    )
    ArticleActor.objects.bulk_create(
        (
            ArticleActor(
                article_id=aid,
                actor_id=actor,
                role=role,
                status=status,
                origin=origin,
                reviewed_at=reviewed,
                evidence=json.loads(evidence),
                created_at=created,
            )
            for aid, actor, role, status, origin, reviewed, evidence, created in rows.links
        ),
        batch_size=batch_size,
    )
    Article.topics.through.objects.bulk_create(
        (Article.topics.through(article_id=aid, topic_id=topic) for aid, topic in rows.topics),
        batch_size=batch_size,
    )
    TalkReport.objects.bulk_create(
        (TalkReport(talk_id=talk, article_id=aid) for talk, aid, _created in rows.reports),
        batch_size=batch_size,
    )
    # bulk_create stamps the creation times with the present: date them as COPY does.
    first, last = rows.articles[0][0], rows.articles[-1][0]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ARTICLE_TABLE} SET created_at = published_on || ' 09:00:00', "
            "updated_at = published_on || ' 09:00:00' "
            "WHERE id BETWEEN %s AND %s AND published_on IS NOT NULL",
            [first, last],
        )
        cursor.execute(
            f"UPDATE {LINK_TABLE} SET created_at = (SELECT created_at FROM {ARTICLE_TABLE} "
            f"WHERE {ARTICLE_TABLE}.id = article_id) WHERE article_id BETWEEN %s AND %s",
            [first, last],
        )
