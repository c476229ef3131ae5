"""Load curated actors and talks from the YAML files under ``seeds/``.

Every entry has a natural key (a slug). Loading is idempotent: a record is saved
only when it is new or when its entry in the files changed since the last load,
so an editor's later correction in the admin is not undone by the next
``load_seeds`` (see ``SeedLedger``).
"""

import datetime
import hashlib
import json
from collections import Counter
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from .models import Actor, Alias, PublicationStatus, Role, Talk, TalkParticipant, TalkTopic

SEED_CHANGE_REASON = "load_seeds"
# libyaml's safe loader when PyYAML was built with it (the wheels are): ten times faster.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SeedError(Exception):
    """A seed file that cannot be loaded as it stands; nothing is written."""


def read_yaml(path: Path) -> list[dict]:
    try:
        with path.open(encoding="utf-8") as handle:
            entries = yaml.load(handle, Loader=YAML_LOADER) or []
    except (OSError, yaml.YAMLError) as error:
        raise SeedError(f"{path}: cannot be read as YAML: {error}") from error
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise SeedError(f"{path}: expected a list of mappings")
    return entries


def entry_digest(entry: dict, *extra: str) -> str:
    """Return a stable fingerprint of one entry (and of any text it points to)."""
    canonical = json.dumps(entry, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256("\n".join([canonical, *extra]).encode("utf-8")).hexdigest()


def validation_message(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


class SeedLedger:
    """Counts what a load did, and remembers which entries were applied in which form."""

    def __init__(self, seed_entry_model, force: bool = False):
        self.seed_entry_model = seed_entry_model
        self.force = force
        self.counts = Counter()
        self.applied = dict(seed_entry_model.objects.values_list("key", "digest"))
        self.newly_applied = {}

    def needs_applying(self, key: str, digest: str) -> bool:
        if not self.force and self.applied.get(key) == digest:
            self.counts["entries unchanged"] += 1
            return False
        return True

    def mark_applied(self, key: str, digest: str) -> None:
        self.newly_applied[key] = digest

    def save_fingerprints(self) -> None:
        """Store the fingerprints of the entries applied; call once, at the end of a load."""
        self.seed_entry_model.objects.bulk_create(
            [
                self.seed_entry_model(key=key, digest=digest)
                for key, digest in self.newly_applied.items()
            ],
            update_conflicts=True,
            unique_fields=["key"],
            update_fields=["digest", "loaded_at"],
            batch_size=500,
        )
        self.applied.update(self.newly_applied)
        self.newly_applied = {}

    def upsert(self, model, lookup: dict, values: dict | None = None, *, where: str):
        """Create or update one row; save only if something differs. Return the row."""
        values = values or {}
        obj = model.objects.filter(**lookup).first()
        created = obj is None
        if created:
            obj = model(**{key.removesuffix("__iexact"): value for key, value in lookup.items()})
        elif all(getattr(obj, field) == value for field, value in values.items()):
            return obj
        for field, value in values.items():
            setattr(obj, field, value)
        label = model._meta.verbose_name
        try:
            # Uniqueness is left to the database constraints: one query fewer per row.
            obj.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            raise SeedError(f"{where}: invalid {label}: {validation_message(error)}") from error
        obj._change_reason = SEED_CHANGE_REASON
        try:
            with transaction.atomic():
                obj.save()
        except IntegrityError as error:
            raise SeedError(f"{where}: {label} breaks a database constraint: {error}") from error
        self.counts[f"{model._meta.verbose_name_plural} {'created' if created else 'updated'}"] += 1
        return obj


def as_date(value, where: str) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError as error:
        raise SeedError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from error


def require(entry: dict, key: str, where: str):
    if entry.get(key) in (None, ""):
        raise SeedError(f"{where}: '{key}' is required")
    return entry[key]


class ActorIndex:
    """Actors by slug, for resolving the references between seed entries."""

    def __init__(self):
        self.by_slug = {actor.slug: actor for actor in Actor.objects.all()}

    def get(self, slug: str, where: str, kinds: tuple[str, ...] = ()) -> Actor:
        actor = self.by_slug.get(slug)
        if actor is None:
            raise SeedError(f"{where}: unknown actor '{slug}'")
        if kinds and actor.kind not in kinds:
            raise SeedError(f"{where}: '{slug}' is a {actor.kind}, expected {' or '.join(kinds)}")
        return actor


def load_actors(paths: list[Path], ledger: SeedLedger) -> ActorIndex:
    """Load actors in two passes: the rows first, then what refers to other actors."""
    entries = []
    for path in paths:
        for number, entry in enumerate(read_yaml(path), start=1):
            where = f"{path.name} entry {number} ({entry.get('slug', '?')})"
            entries.append((where, entry, f"actor:{require(entry, 'slug', where)}"))

    seen = Counter(key for _, _, key in entries)
    duplicates = sorted(key for key, count in seen.items() if count > 1)
    if duplicates:
        raise SeedError(f"actor slugs defined twice: {', '.join(duplicates)}")

    index = ActorIndex()
    pending = []
    for where, entry, key in entries:
        digest = entry_digest(entry)
        if ledger.needs_applying(key, digest):
            actor = ledger.upsert(
                Actor,
                {"slug": entry["slug"]},
                {
                    "kind": require(entry, "kind", where),
                    "name": require(entry, "name", where),
                    "description": entry.get("description", ""),
                    "wikidata_id": str(entry.get("wikidata") or ""),
                    # States come first in the files; a later one is set in the second pass.
                    "state": index.by_slug.get(entry.get("state") or ""),
                },
                where=where,
            )
            index.by_slug[actor.slug] = actor
            pending.append((where, entry, key, digest))

    for where, entry, key, digest in pending:
        actor = index.get(entry["slug"], where)
        if entry.get("state"):
            state = index.get(entry["state"], where, ("state",))
            actor = ledger.upsert(Actor, {"slug": actor.slug}, {"state": state}, where=where)
            index.by_slug[actor.slug] = actor
        for alias in entry.get("aliases") or []:
            ledger.upsert(
                Alias,
                {
                    "actor": actor,
                    "name__iexact": require(alias, "name", where),
                    "language": alias.get("lang") or "",
                },
                {"name": alias["name"], "kind": alias.get("kind", Alias.Kind.VARIANT)},
                where=f"{where}, alias {alias['name']!r}",
            )
        for role in entry.get("roles") or []:
            role_where = f"{where}, role {role.get('title') or role.get('position')}"
            ledger.upsert(
                Role,
                {
                    "person": actor,
                    "position": require(role, "position", role_where),
                    "organization": index.get(
                        require(role, "organization", role_where),
                        role_where,
                        ("state", "organization"),
                    ),
                    "start_date": as_date(require(role, "start", role_where), role_where),
                },
                {"title": role.get("title", ""), "end_date": as_date(role.get("end"), role_where)},
                where=role_where,
            )
        ledger.mark_applied(key, digest)
    return index


def load_talks(path: Path, ledger: SeedLedger, actors: ActorIndex, topics: dict) -> dict[str, Talk]:
    """Load talks with their participants and topics; reports come with the articles."""
    talks = {}
    for number, entry in enumerate(read_yaml(path), start=1):
        where = f"{path.name} entry {number} ({entry.get('slug', '?')})"
        key = f"talk:{require(entry, 'slug', where)}"
        digest = entry_digest(entry)
        if not ledger.needs_applying(key, digest):
            talks[entry["slug"]] = Talk.objects.get(slug=entry["slug"])
            continue
        states = require(entry, "states", where)
        if not isinstance(states, list) or len(states) != 2:
            raise SeedError(f"{where}: 'states' lists exactly two state slugs")
        state_a, state_b = (actors.get(slug, where, ("state",)) for slug in states)
        talk = ledger.upsert(
            Talk,
            {"slug": entry["slug"]},
            {
                "kind": require(entry, "kind", where),
                "state_a": state_a,
                "state_b": state_b,
                "date": as_date(require(entry, "date", where), where),
                "date_precision": entry.get("date_precision", Talk.DatePrecision.DAY),
                "place": actors.get(entry["place"], where, ("place",))
                if entry.get("place")
                else None,
                "cameo_code": str(entry.get("cameo") or Talk.DEFAULT_CAMEO[entry["kind"]]),
                "summary": entry.get("summary", "").strip(),
                "status": entry.get("status", PublicationStatus.PUBLISHED),
            },
            where=where,
        )
        for participant in entry.get("participants") or []:
            ledger.upsert(
                TalkParticipant,
                {"talk": talk, "person": actors.get(participant["person"], where, ("person",))},
                {"represents": actors.get(participant["represents"], where, ("state",))},
                where=f"{where}, participant {participant['person']}",
            )
        for mention in entry.get("topics") or []:
            topic = topics.get(mention["topic"])
            if topic is None:
                raise SeedError(f"{where}: unknown topic '{mention['topic']}'")
            side = actors.get(mention["side"], where, ("state",)) if mention.get("side") else None
            ledger.upsert(
                TalkTopic,
                {"talk": talk, "topic": topic, "side": side},
                where=f"{where}, topic {mention['topic']}",
            )
        ledger.mark_applied(key, digest)
        talks[talk.slug] = talk
    return talks
