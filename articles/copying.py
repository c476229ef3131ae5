"""Create many rows and their history records at once: COPY on PostgreSQL.

An import's batch writes thousands of links. ``bulk_create`` sends them as one INSERT
of arrays, and psycopg quotes each element of those arrays in Python (a regular
expression over every JSON evidence string): that quoting was a third of an import's
linking time. COPY sends the rows as they are. Ids come from the table's own sequence,
reserved in one query beforehand, so the history records can name their rows.

The rows hold what ``bulk_create`` and ``bulk_create_with_history`` would write: each
field's ``pre_save`` (``auto_now_add`` times) and database preparation, then the
values simple_history gives a creation record. Other databases get those two.
"""

from collections.abc import Sequence

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone
from simple_history.utils import (
    bulk_create_with_history,
    get_change_reason_from_object,
    get_history_manager_for_model,
)

#: What simple_history adds to the tracked fields of a model in its history records.
HISTORY_FIELDS = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user_id",
}


def copy_create(objs: Sequence[models.Model], using: str = DEFAULT_DB_ALIAS) -> None:
    """Insert ``objs`` (unsaved instances of one model) and set their primary keys."""
    if not objs:
        return
    connection = connections[using]
    if connection.vendor != "postgresql":
        type(objs[0])._default_manager.using(using).bulk_create(objs)
        return
    meta = type(objs[0])._meta
    fields = meta.concrete_fields
    with connection.cursor() as cursor:
        _reserve_ids(cursor, meta, [obj for obj in objs if obj.pk is None])
        statement = _copy_statement(connection, meta.db_table, fields)
        # The driver's cursor, not Django's: its errors become Django's by hand.
        with connection.wrap_database_errors, cursor.copy(statement) as copy:
            for obj in objs:
                copy.write_row([_prepared(field, obj, connection) for field in fields])
    for obj in objs:
        obj._state.adding, obj._state.db = False, using


def create_with_history(
    objs: Sequence[models.Model], change_reason: str | None = None, using: str = DEFAULT_DB_ALIAS
) -> None:
    """Insert ``objs`` with a creation record ("+") each in their model's history."""
    if not objs:
        return
    model = type(objs[0])
    history = get_history_manager_for_model(model).model
    tracked = history.tracked_fields
    expected = {field.attname for field in tracked} | HISTORY_FIELDS
    connection = connections[using]
    if connection.vendor != "postgresql" or expected != {
        field.attname for field in history._meta.concrete_fields
    }:
        bulk_create_with_history(objs, model, default_change_reason=change_reason)
        return
    with transaction.atomic(using=using, savepoint=False):
        copy_create(objs, using)
        # The records' values straight from their rows: a history instance per row
        # doubled the time this takes. The records' own ids come from their sequence.
        by_name = {field.attname: field for field in history._meta.concrete_fields}
        now = timezone.now()
        columns = [by_name[field.attname] for field in tracked] + [
            by_name[name]
            for name in ("history_date", "history_change_reason", "history_type", "history_user_id")
        ]
        statement = _copy_statement(connection, history._meta.db_table, columns)
        with (
            connection.cursor() as cursor,
            connection.wrap_database_errors,
            cursor.copy(statement) as copy,
        ):
            for obj in objs:
                user = history.get_default_history_user(obj)
                reason = get_change_reason_from_object(obj) or change_reason
                copy.write_row(
                    [
                        field.get_db_prep_save(getattr(obj, field.attname), connection)
                        for field in tracked
                    ]
                    + [now, reason, "+", user.pk if user else None]
                )


def _prepared(field: models.Field, obj: models.Model, connection):
    return field.get_db_prep_save(field.pre_save(obj, True), connection)


def _copy_statement(connection, table: str, fields) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    return f"COPY {quote(table)} ({columns}) FROM STDIN"


def _reserve_ids(cursor, meta, objs: Sequence[models.Model]) -> None:
    if not objs:
        return
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
        [meta.db_table, meta.pk.column, len(objs)],
    )
    for obj, (reserved,) in zip(objs, cursor.fetchall(), strict=True):
        obj.pk = reserved
