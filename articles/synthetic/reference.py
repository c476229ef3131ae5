"""The reference data of a synthetic archive: actors, outlets, topics and talks.

Generated actors are people, organizations and places whose names are built from
syllables and written in every script the archive reads (Latin with its French and
German spellings, Cyrillic, Hebrew, Arabic, Persian), so that an article in any
language can name them as the linker knows them. Every name is checked against every
name already in the database: a generated alias never names two actors.
"""

import datetime
import random
import re
from dataclasses import dataclass, field

from django.utils.text import slugify

from actors.folding import fold_text
from actors.linking import ATTACHED_PREFIXES
from actors.models import Actor, Alias, Role, Talk, TalkParticipant, TalkTopic
from articles.models import Outlet, Topic

from .lexicon import (
    AMBASSADOR_POSTS,
    CONSONANTS,
    FINALS,
    HEBREW_FINAL,
    LANGUAGES,
    NAME_SCRIPTS,
    OUTLET_COUNTRIES,
    OUTLET_NAMES,
    OUTLET_WORDS,
    PORTFOLIOS,
    POSITIONS,
    TOPICS,
    VOWELS,
)

FIRST_DAY = datetime.date(2011, 1, 1)
LAST_DAY = datetime.date(2025, 12, 31)
OUTLET_DOMAIN = ".example"  # reserved (RFC 2606): no real article lives there
SCRIPT_INDEX = {script: index for index, script in enumerate(NAME_SCRIPTS)}
CORE_STATES = ("israel", "united-states", "iran")
# Of generated people, organizations and places: the share that belongs to each state.
STATE_SHARES = {"israel": 0.28, "united-states": 0.24, "iran": 0.24}
KIND_SHARES = (("person", 0.6), ("organization", 0.2), ("place", 0.2))
STATE_POSITIONS = {"organization_leader"}  # held in an organization, the others in a state
MIN_LETTERS = 3


def spell(syllables, final: str, script: str | None) -> str:
    """One generated word in Latin (script None) or in one of NAME_SCRIPTS."""
    if script is None:
        return ("".join(c + v for c, v in syllables) + final).capitalize()
    index = SCRIPT_INDEX[script]
    last = len(syllables) - 1
    letters = []
    for position, (consonant, vowel) in enumerate(syllables):
        letters.append(CONSONANTS[consonant][index])
        written = VOWELS[vowel][index]
        if script == "he" and vowel in "ae":
            # Hebrew writes a final a or e with he, and neither inside a word.
            written = "ה" if position == last and not final else ""
        elif written is None:
            written = "ه" if position == last and not final else ""
        letters.append(written)
    if final:
        letters.append(CONSONANTS[final][index])
    word = "".join(letters)
    if script == "he":
        word = word[:-1] + word[-1].translate(HEBREW_FINAL)
    return word[0].upper() + word[1:] if script in ("fr", "de", "ru") else word


@dataclass
class ActorPlan:
    kind: str
    name: str
    slug: str
    state: str
    description: str
    aliases: list[tuple[str, str, str]] = field(default_factory=list)  # name, language, kind
    roles: list[tuple[str, str, str, datetime.date, datetime.date | None]] = field(
        default_factory=list
    )  # position, organization slug, title, start, end


def strings(value):
    """The strings in ``value``, however nested in tuples and dicts."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        yield from strings(tuple(value.values()))
    elif isinstance(value, tuple):
        for item in value:
            yield from strings(item)


def lexicon_words() -> set[str]:
    """Every word the sentence templates use, folded, and in Hebrew and Arabic also
    without the one-letter prefixes the linker lets a name carry (ב, ו, ال...): a
    generated name must be none of them, or the linker would read it in plain text."""
    words = set()
    for language in LANGUAGES.values():
        for text in strings(vars(language)):
            words.update(re.findall(r"\w+", fold_text(text)))
    for word in list(words):
        for cut in (1, 2):
            if len(word) > cut + 1 and all(c in ATTACHED_PREFIXES for c in word[:cut]):
                words.add(word[cut:])
    return words


class NameMaker:
    """Words never used before, in any script, by any actor, generated name or template."""

    def __init__(self, rng: random.Random, taken_names):
        self.rng = rng
        self.used = lexicon_words()
        for name in taken_names:
            self.used.update(fold_text(name).split())
        self.syllables = [(c, v) for c in CONSONANTS for v in VOWELS]

    def word(self, syllables: int, final: bool = True) -> dict[str | None, str]:
        while True:
            parts = self.rng.choices(self.syllables, k=syllables)
            end = self.rng.choice(FINALS) if final else ""
            forms = {None: spell(parts, end, None)}
            forms.update((script, spell(parts, end, script)) for script in NAME_SCRIPTS)
            keys = {fold_text(form) for form in forms.values()}
            # Three letters at least: shorter Hebrew or Arabic words hide in other words.
            if not keys & self.used and min(map(len, keys)) >= MIN_LETTERS:
                self.used |= keys
                return forms


def plan_actors(rng: random.Random, count: int, states, taken_names, taken_slugs):
    """``count`` actors to add to the curated ones; ``states``: slug -> name of the states."""
    names = NameMaker(rng, taken_names)
    slugs = set(taken_slugs)
    first_names = [names.word(2, final=rng.random() < 0.5) for _ in range(80)]
    others = [slug for slug in states if slug not in STATE_SHARES]
    state_choices = [*STATE_SHARES, *others]
    rest = 1 - sum(STATE_SHARES.values())
    state_weights = [*STATE_SHARES.values(), *[rest / len(others)] * len(others)]
    kinds, kind_weights = zip(*KIND_SHARES, strict=True)

    def unique_slug(name):
        base = slugify(name) or "actor"
        slug, number = base, 1
        while slug in slugs:
            number += 1
            slug = f"{base}-{number}"
        slugs.add(slug)
        return slug

    plans = []
    for _ in range(count):
        kind = rng.choices(kinds, kind_weights)[0]
        state = rng.choices(state_choices, state_weights)[0]
        description = f"Synthetic {kind}, {states[state]}."
        if kind == "person":
            first, last = rng.choice(first_names), names.word(rng.choice((2, 2, 3)))
            name = f"{first[None]} {last[None]}"
            plan = ActorPlan(kind, name, unique_slug(name), state, description)
            plan.aliases.append((last[None], "", "short"))
            for script in NAME_SCRIPTS:
                full = f"{first[script]} {last[script]}"
                if full != name:
                    latin = script in ("fr", "de")
                    plan.aliases.append((full, script, "transliteration" if latin else "official"))
                    if last[script] != last[None]:
                        plan.aliases.append((last[script], script, "short"))
        elif kind == "organization":
            base = names.word(rng.choice((2, 3)))
            form = rng.randrange(len(LANGUAGES["en"].organization_kinds))
            name = LANGUAGES["en"].organization_kinds[form].format(n=base[None])
            plan = ActorPlan(kind, name, unique_slug(name), state, description)
            for code, language in LANGUAGES.items():
                if code != "en":
                    word = base[code] if code in SCRIPT_INDEX else base[None]
                    alias = language.organization_kinds[form].format(n=word)
                    plan.aliases.append((alias, code, "official"))
        else:
            base = names.word(rng.choice((2, 3)))
            name = base[None]
            plan = ActorPlan(kind, name, unique_slug(name), state, description)
            for script in NAME_SCRIPTS:
                if base[script] != name:
                    plan.aliases.append((base[script], script, "official"))
        plans.append(plan)

    organizations = {}
    for plan in plans:
        if plan.kind == "organization":
            organizations.setdefault(plan.state, []).append(plan.slug)
    for plan in plans:
        if plan.kind == "person" and rng.random() < 0.7:
            plan.roles = plan_roles(rng, plan, organizations)
    return plans


def plan_roles(rng, plan, organizations):
    positions, titles, weights = zip(*POSITIONS, strict=True)
    year = rng.randint(FIRST_DAY.year - 14, LAST_DAY.year - 1)
    roles = []
    for _ in range(rng.choice((1, 1, 2, 2, 3))):
        start = datetime.date(year, rng.randint(1, 12), rng.randint(1, 28))
        end = start + datetime.timedelta(days=rng.randint(300, 3000))
        if end > LAST_DAY:
            end = None
        index = rng.choices(range(len(positions)), weights)[0]
        position = positions[index]
        organization = plan.state
        if position in STATE_POSITIONS:
            if not organizations.get(plan.state):
                continue
            organization = rng.choice(organizations[plan.state])
        title = titles[index].format(
            portfolio=rng.choice(PORTFOLIOS), country=rng.choice(AMBASSADOR_POSTS)
        )
        roles.append((position, organization, title, start, end))
        if end is None:
            break
        year = end.year + rng.choice((0, 1, 2))
        if year >= LAST_DAY.year:
            break
    return roles


def insert_actors(plans, by_slug) -> None:
    """Write the planned actors, aliases and roles; ``by_slug`` gains the new actors."""
    actors = Actor.objects.bulk_create(
        Actor(
            kind=plan.kind,
            name=plan.name,
            slug=plan.slug,
            state=by_slug[plan.state],
            description=plan.description,
        )
        for plan in plans
    )
    by_slug.update((actor.slug, actor) for actor in actors)
    Alias.objects.bulk_create(
        (
            Alias(actor=actor, name=name, language=language, kind=kind)
            for plan, actor in zip(plans, actors, strict=True)
            for name, language, kind in plan.aliases
        ),
        batch_size=5000,
    )
    Role.objects.bulk_create(
        (
            Role(
                person=actor,
                position=position,
                organization=by_slug[organization],
                title=title,
                start_date=start,
                end_date=end,
            )
            for plan, actor in zip(plans, actors, strict=True)
            for position, organization, title, start, end in plan.roles
        ),
        batch_size=5000,
    )


def ensure_outlets(rng: random.Random, states) -> None:
    """Add the generated outlets, once: a few per language, more for the larger ones."""
    if Outlet.objects.filter(home_url__endswith=f"{OUTLET_DOMAIN}/").exists():
        return
    taken = set(Outlet.objects.values_list("slug", flat=True))
    outlets = []
    for code, language in LANGUAGES.items():
        combinations = [
            pattern.format(w=word) for pattern in OUTLET_NAMES[code] for word in OUTLET_WORDS[code]
        ]
        count = min(len(combinations), max(2, round(language.share * 40)))
        for number, name in enumerate(rng.sample(combinations, count), start=1):
            slug = slugify(name) or f"{code}-press-{number}"
            if slug in taken:
                slug = f"{slug}-{code}"
            taken.add(slug)
            country = rng.choice(OUTLET_COUNTRIES[code])
            outlets.append(
                Outlet(
                    name=name,
                    slug=slug,
                    kind=Outlet.Kind.AGENCY if rng.random() < 0.15 else Outlet.Kind.NEWS,
                    home_url=f"https://{slug}{OUTLET_DOMAIN}/",
                    languages=code if rng.random() < 0.7 else f"{code} en",
                    country=states.get(country),
                )
            )
    Outlet.objects.bulk_create(outlets)


def ensure_topics() -> None:
    existing = set(Topic.objects.values_list("slug", flat=True))
    Topic.objects.bulk_create(
        Topic(slug=slug, name=name, description=description)
        for slug, name, description in TOPICS
        if slug not in existing
    )


TALK_KINDS = (
    ("phone_call", 45),
    ("meeting", 30),
    ("visit", 12),
    ("negotiation_round", 6),
    ("video_call", 4),
    ("summit", 3),
)
TALK_PAIRS = (
    (("israel", "united-states"), 50),
    (("iran", "united-states"), 12),
    (("united-states", None), 16),
    (("israel", None), 14),
    (("iran", None), 8),
)


@dataclass(frozen=True)
class TalkPlan:
    talk_id: int
    day: int  # date ordinal
    kind: str
    people: tuple[int, int]  # actor indexes in the cast
    states: tuple[int, int]


def insert_talks(rng: random.Random, count: int, cast) -> list[TalkPlan]:
    """``count`` talks between states, each with a person of each side, topics and a slug."""
    by_state = cast.people_by_state()
    states = [index for index, kind in enumerate(cast.kinds) if kind == "state"]
    slug_of = cast.slugs
    core = {slug_of[index]: index for index in states if slug_of[index] in CORE_STATES}
    others = [index for index in states if by_state.get(index) and slug_of[index] not in core]
    kinds, kind_weights = zip(*TALK_KINDS, strict=True)
    pairs, pair_weights = zip(*TALK_PAIRS, strict=True)
    taken = set(Talk.objects.values_list("slug", flat=True))
    topic_ids = list(cast.topic_ids)
    talks, planned = [], []
    while len(talks) < count:
        first, second = rng.choices(pairs, pair_weights)[0]
        state_a = core.get(first)
        state_b = core.get(second) if second else rng.choice(others) if others else None
        if state_a is None or state_b is None:
            break  # the curated states are missing: no talk can be planned
        if rng.random() < 0.5:
            state_a, state_b = state_b, state_a
        # Two days short of the end: reports come out up to two days after the talk.
        day = rng.randrange(cast.first_day, cast.last_day - 1)
        person_a = cast.holder(rng, state_a, by_state[state_a], day)
        person_b = cast.holder(rng, state_b, by_state[state_b], day)
        kind = rng.choices(kinds, kind_weights)[0]
        date = datetime.date.fromordinal(day)
        slug = f"{date.isoformat()}-{slug_of[state_a]}-{slug_of[state_b]}-{kind.replace('_', '-')}"
        base, number = slug, 1
        while slug in taken:
            number += 1
            slug = f"{base}-{number}"
        taken.add(slug)
        talk = Talk(
            slug=slug,
            kind=kind,
            state_a_id=cast.actor_ids[state_a],
            state_b_id=cast.actor_ids[state_b],
            date=date,
            cameo_code=Talk.DEFAULT_CAMEO[kind],
            summary=f"{Talk.Kind(kind).label.capitalize()} between "
            f"{cast.names[person_a]} and {cast.names[person_b]}.",
            status="published" if rng.random() < 0.9 else "draft",
        )
        talks.append(talk)
        planned.append((day, kind, (person_a, person_b), (state_a, state_b)))
    Talk.objects.bulk_create(talks)
    participants, topics = [], []
    for talk, (_day, _kind, people, sides) in zip(talks, planned, strict=True):
        for person, side in zip(people, sides, strict=True):
            participants.append(
                TalkParticipant(
                    talk=talk,
                    person_id=cast.actor_ids[person],
                    represents_id=cast.actor_ids[side],
                )
            )
        for topic_id in rng.sample(topic_ids, min(len(topic_ids), rng.randint(1, 4))):
            side = rng.choice((*sides, None))
            topics.append(
                TalkTopic(
                    talk=talk,
                    topic_id=topic_id,
                    side_id=cast.actor_ids[side] if side is not None else None,
                )
            )
    TalkParticipant.objects.bulk_create(participants)
    TalkTopic.objects.bulk_create(topics)
    return [
        TalkPlan(talk.pk, day, kind, people, sides)
        for talk, (day, kind, people, sides) in zip(talks, planned, strict=True)
    ]
