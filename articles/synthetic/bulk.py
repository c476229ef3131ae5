"""PostgreSQL: set the secondary indexes and foreign keys aside during a large load.

Building a B-tree index once over ten million rows costs a fraction of maintaining it
row by row, and checking a foreign key with one join a fraction of ten million row
checks. The definitions are read from the catalog (``pg_get_indexdef``,
``pg_get_constraintdef``) and written to a file under ``var/`` before anything is
dropped; they are put back after the load, or at the start of the next run if this
one was killed, and the result is compared with what was there before: the schema
ends exactly as it began.
"""

import json
import queue
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, connections

from .loading import ARTICLE_TABLE, LINK_TABLE, REPORT_TABLE, TOPIC_TABLE

TABLES = (ARTICLE_TABLE, LINK_TABLE, TOPIC_TABLE, REPORT_TABLE)
BUILD_MEMORY = "1GB"  # maintenance_work_mem of each connection that builds indexes
BUILDERS = 2  # connections building indexes at once


@dataclass(frozen=True)
class Definition:
    table: str
    name: str
    kind: str  # index, unique (constraint) or foreign key
    sql: str  # CREATE [UNIQUE] INDEX of an index or of a unique constraint's index
    constraint: str = ""  # the constraint's definition, for unique and foreign keys

    def set_aside(self) -> str:
        if self.kind == "index":
            return f"DROP INDEX {self.name}"
        return f"ALTER TABLE {self.table} DROP CONSTRAINT {self.name}"

    def build(self) -> str:
        """What takes long (building an index), run in parallel with other builds."""
        return self.sql if self.kind in ("index", "unique") else ""

    def attach(self) -> str:
        """What comes after every build: the constraints, checked then."""
        if self.kind == "unique":
            deferrable = self.constraint[self.constraint.index(")") + 1 :].strip()
            return (
                f"ALTER TABLE {self.table} ADD CONSTRAINT {self.name} "
                f"UNIQUE USING INDEX {self.name} {deferrable}"
            ).strip()
        if self.kind == "foreign key":
            return f"ALTER TABLE {self.table} ADD CONSTRAINT {self.name} {self.constraint}"
        return ""


def secondary_schema() -> list[Definition]:
    """The indexes and constraints of the loaded tables but primary keys and checks."""
    tables = list(TABLES)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, c.conname, c.contype,
                   coalesce(pg_get_indexdef(c.conindid), ''), pg_get_constraintdef(c.oid)
            FROM pg_constraint c
            WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype IN ('u', 'f')
            ORDER BY 1, 2
            """,
            [tables],
        )
        definitions = [
            Definition(table, name, "unique" if kind == "u" else "foreign key", index, constraint)
            for table, name, kind, index, constraint in cursor.fetchall()
        ]
        cursor.execute(
            """
            SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text,
                   pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = ANY(%s::regclass[])
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY 1, 2
            """,
            [tables],
        )
        definitions += [Definition(table, name, "index", sql) for table, name, sql in cursor]
    return definitions


def pending_file() -> Path:
    name = connection.settings_dict["NAME"]
    return Path(settings.BASE_DIR) / "var" / f"generate_archive-{name}-schema.json"


def set_aside() -> list[Definition]:
    """Drop the secondary indexes and constraints, once their definitions are on disk.

    The GIN index stays: PostgreSQL builds it on one core only, which a large load would
    wait for at its end, while the workers maintain it in parallel as they write."""
    definitions = [d for d in secondary_schema() if " USING gin " not in d.sql]
    path = pending_file()
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps([asdict(definition) for definition in definitions], indent=1))
    with connection.cursor() as cursor:
        settle_deferred_checks(cursor)
        for definition in sorted(definitions, key=lambda d: d.kind != "foreign key"):
            cursor.execute(definition.set_aside())
    return definitions


def settle_deferred_checks(cursor) -> None:
    """Inside a transaction (the tests'), run the foreign key checks it deferred: ALTER
    TABLE refuses a table with checks pending."""
    if connection.in_atomic_block:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def restore_pending() -> bool:
    """Put back what an interrupted run set aside; whether there was anything."""
    path = pending_file()
    if not path.exists():
        return False
    restore([Definition(**entry) for entry in json.loads(path.read_text())])
    return True


def restore(definitions: list[Definition]) -> None:
    """Build the missing indexes, largest table first, then attach the constraints, then
    check that all is as it was."""
    present = set(secondary_schema())
    missing = [definition for definition in definitions if definition not in present]
    builds = [d.build() for d in sorted(missing, key=build_order) if d.build()]
    if connection.in_atomic_block:
        # Other connections would wait on this transaction's locks: build here.
        run_here(builds)
    else:
        run_in_parallel(builds)
    run_here([d.attach() for d in sorted(missing, key=lambda d: d.kind == "foreign key")])
    now = set(secondary_schema())
    lost = [definition.name for definition in definitions if definition not in now]
    if lost:
        raise RuntimeError(f"Not restored as they were: {', '.join(lost)}")
    pending_file().unlink(missing_ok=True)


def build_order(definition: Definition):
    return (definition.table != LINK_TABLE, definition.name)


def run_here(statements) -> None:
    with connection.cursor() as cursor:
        settle_deferred_checks(cursor)
        cursor.execute(f"SET maintenance_work_mem = '{BUILD_MEMORY}'")
        for statement in statements:
            if statement:
                cursor.execute(statement)


def run_in_parallel(statements) -> None:
    pending = queue.Queue()
    for statement in statements:
        pending.put(statement)
    errors = []

    def work():
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"SET maintenance_work_mem = '{BUILD_MEMORY}'")
                while True:
                    try:
                        statement = pending.get_nowait()
                    except queue.Empty:
                        return
                    cursor.execute(statement)
        except Exception as error:  # re-raised in the calling thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(BUILDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
