"""Restore a backup written by ``backup_database`` into the configured database.

A ``.dump`` (pg_dump custom format) goes into PostgreSQL, in one transaction: if
anything fails, the database is left as it was. A ``.sqlite3`` copy goes into SQLite
through the online backup API. A database that already holds tables is refused unless
``--force`` (``make restore FORCE=1``), which replaces everything in it. See
docs/deployment.md, "Backups".
"""

import sqlite3
import subprocess
import tempfile
from pathlib import Path

import dj_database_url
import psycopg
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from articles.caching import clear_cache

from .backup_database import (
    describe,
    ensure_database,
    is_postgresql,
    is_sqlite,
    libpq_env,
    libpq_params,
    postgres_tool,
)

PG_DUMP_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"
GZIP_MAGIC = b"\x1f\x8b"
# A few tables that tell an operator what a refused restore would have overwritten.
TELLING_TABLES = ("articles_article", "actors_actor", "actors_talk", "auth_user")
# How long a forced restore waits for the running site to let go of the tables.
LOCK_TIMEOUT = "10s"


class Command(BaseCommand):
    help = (
        "Restore BACKUP (a .dump from PostgreSQL or a .sqlite3 copy, written by "
        "backup_database) into the configured database, which must hold no tables unless "
        "--force is given. A missing PostgreSQL database is created."
    )
    # The target may not exist yet: nothing may connect to it before the command does.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("backup", type=Path, help="The .dump or .sqlite3 file.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace whatever the database holds (every table, history and users too).",
        )
        parser.add_argument(
            "--database-url",
            help="Restore into this database instead of the configured one (DATABASE_URL).",
        )

    def handle(self, *args, backup, force, database_url, **options):
        settings_dict = (
            dj_database_url.parse(database_url)
            if database_url
            else connections[DEFAULT_DB_ALIAS].settings_dict
        )
        kind = backup_kind(backup)
        if kind == "PostgreSQL" and is_postgresql(settings_dict):
            self.restore_postgresql(backup, settings_dict, force)
        elif kind == "SQLite" and is_sqlite(settings_dict):
            self.restore_sqlite(backup, settings_dict, force)
        else:
            raise CommandError(
                f"{backup} is a {kind} backup, but the target is {describe(settings_dict)}. "
                "Nothing was changed. Set DATABASE_URL to a database of the same kind; to move "
                "between PostgreSQL and SQLite, restore the archive export instead "
                "(manage.py migrate, then manage.py import_archive FILE.archive.jsonl.gz)."
            )
        # The restored archive version may be one that cached pages of the old data carry.
        clear_cache()

    def restore_postgresql(self, backup: Path, settings_dict, force: bool) -> None:
        created = ensure_database(settings_dict)
        if created:
            self.stdout.write(f"Created {describe(settings_dict)}.")
        tables = postgresql_tables(settings_dict)
        if tables and not force:
            raise self.refusal(settings_dict, tables)
        command = [
            postgres_tool("psql"),
            "--no-psqlrc",
            "--quiet",
            "--set=ON_ERROR_STOP=1",
            "--single-transaction",
        ]
        if tables:
            # In the same transaction as the restore: a failed restore drops nothing.
            command += [
                f"--command=SET lock_timeout = '{LOCK_TIMEOUT}'",
                "--command=DROP SCHEMA public CASCADE",
                "--command=CREATE SCHEMA public",
                "--command=GRANT USAGE ON SCHEMA public TO PUBLIC",
            ]
        command += ["--file=-"]
        env = libpq_env(settings_dict)
        # Objects are owned by the user restoring them, the site's own user, whatever
        # roles the source server had.
        with tempfile.TemporaryFile() as reader_errors:
            reader = subprocess.Popen(
                [postgres_tool("pg_restore"), "--no-owner", "--no-privileges", "--file=-", backup],
                stdout=subprocess.PIPE,
                stderr=reader_errors,
                env=env,
            )
            writer = subprocess.run(
                command, stdin=reader.stdout, capture_output=True, text=True, env=env
            )
            reader.stdout.close()
            reader.wait()
            reader_errors.seek(0)
            reader_message = reader_errors.read().decode(errors="replace").strip()
        if reader.returncode or writer.returncode:
            lock_hint = (
                "\nThe running site still holds the tables: stop it (make serve) and run again."
                if "lock timeout" in writer.stderr
                else ""
            )
            details = "\n".join(filter(None, [reader_message, writer.stderr.strip()]))
            raise CommandError(
                f"The restore of {backup} into {describe(settings_dict)} failed; the database "
                f"was left as it was.\n{details}{lock_hint}"
            )
        self.report(backup, settings_dict, replaced=bool(tables))

    def restore_sqlite(self, backup: Path, settings_dict, force: bool) -> None:
        target = Path(settings_dict["NAME"])
        tables = sqlite_tables(target)
        if tables and not force:
            raise self.refusal(settings_dict, tables)
        source = sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)
        try:
            problems = [row[0] for row in source.execute("PRAGMA quick_check")]
            if problems != ["ok"]:
                raise CommandError(
                    f"{backup} is damaged ({'; '.join(problems[:3])}); nothing was changed."
                )
            target.parent.mkdir(parents=True, exist_ok=True)
            destination = sqlite3.connect(target)
            try:
                # One step, under the destination's write lock: readers see the old
                # database or the restored one, never a mix.
                source.backup(destination)
            finally:
                destination.close()
        finally:
            source.close()
        self.report(backup, settings_dict, replaced=bool(tables))

    def refusal(self, settings_dict, tables: dict[str, int | None]) -> CommandError:
        telling = ", ".join(
            f"{name}: {tables[name]:,} row{'' if tables[name] == 1 else 's'}"
            for name in TELLING_TABLES
            if tables.get(name) is not None
        )
        return CommandError(
            f"{describe(settings_dict)} is not empty: {len(tables)} tables"
            + (f" ({telling})" if telling else "")
            + ". Nothing was changed. To replace everything in it with the backup, run again "
            "with FORCE=1 (make restore) or --force; or restore into a new database by setting "
            "DATABASE_URL to one that does not exist yet (it is created)."
        )

    def report(self, backup: Path, settings_dict, replaced: bool) -> None:
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {backup} into {describe(settings_dict)}"
                + (", replacing everything it held." if replaced else ".")
            )
            + "\nmake serve (or manage.py migrate) applies the migrations newer than the backup."
        )


def backup_kind(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise CommandError(f"Cannot read the backup: {error}") from error
    if head.startswith(PG_DUMP_MAGIC):
        return "PostgreSQL"
    if head == SQLITE_MAGIC:
        return "SQLite"
    if head.startswith(GZIP_MAGIC) or head.startswith(b"{"):
        raise CommandError(
            f"{path} is an archive export, not a database backup. Restore it with "
            "manage.py migrate, then manage.py import_archive (docs/archive.md)."
        )
    raise CommandError(f"{path} is neither a pg_dump custom-format file nor a SQLite database.")


def postgresql_tables(settings_dict) -> dict[str, int | None]:
    """Every table of the database's own schemas; the row count of the telling ones."""
    with psycopg.connect(**libpq_params(settings_dict)) as conn:
        names = [
            name
            for (name,) in conn.execute(
                "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            )
        ]
        tables: dict[str, int | None] = {name.removeprefix("public."): None for name in names}
        for name in TELLING_TABLES:
            if name in tables:
                (tables[name],) = conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()
    return tables


def sqlite_tables(path: Path) -> dict[str, int | None]:
    if not path.exists():
        return {}
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        names = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        tables: dict[str, int | None] = dict.fromkeys(names)
        for name in TELLING_TABLES:
            if name in tables:
                (tables[name],) = conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()
    finally:
        conn.close()
    return tables
