"""Everything an article generator needs to know, read once from the database.

A ``Cast`` is plain data (lists, tuples, dicts of ints and strings): worker processes
inherit it when they fork, and article generation never queries the database.
"""

import datetime
import random
from collections import defaultdict
from itertools import accumulate

from actors.models import Actor, Alias, Role
from articles.models import Outlet, Topic

from .lexicon import LANGUAGES
from .reference import CORE_STATES, FIRST_DAY, LAST_DAY, OUTLET_DOMAIN, spell

# Aliases an article may name an actor by (demonyms, titles and metonyms need grammar).
NAMING_KINDS = {"official", "short", "variant", "transliteration"}
# The ones a first mention prefers, longest first: "Daro Kadouri" before "Kadouri".
FULL_KINDS = {"official", "transliteration"}
LEADING_POSITIONS = {
    "head_of_state",
    "head_of_government",
    "supreme_leader",
    "foreign_minister",
    "defence_minister",
}
ZIPF_EXPONENT = 1.0
# How often a person is named in a year when holding none of their roles, relative to a
# year in office.
OUT_OF_OFFICE = 0.15
UNSAFE = ("\t", "\n", "\r", "\\")


def safe(text: str) -> bool:
    return not any(char in text for char in UNSAFE)


def cumulative(weights) -> list[float]:
    return list(accumulate(weights))


class Cast:
    def __init__(self, seed: str):
        self.first_day = FIRST_DAY.toordinal()
        self.last_day = LAST_DAY.toordinal()
        self._load_actors()
        self._load_outlets_and_topics()
        self._make_days()
        self._make_bylines(random.Random(f"{seed}:bylines"))
        self.talks = []
        self._leaders = None  # state -> tenures of its leaders, once a talk needs them

    def _load_actors(self) -> None:
        rows = list(Actor.objects.order_by("pk").values_list("pk", "kind", "name", "slug", "state"))
        index = {pk: position for position, (pk, *_rest) in enumerate(rows)}
        self.actor_ids = [pk for pk, *_rest in rows]
        self.kinds = [kind for _pk, kind, *_rest in rows]
        self.names = [name for _pk, _kind, name, *_rest in rows]
        self.slugs = [slug for *_rest, slug, _state in rows]
        self.states = [index.get(state) for *_rest, state in rows]

        self.tenures = defaultdict(list)
        leading = defaultdict(int)
        core_ids = {
            pk for pk, slug in zip(self.actor_ids, self.slugs, strict=True) if slug in CORE_STATES
        }
        for person, position, organization, start, end in Role.objects.order_by("pk").values_list(
            "person_id", "position", "organization_id", "start_date", "end_date"
        ):
            leads = position in LEADING_POSITIONS
            self.tenures[index[person]].append(
                (start.toordinal(), (end or LAST_DAY).toordinal(), index[organization], leads)
            )
            if leads and organization in core_ids:
                leading[index[person]] += 1

        aliases = defaultdict(list)
        for actor, name, language, kind in Alias.objects.order_by("pk").values_list(
            "actor_id", "name", "language", "kind"
        ):
            if kind in NAMING_KINDS and safe(name):
                aliases[index[actor]].append((name, language, kind))
        self.surfaces = {
            code: [self._surfaces(i, aliases[i], language) for i in range(len(rows))]
            for code, language in LANGUAGES.items()
        }

        # Zipf over a ranking: the three states, their leaders, the other states, the rest.
        core_rank = {slug: rank for rank, slug in enumerate(CORE_STATES)}

        def importance(i):
            if self.slugs[i] in core_rank:
                return (0, core_rank[self.slugs[i]])
            if leading[i]:
                return (1, -leading[i], i)
            if self.kinds[i] == "state":
                return (2, i)
            return (3, i)

        ranking = sorted(range(len(rows)), key=importance)
        base = [0.0] * len(rows)
        for rank, i in enumerate(ranking):
            base[i] = 1 / (rank + 1) ** ZIPF_EXPONENT
        self.year_weights = []
        for year in range(FIRST_DAY.year, LAST_DAY.year + 1):
            first = datetime.date(year, 1, 1).toordinal()
            last = datetime.date(year, 12, 31).toordinal()
            weights = list(base)
            for i, tenures in self.tenures.items():
                if not any(start <= last and end >= first for start, end, *_rest in tenures):
                    weights[i] *= OUT_OF_OFFICE
            self.year_weights.append(cumulative(weights))

    def _surfaces(self, i, aliases, language):
        """(first mention, every name a later mention may use) of actor ``i`` in ``language``."""
        own = [(name, kind) for name, code, kind in aliases if code == language.code]
        full = sorted(
            (name for name, kind in own if kind in FULL_KINDS),
            key=lambda name: (-len(name.split()), name),
        )
        names = [name for name, _kind in own]
        if language.latin:
            names += [self.names[i]] + [name for name, code, _kind in aliases if code == ""]
            first = full[0] if full else self.names[i]
        else:
            first = full[0] if full else names[0] if names else self.names[i]
        names = [name for name in dict.fromkeys([first, *names]) if safe(name)]
        return first, tuple(names)

    def _load_outlets_and_topics(self) -> None:
        self.outlets = {}
        rows = list(Outlet.objects.order_by("pk").values_list("pk", "kind", "slug", "languages"))
        for code in LANGUAGES:
            mine = [
                (pk, kind, f"{slug}{OUTLET_DOMAIN}")
                for pk, kind, slug, languages in rows
                if code in languages.split()
            ]
            weights = [1 / (rank + 1) ** 0.7 for rank in range(len(mine))]
            self.outlets[code] = (mine, cumulative(weights))
        self.topic_ids = list(Topic.objects.order_by("pk").values_list("pk", flat=True))
        self.topic_weights = cumulative(
            1 / (rank + 1) ** 0.8 for rank in range(len(self.topic_ids))
        )

    def _make_days(self) -> None:
        """Days get more articles as years pass, and fewer at weekends."""
        self.day_ordinals = list(range(self.first_day, self.last_day + 1))
        dates = [datetime.date.fromordinal(day) for day in self.day_ordinals]
        self.day_iso = [date.isoformat() for date in dates]
        self.day_years = [date.year - FIRST_DAY.year for date in dates]
        self.day_weekdays = [date.weekday() for date in dates]
        weekend = {5: 0.55, 6: 0.7}
        self.day_weights = cumulative(
            (1 + (date.year - FIRST_DAY.year) / 7) * weekend.get(date.weekday(), 1)
            for date in dates
        )

    def _make_bylines(self, rng) -> None:
        syllables = [(c, v) for c in "bdfgklmnrstvz" for v in "aeiou"]
        self.bylines = {}
        for code, language in LANGUAGES.items():
            script = None if language.latin else code
            names = []
            for _ in range(200):
                first = spell(rng.choices(syllables, k=2), "", script)
                last = spell(
                    rng.choices(syllables, k=rng.choice((2, 3))), rng.choice("nrl"), script
                )
                names.append(f"{first} {last}")
            self.bylines[code] = names

    def people_by_state(self) -> dict[int, list[int]]:
        people = defaultdict(list)
        for i, kind in enumerate(self.kinds):
            if kind == "person" and self.states[i] is not None:
                people[self.states[i]].append(i)
        return people

    def holder(self, rng: random.Random, state: int, people: list[int], day: int) -> int:
        """Who speaks for ``state`` on ``day``: a leader of it then (head of state or of
        government, foreign or defence minister), else one of ``people`` in office then."""
        if self._leaders is None:
            self._leaders = defaultdict(list)
            for person, tenures in self.tenures.items():
                for start, end, organization, leads in tenures:
                    if leads:
                        self._leaders[organization].append((start, end, person))
        leaders = [person for start, end, person in self._leaders[state] if start <= day <= end]
        if leaders:
            return rng.choice(leaders)
        in_office = [
            person
            for person in people
            if any(start <= day <= end for start, end, *_rest in self.tenures.get(person, ()))
        ]
        return rng.choice(in_office or people)
