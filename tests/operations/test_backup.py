"""Backups: ``backup_database`` then ``restore_database`` give back every table, row for row.

Runs on whichever database the run uses. The data must be committed for pg_dump (another
connection) to see it, hence ``transaction=True``: pytest-django runs this after the
rolled-back tests, and flushes the database at its end.
"""

import datetime
import gzip
import hashlib
import io
import json
import re
import sqlite3
import stat
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from psycopg import sql

from actors.models import Actor
from articles.management.commands.backup_database import libpq_params
from articles.models import Article
from articles.seeds import load_seeds

STAMP = r"newsarchive-\d{8}T\d{6}Z"


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


# ---- what a database holds, table by table


def postgresql_state(params: dict) -> dict:
    """Every table's row count and ordered row digest, the indexes, triggers and sequences."""
    with psycopg.connect(**params) as conn:
        # Timestamps print in the session's zone: the same on both sides.
        conn.execute("SET TIME ZONE 'UTC'")
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        state = {"tables": {}}
        for name in tables:
            query = sql.SQL(
                "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"
                " FROM {} AS t"
            ).format(sql.Identifier(name))
            state["tables"][name] = conn.execute(query).fetchone()
        state["indexes"] = conn.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = 'public' ORDER BY 1, 2"
        ).fetchall()
        state["triggers"] = conn.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
            "WHERE NOT tgisinternal ORDER BY 1, 2"
        ).fetchall()
        state["sequences"] = conn.execute(
            "SELECT sequencename, last_value FROM pg_sequences "
            "WHERE schemaname = 'public' ORDER BY 1"
        ).fetchall()
        state["extensions"] = conn.execute("SELECT extname FROM pg_extension ORDER BY 1").fetchall()
    return state


def sqlite_state(cursor) -> dict:
    """Every table's row count and ordered row digest, and the schema as SQLite stores it."""
    cursor.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
    schema = cursor.fetchall()
    state = {"schema": schema, "tables": {}}
    for kind, name, _table, _sql in schema:
        if kind != "table":
            continue
        cursor.execute(f'PRAGMA table_info("{name}")')
        columns = [row[1] for row in cursor.fetchall()]
        # quote() turns every value into its SQL literal: no type conversion on either side.
        literal = " || ',' || ".join(f'quote("{column}")' for column in columns)
        cursor.execute(f'SELECT {literal} FROM "{name}"')
        rows = sorted(row[0] for row in cursor.fetchall())
        state["tables"][name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return state


class Target:
    """An empty database to restore into, gone after the test."""

    def __init__(self, tmp_path: Path):
        source = connection.settings_dict
        if connection.vendor == "postgresql":
            self.params = libpq_params(source, f"na_restore_{uuid.uuid4().hex[:12]}")
            auth = quote(self.params["user"]) + (
                f":{quote(self.params['password'])}" if "password" in self.params else ""
            )
            self.url = (
                f"postgres://{auth}@{self.params.get('host', 'localhost')}:"
                f"{self.params.get('port', '5432')}/{self.params['dbname']}"
            )
        else:
            self.path = tmp_path / "restored.sqlite3"
            self.url = f"sqlite:///{self.path}"

    def state(self) -> dict:
        if connection.vendor == "postgresql":
            return postgresql_state(self.params)
        conn = sqlite3.connect(self.path)
        try:
            return sqlite_state(conn.cursor())
        finally:
            conn.close()

    def execute(self, statement: str) -> None:
        if connection.vendor == "postgresql":
            with psycopg.connect(**self.params) as conn:
                conn.execute(statement)
        else:
            conn = sqlite3.connect(self.path)
            with conn:
                conn.execute(statement)
            conn.close()

    def drop(self) -> None:
        if connection.vendor != "postgresql":
            return
        with psycopg.connect(autocommit=True, **{**self.params, "dbname": "postgres"}) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(self.params["dbname"])
                )
            )


def source_state() -> dict:
    if connection.vendor == "postgresql":
        return postgresql_state(libpq_params(connection.settings_dict))
    with connection.cursor() as cursor:
        return sqlite_state(cursor)


@pytest.fixture
def target(tmp_path):
    target = Target(tmp_path)
    yield target
    target.drop()


@pytest.fixture
def archive_content(transactional_db):
    """The seeds, an editor, and an article whose text the dump must escape."""
    load_seeds()
    get_user_model().objects.create_user("sauvegarde-éditrice", password="restore-pass-1")
    Article.objects.create(
        title="Tab\there, backslash \\ and a quote ' in the title",
        body="Line one\nline two\r\nשלום, سلام, \\N is not null.\n\n\x7f end",
        language="en",
        published_on=datetime.date(2025, 4, 12),
        source_url="https://example.org/backup/escaping",
    )


# ---- the tests


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_every_table_row_for_row(archive_content, target, tmp_path):
    backups = tmp_path / "backups"
    output = run("backup_database", directory=backups)

    extension = ".dump" if connection.vendor == "postgresql" else ".sqlite3"
    (database_file,) = backups.glob(f"*{extension}")
    (archive_file,) = backups.glob("*.archive.jsonl.gz")
    assert re.fullmatch(STAMP + re.escape(extension), database_file.name)
    assert archive_file.name == database_file.name.removesuffix(extension) + ".archive.jsonl.gz"
    assert f"make restore BACKUP={database_file}" in output
    assert not list(backups.glob("*.partial"))
    # Password hashes and sessions are in there: the owner's eyes only.
    assert stat.S_IMODE(backups.stat().st_mode) == 0o700
    for path in (database_file, archive_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    # The archive export next to it is the database-independent copy of the same data.
    with gzip.open(archive_file, "rt", encoding="utf-8") as handle:
        header = json.loads(handle.readline())
    assert header["format"] == "newsarchive-archive"
    articles = Article.objects.count()
    assert header["counts"]["articles.article"] == articles >= 2
    assert header["counts"]["actors.actor"] == Actor.objects.count() > 300

    before = source_state()
    assert len(before["tables"]) > 40
    assert before["tables"]["articles_article"][0] == articles
    assert before["tables"]["articles_historicalarticle"][0] >= articles
    assert before["tables"]["auth_user"][0] == get_user_model().objects.count() >= 1

    output = run("restore_database", str(database_file), database_url=target.url)
    assert "Restored" in output and "replacing" not in output
    assert target.state() == before

    # A database that holds anything is left alone, with a message that says why and how.
    target.execute("CREATE TABLE leftover (id integer)")
    target.execute("DELETE FROM articles_quote")
    changed = target.state()
    assert changed != before
    with pytest.raises(CommandError) as refusal:
        run("restore_database", str(database_file), database_url=target.url)
    message = str(refusal.value)
    assert "is not empty" in message
    assert f"articles_article: {articles:,} rows" in message
    assert "Nothing was changed" in message and "FORCE=1" in message
    assert target.state() == changed

    # --force replaces everything, the table the backup does not know included.
    output = run("restore_database", str(database_file), database_url=target.url, force=True)
    assert "replacing everything it held" in output
    assert target.state() == before


@pytest.mark.parametrize(
    ("head", "message"),
    [
        (b"\x1f\x8b\x08\x00", "is an archive export, not a database backup"),
        (b'{"format": "newsarchive-archive"}\n', "is an archive export"),
        (b"not a backup at all", "neither a pg_dump custom-format file nor a SQLite database"),
    ],
)
def test_restore_names_what_it_cannot_restore(tmp_path, head, message):
    backup = tmp_path / "backup"
    backup.write_bytes(head)
    with pytest.raises(CommandError, match=message):
        run("restore_database", str(backup), database_url=f"sqlite:///{tmp_path / 'db'}")
    assert not (tmp_path / "db").exists()


def test_restore_refuses_a_backup_of_the_other_kind_of_database(tmp_path):
    backup = tmp_path / "newsarchive.dump"
    backup.write_bytes(b"PGDMP\x01\x0e\x00")
    with pytest.raises(CommandError) as error:
        run("restore_database", str(backup), database_url=f"sqlite:///{tmp_path / 'db'}")
    assert "is a PostgreSQL backup, but the target is SQLite" in str(error.value)
    assert "import_archive" in str(error.value)
    assert not (tmp_path / "db").exists()


def test_restore_of_a_missing_file_says_so(tmp_path):
    with pytest.raises(CommandError, match="Cannot read the backup"):
        run("restore_database", str(tmp_path / "nothing.dump"))
