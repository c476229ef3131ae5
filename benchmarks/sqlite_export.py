"""The public part of the archive, from PostgreSQL to a SQLite file that Datasette serves.

Used by bench_pages.py; can also be run alone:

    python benchmarks/sqlite_export.py postgres://postgres@127.0.0.1:5432/na_bench_10000 out.db

Published articles, confirmed actor links and the topics of published articles, with every
actor, outlet and topic: what a visitor of the site may see. Rows stream out of PostgreSQL
with ``COPY ... TO STDOUT`` and into SQLite in batches; then the indexes that match the
site's own (date, language, outlet, kind, both ends of each link table) and an FTS5 index on
title and body, declared the way ``sqlite-utils enable-fts`` does it (``content=[articles]``)
so that Datasette finds it and offers ``?_search=``.

A file made from the same database state is reused: the source's article count and latest
change are stored in the ``_bench_source`` table.
"""

import sqlite3
import sys
import time
from pathlib import Path

import psycopg

BATCH = 5000

TABLES = [
    (
        "outlets",
        "id INTEGER PRIMARY KEY, name TEXT, slug TEXT, kind TEXT",
        "SELECT id, name, slug, kind FROM articles_outlet",
    ),
    (
        "actors",
        "id INTEGER PRIMARY KEY, name TEXT, slug TEXT, kind TEXT, "
        "state_id INTEGER REFERENCES actors(id)",
        "SELECT id, name, slug, kind, state_id FROM actors_actor",
    ),
    (
        "topics",
        "id INTEGER PRIMARY KEY, name TEXT, slug TEXT",
        "SELECT id, name, slug FROM articles_topic",
    ),
    (
        "articles",
        "id INTEGER PRIMARY KEY, title TEXT, slug TEXT, body TEXT, kind TEXT, "
        "published_on TEXT, language TEXT, outlet_id INTEGER REFERENCES outlets(id), "
        "byline TEXT, source_url TEXT",
        "SELECT id, title, slug, body, kind, published_on, language, outlet_id, byline, "
        "source_url FROM articles_article WHERE status = 'published'",
    ),
    (
        "article_actors",
        "id INTEGER PRIMARY KEY, article_id INTEGER REFERENCES articles(id), "
        "actor_id INTEGER REFERENCES actors(id), role TEXT",
        "SELECT l.id, l.article_id, l.actor_id, l.role FROM articles_articleactor l "
        "JOIN articles_article a ON a.id = l.article_id "
        "WHERE l.status = 'confirmed' AND a.status = 'published'",
    ),
    (
        "article_topics",
        "id INTEGER PRIMARY KEY, article_id INTEGER REFERENCES articles(id), "
        "topic_id INTEGER REFERENCES topics(id)",
        "SELECT t.id, t.article_id, t.topic_id FROM articles_article_topics t "
        "JOIN articles_article a ON a.id = t.article_id WHERE a.status = 'published'",
    ),
]

INDEXES = [
    "CREATE INDEX articles_published ON articles (published_on DESC, id DESC)",
    "CREATE INDEX articles_language ON articles (language, published_on DESC)",
    "CREATE INDEX articles_outlet ON articles (outlet_id, published_on DESC)",
    "CREATE INDEX articles_kind ON articles (kind, published_on DESC)",
    "CREATE INDEX article_actors_actor ON article_actors (actor_id, article_id)",
    "CREATE INDEX article_actors_article ON article_actors (article_id)",
    "CREATE INDEX article_topics_topic ON article_topics (topic_id, article_id)",
    "CREATE INDEX article_topics_article ON article_topics (article_id)",
    "CREATE INDEX actors_state ON actors (state_id)",
]


def source_fingerprint(database_url: str) -> str:
    with psycopg.connect(database_url) as source:
        count, latest = source.execute(
            "SELECT count(*), max(updated_at) FROM articles_article WHERE status = 'published'"
        ).fetchone()
    return f"{count} published, latest change {latest}"


def is_current(path: Path, fingerprint: str) -> bool:
    if not path.exists():
        return False
    try:
        with sqlite3.connect(path) as target:
            row = target.execute("SELECT fingerprint FROM _bench_source").fetchone()
    except sqlite3.DatabaseError:
        return False
    return bool(row) and row[0] == fingerprint


def export(database_url: str, path: Path, log=print) -> Path:
    """Write the SQLite file at ``path`` unless a current one is there; return the path."""
    fingerprint = source_fingerprint(database_url)
    if is_current(path, fingerprint):
        log(f"  reusing {path} ({fingerprint})")
        return path
    started = time.monotonic()
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    target = sqlite3.connect(partial)
    # A throw-away file, rebuilt from PostgreSQL when interrupted: no journal, no fsync.
    target.execute("PRAGMA journal_mode = OFF")
    target.execute("PRAGMA synchronous = OFF")
    with psycopg.connect(database_url) as source:
        for name, columns, query in TABLES:
            target.execute(f"CREATE TABLE {name} ({columns})")
            placeholders = ", ".join("?" * len(column_names(columns)))
            insert = f"INSERT INTO {name} VALUES ({placeholders})"
            rows = 0
            batch = []
            with source.cursor().copy(f"COPY ({query}) TO STDOUT") as copy:
                for row in copy.rows():
                    batch.append(row)
                    if len(batch) >= BATCH:
                        target.executemany(insert, batch)
                        rows += len(batch)
                        batch.clear()
            target.executemany(insert, batch)
            rows += len(batch)
            target.commit()
            log(f"  {name}: {rows} rows ({time.monotonic() - started:.0f} s)")
    for statement in INDEXES:
        target.execute(statement)
    target.execute(
        "CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, content=[articles], "
        "content_rowid=[id])"
    )
    target.execute("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')")
    target.execute("CREATE TABLE _bench_source (fingerprint TEXT)")
    target.execute("INSERT INTO _bench_source VALUES (?)", [fingerprint])
    target.commit()
    target.execute("ANALYZE")
    target.close()
    partial.replace(path)
    log(f"  exported to {path} in {time.monotonic() - started:.0f} s")
    return path


def column_names(columns: str) -> list[str]:
    return [part.split()[0] for part in columns.split(", ")]


if __name__ == "__main__":
    export(sys.argv[1], Path(sys.argv[2]))
