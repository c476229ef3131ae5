"""Export the curated archive to one portable file and restore it; the CAMEO-style talk table.

The archive file is JSON Lines, gzip-compressed when its name ends with ``.gz``: a header
line, then one line per row in dependency order (see ``docs/archive.md``)::

    {"format": "newsarchive-archive", "version": 1, "exported_at": "...", "counts": {...}}
    {"model": "actors.actor", "pk": 1, "fields": {"kind": "state", "name": "Israel", ...}}

``SECTIONS`` is the one list of what the file holds and in which order; each model's
fields are its concrete columns, so a column added later is exported without a change
here. Values are written by ``_encode`` and read back by each field's ``to_python``, so
dates, datetimes (to the microsecond), decimals and UUIDs come back exactly. Primary keys
are kept, so the public URLs (``/articles/<id>/...``, ``/talks/<id>/``) survive a restore.

The seed loader's ledger (``SeedEntry``) is included, so that ``load_seeds`` after a
restore does not undo editors' corrections. Left out on purpose: the PostgreSQL
``search_vector`` column (its trigger recomputes it on insert), the history tables
(the database backups keep them) and users: a link's ``reviewed_by`` is written as the
username and resolved on import to an existing user of that name, or left empty.
"""

import csv
import datetime
import decimal
import gzip
import io
import json
import os
import uuid
import zlib
from collections import Counter
from contextlib import contextmanager
from itertools import islice
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction
from django.db.models import F, Prefetch, QuerySet, Value
from django.utils import timezone
from django.utils.duration import duration_iso_string

from actors.models import Actor, Alias, Role, Talk, TalkParticipant, TalkReport, TalkTopic

from .caching import archive_changed
from .models import Article, ArticleActor, Outlet, Quote, SeedEntry, TalkSuggestion, Topic

FORMAT = "newsarchive-archive"
VERSION = 1
BATCH_SIZE = 1000  # rows per INSERT on import
CHUNK_SIZE = 2000  # rows fetched at a time on export
GZIP_MAGIC = b"\x1f\x8b"


class ArchiveError(Exception):
    """The archive cannot be written or read; nothing was changed in the database."""


class ArchiveCounts(dict):
    """Rows per model label, and what an import should tell the operator.

    ``missing_reviewers``: reviewers' usernames that matched no user (their links were
    restored without a reviewer). ``seed_ledger_empty``: the seed loader has no record of
    what it applied, so its next run would apply every seed entry again over the
    restored rows (see docs/archive.md).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.missing_reviewers: set[str] = set()
        self.seed_ledger_empty = False


class Section:
    """One model of the archive: its rows in a stable order, its fields and many-to-manys."""

    def __init__(self, model, order_by=("pk",), m2m=(), exclude=()):
        self.model = model
        self.label = model._meta.label_lower
        self.order_by = order_by
        if m2m and tuple(order_by) != ("pk",):
            # The many-to-many rows of a chunk are fetched by its pk range.
            raise ValueError(f"{self.label}: a section with many-to-manys is ordered by pk")
        self.fields = [
            field
            for field in model._meta.concrete_fields
            if not field.primary_key and field.name not in exclude
        ]
        self.user_fields = {
            field.name
            for field in self.fields
            if field.is_relation and field.related_model is get_user_model()
        }
        self.m2m = [self._m2m(name) for name in m2m]

    def _m2m(self, name):
        field = self.model._meta.get_field(name)
        through = field.remote_field.through
        source = through._meta.get_field(field.m2m_field_name())
        target = through._meta.get_field(field.m2m_reverse_field_name())
        return M2M(name, through, source, target)

    def __repr__(self):
        return f"<Section {self.label}>"


class M2M:
    def __init__(self, name, through, source, target):
        self.name, self.through, self.source, self.target = name, through, source, target
        self.label = through._meta.label_lower


# In dependency order: every row refers only to rows of the sections above it (states,
# which belong to no state, come before the actors that belong to one).
SECTIONS = [
    Section(Actor, order_by=(F("state").asc(nulls_first=True), "pk")),
    Section(Alias),
    Section(Role),
    Section(Topic),
    Section(Outlet),
    Section(Article, m2m=["topics"], exclude=["search_vector"]),
    Section(ArticleActor),
    Section(Talk),
    Section(TalkParticipant),
    Section(TalkTopic),
    Section(TalkReport),
    Section(TalkSuggestion),
    Section(Quote),
    # The seed loader's ledger travels too: without it, the next load_seeds would apply
    # every seed entry again and undo editors' corrections to seeded rows.
    Section(SeedEntry),
]
SECTIONS_BY_LABEL = {section.label: section for section in SECTIONS}


def archive_tables():
    """(label, model) of every table the archive fills, in dependency order."""
    for section in SECTIONS:
        yield section.label, section.model
        for m2m in section.m2m:
            yield m2m.label, m2m.through


# ---------------------------------------------------------------------------------------
# Export


def _encode_field(field, value):
    if isinstance(field, models.JSONField):
        # Already JSON: written as it is (through the field's encoder when it has one).
        if field.encoder is not None:
            return json.loads(json.dumps(value, cls=field.encoder))
        return value
    return _encode(value)


def _encode(value):
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()  # to the microsecond, with the UTC offset
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    raise TypeError(f"cannot write a {type(value).__name__} to the archive: {value!r}")


def _chunks(iterable, size):
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _section_rows(section):
    """Yield the archive rows of one section, reading ``CHUNK_SIZE`` rows at a time."""
    username = get_user_model().USERNAME_FIELD
    columns = [
        f"{field.name}__{username}" if field.name in section.user_fields else field.attname
        for field in section.fields
    ]
    queryset = (
        section.model._base_manager.order_by(*section.order_by)
        .values_list("pk", *columns)
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for chunk in _chunks(queryset, CHUNK_SIZE):
        related = {}
        for m2m in section.m2m:
            related[m2m.name] = {}
            pairs = (
                m2m.through._base_manager.filter(
                    **{
                        f"{m2m.source.attname}__gte": chunk[0][0],
                        f"{m2m.source.attname}__lte": chunk[-1][0],
                    }
                )
                .order_by(m2m.source.attname, m2m.target.attname)
                .values_list(m2m.source.attname, m2m.target.attname)
            )
            for owner, target in pairs:
                related[m2m.name].setdefault(owner, []).append(target)
        for pk, *values in chunk:
            fields = {
                field.name: _encode_field(field, value)
                for field, value in zip(section.fields, values, strict=True)
            }
            for m2m in section.m2m:
                fields[m2m.name] = related[m2m.name].get(pk, [])
            yield {"model": section.label, "pk": _encode(pk), "fields": fields}


@contextmanager
def _snapshot():
    """A transaction in which every query sees the same state of the database."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        # SQLite: a transaction reads one state of the file from its first read on.
        yield


def _dump(row) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"


def _write_archive(write) -> ArchiveCounts:
    with _snapshot():
        counts = ArchiveCounts(
            (label, model._base_manager.count()) for label, model in archive_tables()
        )
        header = {
            "format": FORMAT,
            "version": VERSION,
            "exported_at": timezone.now().isoformat(),
            "counts": counts,
        }
        write(_dump(header))
        written = Counter()
        for section in SECTIONS:
            for row in _section_rows(section):
                write(_dump(row))
                written[section.label] += 1
                for m2m in section.m2m:
                    written[m2m.label] += len(row["fields"][m2m.name])
    if any(written[label] != count for label, count in counts.items()):
        raise ArchiveError("The archive changed while it was being exported; export it again.")
    return counts


def _gzip_open(*args, **kwargs):
    return gzip.open(*args, compresslevel=6, **kwargs)


def export_archive(path_or_file) -> ArchiveCounts:
    """Write the whole curated archive to a path (gzip when it ends with .gz) or an open file.

    A path is written to ``<path>.partial`` and renamed when complete, so a failed export
    never leaves a truncated archive under the expected name. Return the rows per model.
    """
    if hasattr(path_or_file, "write"):
        if isinstance(path_or_file, io.TextIOBase):
            return _write_archive(path_or_file.write)
        return _write_archive(lambda text: path_or_file.write(text.encode("utf-8")))
    path = Path(path_or_file)
    partial = path.with_name(path.name + ".partial")
    try:
        opener = _gzip_open if path.name.endswith(".gz") else open
        with opener(partial, "wt", encoding="utf-8", newline="\n") as stream:
            counts = _write_archive(stream.write)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return counts


# ---------------------------------------------------------------------------------------
# Import


@contextmanager
def _open_text(path_or_file):
    """A text stream over a path or an open file, decompressed when it starts like gzip."""
    if hasattr(path_or_file, "read"):
        if isinstance(path_or_file, io.TextIOBase):
            yield path_or_file
            return
        binary, buffer, compressed = path_or_file, None, None
        if hasattr(binary, "peek"):
            magic = binary.peek(2)[:2]
        elif binary.seekable():
            position = binary.tell()
            magic = binary.read(2)
            binary.seek(position)
        else:
            binary = buffer = io.BufferedReader(binary)
            magic = binary.peek(2)[:2]
        if magic == GZIP_MAGIC:
            binary = compressed = gzip.GzipFile(fileobj=binary, mode="rb")
        stream = io.TextIOWrapper(binary, encoding="utf-8", newline="\n")
        try:
            yield stream
        finally:
            # Leave the caller's file open.
            stream.detach()
            if compressed is not None:
                compressed.close()
            if buffer is not None:
                buffer.detach()
        return
    path = Path(path_or_file)
    try:
        with open(path, "rb") as probe:
            compressed = probe.read(2) == GZIP_MAGIC
    except OSError as error:
        raise ArchiveError(f"{path}: cannot be read: {error}") from error
    opener = gzip.open if compressed else open
    with opener(path, "rt", encoding="utf-8", newline="\n") as stream:
        yield stream


def _numbered_lines(stream):
    """Yield (line number, line); a read error or an unfinished line names its line."""
    number = 0
    while True:
        try:
            line = stream.readline()
        except (EOFError, OSError, zlib.error, UnicodeDecodeError) as error:
            raise ArchiveError(
                f"Line {number + 1}: the file is truncated or corrupted ({error})."
            ) from error
        if not line:
            return
        number += 1
        if not line.endswith("\n"):
            raise ArchiveError(f"Line {number}: the line is cut short; the file is truncated.")
        yield number, line


def _parse(number, line):
    try:
        return json.loads(line)
    except ValueError as error:
        raise ArchiveError(f"Line {number}: not valid JSON ({error}).") from error


def _check_header(header):
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ArchiveError(f"Line 1: not a newsarchive archive (no '{FORMAT}' header).")
    version = header.get("version")
    if version != VERSION:
        raise ArchiveError(
            f"Line 1: archive format version {version!r}; this program reads version {VERSION}."
        )
    counts = header.get("counts")
    known = dict(archive_tables())
    if not isinstance(counts, dict) or not all(
        label in known and isinstance(count, int) for label, count in counts.items()
    ):
        raise ArchiveError("Line 1: the header's counts are missing or name unknown models.")
    return counts


class _Restorer:
    """Turn archive rows into model instances and insert them in batches."""

    def __init__(self):
        self.counts = ArchiveCounts((label, 0) for label, _ in archive_tables())
        self.user_ids = {}
        self.section_index = 0
        self.batch = []  # (instance, {m2m name: [target pks]})
        self.batch_lines = None

    def user_id(self, username):
        if username not in self.user_ids:
            user = (
                get_user_model()
                ._default_manager.filter(**{get_user_model().USERNAME_FIELD: username})
                .values_list("pk", flat=True)
                .first()
            )
            self.user_ids[username] = user
            if user is None:
                self.counts.missing_reviewers.add(username)
        return self.user_ids[username]

    def add(self, number, row):
        if not isinstance(row, dict) or not {"model", "pk", "fields"} <= row.keys():
            raise ArchiveError(f"Line {number}: expected an object with model, pk and fields.")
        section = SECTIONS_BY_LABEL.get(row["model"])
        if section is None:
            raise ArchiveError(f"Line {number}: unknown model {row['model']!r}.")
        index = SECTIONS.index(section)
        if index < self.section_index:
            raise ArchiveError(
                f"Line {number}: a {section.label} row after the "
                f"{SECTIONS[self.section_index].label} rows; the file is out of order."
            )
        if index != self.section_index:
            self.flush()
            self.section_index = index
        instance, related = self.build(number, section, row)
        if not self.batch:
            self.batch_lines = (number, number)
        self.batch.append((instance, related))
        self.batch_lines = (self.batch_lines[0], number)
        self.counts[section.label] += 1
        if len(self.batch) >= BATCH_SIZE:
            self.flush()

    def build(self, number, section, row):
        fields = row["fields"]
        if not isinstance(fields, dict):
            raise ArchiveError(f"Line {number}: 'fields' is not an object.")
        expected = {field.name for field in section.fields} | {m2m.name for m2m in section.m2m}
        unknown = fields.keys() - expected
        if unknown:
            raise ArchiveError(
                f"Line {number}: {section.label} has no field {', '.join(sorted(unknown))}."
            )
        values = {}
        try:
            values[section.model._meta.pk.attname] = section.model._meta.pk.to_python(row["pk"])
            for field in section.fields:
                if field.name not in fields:
                    # An archive written before this column existed: its default, if any.
                    if field.has_default() or field.null:
                        continue
                    raise ArchiveError(f"Line {number}: {section.label} lacks '{field.name}'.")
                value = fields[field.name]
                if isinstance(field, models.JSONField):
                    # A JSON null in a column that is not nullable is JSON's null, not SQL's.
                    json_null = value is None and not field.null
                    values[field.attname] = Value(None, field) if json_null else value
                elif value is None:
                    values[field.attname] = None
                elif field.name in section.user_fields:
                    values[field.attname] = self.user_id(value)
                elif field.is_relation:
                    values[field.attname] = field.target_field.to_python(value)
                else:
                    values[field.attname] = field.to_python(value)
            related = {}
            for m2m in section.m2m:
                targets = fields.get(m2m.name, [])
                if not isinstance(targets, list):
                    raise ArchiveError(f"Line {number}: '{m2m.name}' is not a list.")
                related[m2m.name] = [m2m.target.target_field.to_python(pk) for pk in targets]
        except (ValidationError, TypeError, ValueError) as error:
            message = "; ".join(getattr(error, "messages", [str(error)]))
            raise ArchiveError(f"Line {number}: invalid {section.label} row: {message}") from error
        if values[section.model._meta.pk.attname] is None:
            raise ArchiveError(f"Line {number}: a {section.label} row without a pk.")
        return section.model(**values), related

    def flush(self):
        if not self.batch:
            return
        section = SECTIONS[self.section_index]
        instances = [instance for instance, _ in self.batch]
        first, last = self.batch_lines
        try:
            _insert_as_is(section.model, instances)
            for m2m in section.m2m:
                links = [
                    m2m.through(**{m2m.source.attname: obj.pk, m2m.target.attname: target})
                    for obj, related in self.batch
                    for target in related[m2m.name]
                ]
                m2m.through._base_manager.bulk_create(links, batch_size=BATCH_SIZE)
                self.counts[m2m.label] += len(links)
        except DatabaseError as error:
            raise ArchiveError(
                f"Lines {first}–{last}: the database refused these {section.label} rows: {error}"
            ) from error
        self.batch = []


def _insert_as_is(model, instances):
    """INSERT the rows with exactly their values, in batches.

    ``bulk_create`` would let ``auto_now`` and ``auto_now_add`` stamp every row with the
    time of the import, and writing the exported values back with ``bulk_update`` takes
    minutes for 100,000 rows. This is the raw insert that ``loaddata`` does for one row
    (``Model.save_base(raw=True)``), for a batch: no ``pre_save``, no signals, so no
    history record either. ``QuerySet._insert`` is internal to Django: the round-trip
    test checks every timestamp.
    """
    fields = model._meta.concrete_fields
    size = max(1, min(BATCH_SIZE, connection.ops.bulk_batch_size(fields, instances)))
    for batch in _chunks(instances, size):
        model._base_manager._insert(batch, fields=fields, raw=True, using=connection.alias)


def _curated_row_counts():
    return {
        label: count for label, model in archive_tables() if (count := model._base_manager.count())
    }


def _delete_curated_rows():
    """Empty the archive's tables, dependants first; history tables are left as they are."""
    with connection.cursor() as cursor:
        for _, model in reversed(list(archive_tables())):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


def _reset_sequences():
    """Let new rows get ids above the restored ones (PostgreSQL; nothing to do on SQLite)."""
    statements = connection.ops.sequence_reset_sql(
        no_style(), [model for _, model in archive_tables()]
    )
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def import_archive(path_or_file, replace=False) -> ArchiveCounts:
    """Restore an archive into a database whose curated tables are empty, all or nothing.

    With ``replace``, the curated rows are deleted first, in the same transaction: a
    failure leaves the database as it was. Return the rows restored per model; its
    ``missing_reviewers`` lists the reviewers' usernames that matched no user (the links
    were restored without a reviewer).
    """
    with _open_text(path_or_file) as stream, transaction.atomic():
        present = _curated_row_counts()
        if present and not replace:
            listing = ", ".join(f"{label}: {count}" for label, count in present.items())
            raise ArchiveError(
                f"The database already holds curated rows ({listing}). Restore into an empty "
                "database, or replace its curated rows with --replace."
            )
        if present:
            _delete_curated_rows()
        lines = _numbered_lines(stream)
        first = next(lines, None)
        if first is None:
            raise ArchiveError("The file is empty: no archive header.")
        expected = _check_header(_parse(*first))
        restorer = _Restorer()
        for number, line in lines:
            restorer.add(number, _parse(number, line))
        restorer.flush()
        counts = restorer.counts
        differences = [
            f"{label}: {counts.get(label, 0)} rows, the header announces {expected.get(label, 0)}"
            for label in counts
            if counts.get(label, 0) != expected.get(label, 0)
        ]
        if differences:
            raise ArchiveError(
                "The file does not hold the rows its header announces, so it is truncated or "
                f"was edited ({'; '.join(differences)})."
            )
        try:
            connection.check_constraints()
        except DatabaseError as error:
            raise ArchiveError(f"The restored rows break a database constraint: {error}") from error
        _reset_sequences()
        archive_changed()  # rows were written in bulk, without signals
        counts.seed_ledger_empty = not SeedEntry.objects.exists()
    return counts


# ---------------------------------------------------------------------------------------
# The CAMEO-style event table of talks

CAMEO_COLUMNS = [
    "event_id",
    "date",
    "date_precision",
    "source_state",
    "source_state_name",
    "target_state",
    "target_state_name",
    "event_code",
    "event_kind",
    "place",
    "participants",
    "source_articles",
]


def _cameo_prefetch(talks: QuerySet):
    return talks.select_related("state_a", "state_b", "place").prefetch_related(
        Prefetch(
            "participations",
            queryset=TalkParticipant.objects.select_related("person", "represents").order_by("pk"),
        ),
        Prefetch(
            "articles",
            queryset=Article.objects.published().order_by(
                F("published_on").asc(nulls_last=True), "pk"
            ),
            to_attr="cameo_reports",
        ),
    )


def cameo_rows(talks, base_url: str):
    """Yield one dict per talk, with the ``CAMEO_COLUMNS``, in the order of ``talks``.

    ``talks`` is a queryset (its related rows are then fetched in a few queries, in chunks)
    or any iterable of talks. The source articles are the talk's published reports, as
    absolute public URLs under ``base_url`` (such as ``https://archive.example``),
    separated by spaces. The caller chooses the talks: pass published ones to the public.
    """
    base = base_url.rstrip("/")
    if isinstance(talks, QuerySet):
        talks = _cameo_prefetch(talks).iterator(chunk_size=CHUNK_SIZE)
    for talk in talks:
        reports = getattr(talk, "cameo_reports", None)
        if reports is None:
            reports = talk.articles.published().order_by(
                F("published_on").asc(nulls_last=True), "pk"
            )
        if "participations" in getattr(talk, "_prefetched_objects_cache", {}):
            participants = talk.participations.all()
        else:
            participants = talk.participations.select_related("person", "represents").order_by("pk")
        yield {
            "event_id": talk.pk,
            "date": talk.date.isoformat(),
            "date_precision": talk.date_precision,
            "source_state": talk.state_a.slug,
            "source_state_name": talk.state_a.name,
            "target_state": talk.state_b.slug,
            "target_state_name": talk.state_b.name,
            "event_code": talk.cameo_code or Talk.DEFAULT_CAMEO.get(talk.kind, ""),
            "event_kind": talk.kind,
            "place": talk.place.name if talk.place else "",
            "participants": "; ".join(
                f"{p.person.name} ({p.represents.slug})" for p in participants
            ),
            "source_articles": " ".join(base + article.get_absolute_url() for article in reports),
        }


def write_cameo_csv(stream, talks, base_url: str) -> int:
    """Write the CAMEO table of ``talks`` as CSV to a text stream; return the rows written."""
    writer = csv.DictWriter(stream, fieldnames=CAMEO_COLUMNS)
    writer.writeheader()
    count = 0
    for row in cameo_rows(talks, base_url):
        writer.writerow(row)
        count += 1
    return count
