"""Load the curated seed data: actors, topics, outlets, talks and articles.

The files live under ``seeds/`` at the top of the project (see ``seeds/README.md``).
The whole load is one transaction: a mistake in any file writes nothing.
"""

from pathlib import Path

from django.conf import settings
from django.db import transaction

from actors.models import Actor, TalkReport
from actors.seeds import (
    ActorIndex,
    SeedError,
    SeedLedger,
    as_date,
    entry_digest,
    load_actors,
    load_talks,
    read_yaml,
    require,
)

from .models import Article, ArticleActor, Outlet, PublicationStatus, Quote, SeedEntry, Topic
from .normalize import canonical_url, content_hash
from .suggestions import suggest

SEEDS_DIR = settings.BASE_DIR / "seeds"
ACTOR_FILES = ["states.yaml", "organizations.yaml", "places.yaml", "people.yaml"]


def load_topics(path: Path, ledger: SeedLedger) -> dict[str, Topic]:
    topics = {}
    for number, entry in enumerate(read_yaml(path), start=1):
        where = f"{path.name} entry {number} ({entry.get('slug', '?')})"
        key = f"topic:{require(entry, 'slug', where)}"
        digest = entry_digest(entry)
        if ledger.needs_applying(key, digest):
            ledger.upsert(
                Topic,
                {"slug": entry["slug"]},
                {
                    "name": require(entry, "name", where),
                    "description": entry.get("description", ""),
                },
                where=where,
            )
            ledger.mark_applied(key, digest)
    for topic in Topic.objects.all():
        topics[topic.slug] = topic
    return topics


def load_outlets(path: Path, ledger: SeedLedger, actors: ActorIndex) -> dict[str, Outlet]:
    for number, entry in enumerate(read_yaml(path), start=1):
        where = f"{path.name} entry {number} ({entry.get('slug', '?')})"
        key = f"outlet:{require(entry, 'slug', where)}"
        digest = entry_digest(entry)
        if not ledger.needs_applying(key, digest):
            continue
        ledger.upsert(
            Outlet,
            {"slug": entry["slug"]},
            {
                "name": require(entry, "name", where),
                "kind": entry.get("kind", Outlet.Kind.NEWS),
                "home_url": entry.get("home_url", ""),
                "feed_url": entry.get("feed_url", ""),
                "languages": " ".join(entry.get("languages") or []),
                "country": actors.get(entry["country"], where, ("state",))
                if entry.get("country")
                else None,
                "actor": actors.get(entry["actor"], where) if entry.get("actor") else None,
            },
            where=where,
        )
        ledger.mark_applied(key, digest)
    return {outlet.slug: outlet for outlet in Outlet.objects.all()}


def read_article_file(path: Path) -> tuple[str, str]:
    """Split a plain-text article into its title (first line) and body (the rest)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise SeedError(f"{path}: cannot be read as UTF-8 text: {error}") from error
    title, _, body = text.partition("\n")
    title, body = title.strip(), body.strip("\r\n")
    if not title or not body:
        raise SeedError(f"{path}: expected a title line followed by the body")
    return title, body


def load_articles(path, ledger, actors, topics, outlets, talks) -> None:
    for number, entry in enumerate(read_yaml(path), start=1):
        where = f"{path.name} entry {number} ({entry.get('file', '?')})"
        text_path = path.parent / require(entry, "file", where)
        title, body = read_article_file(text_path)
        source_url = entry.get("source_url", "")
        key = f"article:{canonical_url(source_url) or content_hash(title, body)}"
        digest = entry_digest(entry, title, body)
        if not ledger.needs_applying(key, digest):
            continue
        outlet = outlets.get(entry.get("outlet")) if entry.get("outlet") else None
        if entry.get("outlet") and outlet is None:
            raise SeedError(f"{where}: unknown outlet '{entry['outlet']}'")
        lookup = (
            {"canonical_url": canonical_url(source_url)}
            if source_url
            else {"content_hash": content_hash(title, body), "canonical_url": ""}
        )
        article = ledger.upsert(
            Article,
            lookup,
            {
                "title": title,
                "body": body,
                "source_url": source_url,
                "kind": entry.get("kind", Article.Kind.REPORT),
                "outlet": outlet,
                "byline": entry.get("byline", ""),
                "published_on": as_date(entry.get("published"), where),
                "language": require(entry, "language", where),
                "status": entry.get("status", PublicationStatus.PUBLISHED),
            },
            where=where,
        )
        missing_topics = [slug for slug in entry.get("topics") or [] if slug not in topics]
        if missing_topics:
            raise SeedError(f"{where}: unknown topics {', '.join(missing_topics)}")
        tagged = set(article.topics.values_list("slug", flat=True))
        untagged = [topics[slug] for slug in entry.get("topics") or [] if slug not in tagged]
        if untagged:
            # Only a real addition: an empty add would still write a history row.
            article.topics.add(*untagged)

        for link in entry.get("actors") or []:
            actor = actors.get(require(link, "actor", where), where)
            for role in link.get("roles") or [ArticleActor.Role.MENTIONED]:
                # A link that exists keeps the status an editor gave it.
                if not ArticleActor.objects.filter(
                    article=article, actor=actor, role=role
                ).exists():
                    ledger.upsert(
                        ArticleActor,
                        {"article": article, "actor": actor, "role": role},
                        {
                            "status": ArticleActor.Status.CONFIRMED,
                            "origin": ArticleActor.Origin.SEED,
                        },
                        where=f"{where}, actor {actor.slug}",
                    )
        for slug in entry.get("talks") or []:
            if slug not in talks:
                raise SeedError(f"{where}: unknown talk '{slug}'")
            ledger.upsert(TalkReport, {"talk": talks[slug], "article": article}, where=where)
        for quote in entry.get("quotes") or []:
            talk_slug = quote.get("talk")
            if talk_slug and talk_slug not in talks:
                raise SeedError(f"{where}: unknown talk '{talk_slug}'")
            ledger.upsert(
                Quote,
                {
                    "article": article,
                    "speaker": actors.get(require(quote, "speaker", where), where),
                    "text": require(quote, "text", where).strip(),
                },
                {
                    "talk": talks.get(talk_slug),
                    "language": quote.get("language", article.language),
                    "translated": bool(quote.get("translated", False)),
                },
                where=f"{where}, quote by {quote['speaker']}",
            )
        # The linker records where the text names each curated actor (the evidence).
        suggest(article)
        ledger.mark_applied(key, digest)


def load_seeds(directory: Path = SEEDS_DIR, *, force: bool = False) -> SeedLedger:
    """Load every seed file in ``directory``; return the ledger with its counts."""
    with transaction.atomic():
        ledger = SeedLedger(SeedEntry, force=force)
        actors = load_actors([directory / "actors" / name for name in ACTOR_FILES], ledger)
        topics = load_topics(directory / "topics.yaml", ledger)
        outlets = load_outlets(directory / "outlets.yaml", ledger, actors)
        talks = load_talks(directory / "talks.yaml", ledger, actors, topics)
        load_articles(directory / "articles.yaml", ledger, actors, topics, outlets, talks)
        ledger.save_fingerprints()
    ledger.counts["actors in the archive"] = Actor.objects.count()
    return ledger
