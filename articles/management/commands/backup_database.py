"""Back up the configured database, and export the archive file next to it.

PostgreSQL: ``pg_dump -Fc`` (every table, history and users included, restorable with
``restore_database``). SQLite: the online backup API, a consistent copy even while the
site writes. Next to either, the database-independent archive file of
``export_archive`` (docs/archive.md). See docs/deployment.md, "Backups".

The libpq helpers below are shared with ``restore_database`` and ``scripts/serve.py``.
"""

import os
import shutil
import sqlite3
import subprocess
from contextlib import contextmanager
from pathlib import Path

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from psycopg import sql

from articles.archive import ArchiveError, export_archive

STAMP_FORMAT = "%Y%m%dT%H%M%SZ"


def is_postgresql(settings_dict) -> bool:
    return settings_dict["ENGINE"] == "django.db.backends.postgresql"


def is_sqlite(settings_dict) -> bool:
    return settings_dict["ENGINE"] == "django.db.backends.sqlite3"


def libpq_params(settings_dict, dbname: str | None = None) -> dict[str, str]:
    """Connection parameters of a PostgreSQL ``DATABASES`` entry, as libpq keywords."""
    options = settings_dict.get("OPTIONS") or {}
    params = {
        "host": settings_dict.get("HOST"),
        "port": settings_dict.get("PORT"),
        "user": settings_dict.get("USER"),
        "password": settings_dict.get("PASSWORD"),
        "dbname": dbname or settings_dict.get("NAME"),
        **{
            key: options.get(key)
            for key in ("service", "passfile", "sslmode", "sslrootcert", "sslcert", "sslkey")
        },
    }
    return {key: str(value) for key, value in params.items() if value}


def libpq_env(settings_dict) -> dict[str, str]:
    """The environment for pg_dump, pg_restore and psql: the database without a password
    on the command line, where other users of the machine could read it."""
    env = dict(os.environ)
    for key, value in libpq_params(settings_dict).items():
        env["PGDATABASE" if key == "dbname" else f"PG{key.upper()}"] = value
    return env


def describe(settings_dict) -> str:
    """The database as an operator knows it, without the password."""
    if is_sqlite(settings_dict):
        return f"SQLite {settings_dict['NAME']}"
    params = libpq_params(settings_dict)
    where = f"{params.get('host', 'localhost')}:{params.get('port', '5432')}"
    return f"PostgreSQL database {params.get('dbname', '?')!r} at {where}"


def ensure_database(settings_dict) -> bool:
    """Create the PostgreSQL database if it does not exist; return True if it was created."""
    name = settings_dict["NAME"]
    try:
        with psycopg.connect(autocommit=True, **libpq_params(settings_dict, "postgres")) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                return False
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    except psycopg.Error as error:
        raise CommandError(f"Cannot create {describe(settings_dict)}: {error}") from error


def postgres_tool(name: str) -> str:
    """The path of pg_dump, pg_restore or psql: PG_BIN first, else the PATH."""
    candidates = [Path(os.environ["PG_BIN"]) / name] if os.environ.get("PG_BIN") else []
    found = shutil.which(name)
    candidates += [Path(found)] if found else []
    for path in candidates:
        if path.is_file():
            return str(path)
    raise CommandError(
        f"{name} was not found. Install the PostgreSQL client (Debian: apt-get install -y "
        "postgresql-client) or set PG_BIN to the folder that holds it."
    )


@contextmanager
def private_files():
    """Files created meanwhile are readable by their owner only: a backup holds the users'
    password hashes and sessions."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def human_size(size: float) -> str:
    unit = "B"
    for bigger in ("kB", "MB", "GB"):
        if size < 1024:
            break
        size, unit = size / 1024, bigger
    return f"{size:,.0f} B" if unit == "B" else f"{size:,.1f} {unit}"


class Command(BaseCommand):
    help = (
        "Back up the database to DIRECTORY/newsarchive-<UTC time>.dump (PostgreSQL, pg_dump "
        "custom format) or .sqlite3 (SQLite online backup), with the archive export "
        "(newsarchive-<UTC time>.archive.jsonl.gz) next to it. Restore with restore_database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--directory",
            type=Path,
            default=settings.VAR_DIR / "backups",
            help="Where to write the files (default: var/backups/).",
        )
        parser.add_argument(
            "--no-archive",
            action="store_true",
            help="Only the database backup, without the archive export.",
        )

    def handle(self, *args, directory, no_archive, **options):
        connection = connections[DEFAULT_DB_ALIAS]
        settings_dict = connection.settings_dict
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        stem = f"newsarchive-{timezone.now().strftime(STAMP_FORMAT)}"
        if is_postgresql(settings_dict):
            target = directory / f"{stem}.dump"
        elif is_sqlite(settings_dict):
            target = directory / f"{stem}.sqlite3"
        else:
            raise CommandError(f"Cannot back up a {connection.vendor} database.")
        archive = directory / f"{stem}.archive.jsonl.gz"
        for path in (target, archive):
            if path.exists():
                raise CommandError(f"{path} already exists; wait a second and run again.")

        partial = target.with_name(target.name + ".partial")
        try:
            with private_files():
                if is_postgresql(settings_dict):
                    self.dump_postgresql(settings_dict, partial)
                else:
                    self.copy_sqlite(connection, partial)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(
            f"Database backup of {describe(settings_dict)}: "
            f"{target} ({human_size(target.stat().st_size)})"
        )

        if not no_archive:
            try:
                with private_files():
                    counts = export_archive(archive)
            except (ArchiveError, OSError) as error:
                raise CommandError(
                    f"The database backup {target} is complete, but the archive export failed: "
                    f"{error}"
                ) from error
            self.stdout.write(
                f"Archive export: {archive} ({human_size(archive.stat().st_size)}, "
                f"{counts.get('articles.article', 0):,} articles)"
            )
        self.stdout.write(self.style.SUCCESS(f"Restore with: make restore BACKUP={target}"))

    def dump_postgresql(self, settings_dict, path: Path) -> None:
        result = subprocess.run(
            [postgres_tool("pg_dump"), "--format=custom", "--file", str(path)],
            env=libpq_env(settings_dict),
            capture_output=True,
            text=True,
        )
        if result.returncode:
            raise CommandError(
                f"pg_dump of {describe(settings_dict)} failed; no backup was written:\n"
                f"{result.stderr.strip()}"
            )

    def copy_sqlite(self, connection, path: Path) -> None:
        # Through Django's own connection, so that an in-memory database (the tests') is
        # copied as well as a file; one step, so the copy is one consistent snapshot.
        connection.ensure_connection()
        destination = sqlite3.connect(path)
        try:
            connection.connection.backup(destination)
        finally:
            destination.close()
