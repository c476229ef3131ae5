"""Find the actors an article mentions, in any language, with the evidence for each.

The linker is built from the database (actors, their aliases, their dated roles)
into one Aho-Corasick automaton over every folded name and alias, so that finding
the candidates is linear in the length of the text. Text and names are folded the
same length-preserving way (see ``folding``), so offsets found in the folded text
are offsets in the original.

Beyond names and aliases it resolves:
- role descriptions by the article's date: "le premier ministre israélien",
  "Israel's prime minister", "the State Department spokesperson" → whoever held
  that position that day, and a bare "the Secretary" → the secretary the article
  already named;
- surnames alone, once the full name or a role has established the person in the
  article ("Miller" after "Matthew Miller"), when no other established person
  shares the surname.
Overlapping candidates resolve to the longest, most specific one ("Département
d'État américain" is the department, not only the state).
"""

import bisect
import datetime
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import ahocorasick
from django.core.cache import cache

from .folding import fold_text, nfc

# Position terms, folded, by the positions they may name (in order of preference).
POSITION_TERMS: dict[str, tuple[str, ...]] = {
    "prime minister": ("head_of_government",),
    "premier ministre": ("head_of_government",),
    "premiere ministre": ("head_of_government",),
    "chef du gouvernement": ("head_of_government",),
    "primeiro-ministro": ("head_of_government",),
    "primer ministro": ("head_of_government",),
    "president": ("head_of_state", "head_of_government"),
    "presidente": ("head_of_state", "head_of_government"),
    "vice president": ("vice_president",),
    "vice-president": ("vice_president",),
    "supreme leader": ("supreme_leader",),
    "guide supreme": ("supreme_leader",),
    "foreign minister": ("foreign_minister",),
    "minister of foreign affairs": ("foreign_minister",),
    "ministre des affaires etrangeres": ("foreign_minister",),
    "chef de la diplomatie": ("foreign_minister",),
    "secretary of state": ("foreign_minister",),
    "secretaire d'etat": ("foreign_minister",),
    "defense minister": ("defence_minister",),
    "defence minister": ("defence_minister",),
    "minister of defense": ("defence_minister",),
    "minister of defence": ("defence_minister",),
    "defense secretary": ("defence_minister",),
    "secretary of defense": ("defence_minister",),
    "ministre de la defense": ("defence_minister",),
    "national security adviser": ("national_security_adviser",),
    "national security advisor": ("national_security_adviser",),
    "conseiller a la securite nationale": ("national_security_adviser",),
    "spokesperson": ("spokesperson",),
    "spokesman": ("spokesperson",),
    "spokeswoman": ("spokesperson",),
    "porte-parole": ("spokesperson",),
    "secretary": ("foreign_minister", "defence_minister"),
}
# French puts the adjective inside some titles: "le ministre iranien des Affaires étrangères".
SPLIT_TITLES = [
    (re.compile(r"\bministre (\w+) des affaires etrangeres\b"), ("foreign_minister",)),
    (re.compile(r"\bministre (\w+) de la defense\b"), ("defence_minister",)),
    (re.compile(r"\bsecretaire d'etat (\w+)\b"), ("foreign_minister",)),
]
# What may stand between a title and the state or office that qualifies it.
GAP_AFTER_TITLE = re.compile(r"^\s*(?:of the|of|for|du|de la|de l'|des|de|d')?\s*$")
GAP_BEFORE_TITLE = re.compile(r"^(?:'s|')?\s*$")
# Prefixes that Hebrew and Arabic attach to the next word (and, in, to, the...).
ATTACHED_PREFIXES = set("ובכלמשהوبلفك")
# Words after which a city is a place, not its government ("in Washington", "à Téhéran").
LOCATIVES = {
    "in", "at", "to", "from", "into", "near", "outside", "via",
    "a", "au", "aux", "en", "dans", "depuis", "vers", "pres", "sur",
    "em", "para", "desde", "nach", "aus",
}  # fmt: skip
# The pseudo-actor of blocking names: they take their span, and are not returned.
BLOCKER = 0
KIND_SPECIFICITY = {"blocker": 0, "person": 4, "organization": 3, "place": 2, "state": 1}


@dataclass(frozen=True)
class Mention:
    """One place where an article names an actor."""

    actor_id: int
    start: int
    end: int
    surface: str
    method: str  # name, alias, demonym, role, surname


@dataclass
class ActorEntry:
    pk: int
    kind: str
    name: str
    state_id: int | None
    surnames: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Tenure:
    person_id: int
    start: datetime.date
    end: datetime.date | None

    def held_on(self, date: datetime.date) -> bool:
        return self.start <= date and (self.end is None or date <= self.end)


def is_word_char(char: str) -> bool:
    return char.isalnum()


class Spans:
    """Non-overlapping [start, end) spans, sorted, with logarithmic overlap checks."""

    def __init__(self, spans=()):
        self.starts: list[int] = []
        self.ends: list[int] = []
        for start, end in sorted(spans):
            self.add(start, end)

    def overlaps(self, start: int, end: int) -> bool:
        index = bisect.bisect_left(self.starts, end)
        return index > 0 and self.ends[index - 1] > start

    def add(self, start: int, end: int) -> None:
        index = bisect.bisect_left(self.starts, start)
        self.starts.insert(index, start)
        self.ends.insert(index, end)


class Linker:
    """An automaton over every name and alias, and the roles, ready to link texts."""

    def __init__(self, actors, aliases, roles, blockers=()):
        """``actors``: (pk, kind, name, state_id); ``aliases``: (actor_id, name, kind);
        ``roles``: (person_id, position, organization_id, start, end); ``blockers``: names
        that are no actor but contain one (outlets: "The Times of Israel", "Tehran Times")."""
        self.actors = {
            pk: ActorEntry(pk, kind, name, state_id) for pk, kind, name, state_id in actors
        }
        self.actors[BLOCKER] = ActorEntry(BLOCKER, "blocker", "", None)
        self.keys: dict[str, list[tuple[int, str, str | None]]] = defaultdict(list)
        for actor in self.actors.values():
            self._add(actor.name, actor.pk, "name")
        for name in blockers:
            self._add(name, BLOCKER, "blocker")
        for actor_id, name, alias_kind in aliases:
            if actor_id in self.actors:
                method = "demonym" if alias_kind == "demonym" else "alias"
                self._add(name, actor_id, method)
        self.automaton = ahocorasick.Automaton()
        for key, entries in self.keys.items():
            self.automaton.add_word(key, (key, entries))
        self.automaton.make_automaton()

        self.terms = ahocorasick.Automaton()
        for term, positions in POSITION_TERMS.items():
            self.terms.add_word(term, (term, positions))
        self.terms.make_automaton()

        self.tenures: dict[tuple[str, int], list[Tenure]] = defaultdict(list)
        self.positions_of: dict[int, list[tuple[str, int, Tenure]]] = defaultdict(list)
        for person_id, position, organization_id, start, end in roles:
            tenure = Tenure(person_id, start, end)
            self.tenures[(position, organization_id)].append(tenure)
            self.positions_of[person_id].append((position, organization_id, tenure))

        # A person's surnames: the last word of each of their names of two words or more.
        for key, entries in self.keys.items():
            if " " not in key:
                continue
            last = key.rsplit(" ", 1)[1]
            if len(last) < 3 or not last.isalpha():
                continue
            for actor_id, _method, _exact in entries:
                if self.actors[actor_id].kind == "person":
                    self.actors[actor_id].surnames.add(last)

    def _add(self, surface: str, actor_id: int, method: str) -> None:
        surface = nfc(surface).strip()
        key = fold_text(surface)
        if len(key) < 2:
            return
        # Acronyms ("US", "UN", "IDF") must keep their case: "us" is a pronoun.
        letters = [c for c in surface if c.isalpha()]
        exact = surface if letters and len(letters) <= 5 and surface.isupper() else None
        entry = (actor_id, method, exact)
        if entry not in self.keys[key]:
            self.keys[key].append(entry)

    # --- linking ---------------------------------------------------------------

    def link(self, text: str, date: datetime.date | None = None) -> list[Mention]:
        """Return the mentions of known actors in ``text`` (NFC), in reading order."""
        text = nfc(text)
        return self.link_folded(text, fold_text(text), date)

    def link_folded(self, text: str, folded: str, date: datetime.date | None) -> list[Mention]:
        """``link()`` of an NFC ``text`` whose ``fold_text`` the caller holds already."""
        names, nested = self._resolve_overlaps(folded, self._candidates(text, folded))
        names = [m for m in names if m.actor_id != BLOCKER]
        roles = self._roles(folded, text, names, date)
        surnames = self._surnames_after(folded, text, names + roles)
        return sorted(names + nested + roles + surnames, key=lambda m: (m.start, -m.end))

    def _bounded(self, folded: str, start: int, end: int) -> bool:
        if end < len(folded) and is_word_char(folded[end]):
            return False
        if start == 0 or not is_word_char(folded[start - 1]):
            return True
        # Hebrew or Arabic prefixes glued to the name: בישראל, والولايات
        prefix = start
        while prefix > 0 and start - prefix < 3 and folded[prefix - 1] in ATTACHED_PREFIXES:
            prefix -= 1
        return prefix < start and (prefix == 0 or not is_word_char(folded[prefix - 1]))

    def _candidates(self, text: str, folded: str) -> list[Mention]:
        candidates = []
        for end_index, (key, entries) in self.automaton.iter(folded):
            start, end = end_index - len(key) + 1, end_index + 1
            if not self._bounded(folded, start, end):
                continue
            surface = text[start:end]
            for actor_id, method, exact in entries:
                if exact is not None and surface != exact:
                    continue
                candidates.append(Mention(actor_id, start, end, surface, method))
        return candidates

    def _resolve_overlaps(self, folded: str, candidates: list[Mention]):
        """Keep the longest, most specific candidates that do not overlap; return them,
        and the adjectives nested in names of organizations.

        A surface that names several actors is settled by its context ("in Washington"
        is the city, "Washington said" the state). An adjective inside the name of an
        organization still names its state ("département d'État américain").
        """
        by_span: dict[tuple[int, int], list[Mention]] = defaultdict(list)
        for mention in candidates:
            if mention not in by_span[(mention.start, mention.end)]:
                by_span[(mention.start, mention.end)].append(mention)
        chosen = [self._settle(folded, same_span) for same_span in by_span.values()]

        def preference(mention):
            kind = self.actors[mention.actor_id].kind
            return (-(mention.end - mention.start), -KIND_SPECIFICITY[kind], mention.start)

        taken = Spans()
        accepted, nested = [], []
        for mention in sorted(chosen, key=preference):
            if not taken.overlaps(mention.start, mention.end):
                taken.add(mention.start, mention.end)
                accepted.append(mention)
            elif mention.method == "demonym":
                nested.append(mention)
        organizations = Spans(
            (m.start, m.end) for m in accepted if self.actors[m.actor_id].kind == "organization"
        )
        return accepted, [m for m in nested if organizations.overlaps(m.start, m.end)]

    def _settle(self, folded: str, same_span: list[Mention]) -> Mention:
        """Choose among the actors one surface may name."""
        if len({m.actor_id for m in same_span}) == 1:
            return same_span[0]
        kinds = {self.actors[m.actor_id].kind: m for m in same_span}
        if "place" in kinds and "state" in kinds:
            before = folded[max(0, same_span[0].start - 12) : same_span[0].start].split()
            return kinds["place"] if before and before[-1] in LOCATIVES else kinds["state"]
        return max(same_span, key=lambda m: KIND_SPECIFICITY[self.actors[m.actor_id].kind])

    def _holders(self, positions, organization_id, date, among=None) -> set[int]:
        holders = set()
        for position in positions:
            for tenure in self.tenures.get((position, organization_id), ()):
                if tenure.held_on(date) and (among is None or tenure.person_id in among):
                    holders.add(tenure.person_id)
            if holders:
                return holders
        return holders

    def _qualified_holder(self, positions, qualifier: Mention, date) -> int | None:
        actor = self.actors[qualifier.actor_id]
        if actor.kind not in ("state", "organization"):
            return None
        # Each position in turn, in the office named then in its state: the "president"
        # of an authority is its head, before the head of its government.
        for position in positions:
            for organization_id in (actor.pk, actor.state_id):
                if organization_id is None:
                    continue
                holders = self._holders((position,), organization_id, date)
                if holders:
                    return holders.pop() if len(holders) == 1 else None
        return None

    def _titles(self, folded, mentions):
        """(start, end, positions, qualifier or None) of every title in the text."""
        titles = []
        for end_index, (term, positions) in self.terms.iter(folded):
            start, end = end_index - len(term) + 1, end_index + 1
            if self._bounded(folded, start, end):
                titles.append((start, end, positions, None))
        by_span = {(m.start, m.end): m for m in mentions}
        for pattern, positions in SPLIT_TITLES:
            for match in pattern.finditer(folded):
                qualifier = by_span.get(match.span(1))
                if qualifier:
                    titles.append((match.start(), match.end(), positions, qualifier))
        # Longest first, so that "secretary of state" wins over "secretary".
        return sorted(titles, key=lambda title: (title[0] - title[1], title[0]))

    def _adjacent_qualifiers(self, folded, mentions, starts, ends_order, ends, start, end):
        """The mentions right after or right before a title that may qualify it."""
        qualifiers = []
        index = bisect.bisect_left(starts, end)
        if index < len(mentions) and GAP_AFTER_TITLE.match(folded[end : mentions[index].start]):
            qualifiers.append(mentions[index])
        index = bisect.bisect_right(ends, start) - 1
        if index >= 0 and GAP_BEFORE_TITLE.match(folded[ends_order[index].end : start]):
            qualifiers.append(ends_order[index])
        return qualifiers

    def _roles(self, folded, text, mentions, date) -> list[Mention]:
        if date is None:
            return []
        mentions = sorted(mentions, key=lambda m: m.start)
        starts = [m.start for m in mentions]
        ends_order = sorted(mentions, key=lambda m: m.end)
        ends = [m.end for m in ends_order]
        names = Spans((m.start, m.end) for m in mentions)
        first_seen = self._first_seen(mentions)
        found: list[Mention] = []
        used = Spans()
        for start, end, positions, qualifier in self._titles(folded, mentions):
            # A title inside a name ("Prime Minister's Office") is no title; the adjective
            # inside a French title ("ministre iranien des ...") is its qualifier.
            outside = (
                [(start, end)]
                if qualifier is None
                else [(start, qualifier.start), (qualifier.end, end)]
            )
            if any(names.overlaps(a, b) for a, b in outside) or used.overlaps(start, end):
                continue
            qualifiers = (
                [qualifier]
                if qualifier
                else self._adjacent_qualifiers(
                    folded, mentions, starts, ends_order, ends, start, end
                )
            )
            person_id, span = None, (start, end)
            for candidate in qualifiers:
                person_id = self._qualified_holder(positions, candidate, date)
                if person_id:
                    span = (min(start, candidate.start), max(end, candidate.end))
                    break
            if person_id is None:
                person_id = self._named_holder(positions, first_seen, start, date)
            if person_id is None:
                continue
            used.add(start, end)
            first_seen.setdefault(person_id, span[1])
            found.append(Mention(person_id, span[0], span[1], text[span[0] : span[1]], "role"))
        return found

    def _first_seen(self, mentions) -> dict[int, int]:
        """Where each person is first named: the end of their first mention."""
        first_seen: dict[int, int] = {}
        for mention in mentions:
            if self.actors[mention.actor_id].kind == "person":
                first_seen[mention.actor_id] = min(
                    first_seen.get(mention.actor_id, mention.end), mention.end
                )
        return first_seen

    def _named_holder(self, positions, first_seen, before, date) -> int | None:
        """The one person already named before ``before`` who held one of ``positions``."""
        holders = {
            person_id
            for person_id, seen_at in first_seen.items()
            if seen_at <= before
            for position, _organization, tenure in self.positions_of.get(person_id, ())
            if position in positions and tenure.held_on(date)
        }
        return holders.pop() if len(holders) == 1 else None

    def _surnames_after(self, folded, text, mentions) -> list[Mention]:
        first_seen = self._first_seen(mentions)
        owners: dict[str, list[int]] = defaultdict(list)
        for person_id in first_seen:
            for surname in self.actors[person_id].surnames:
                owners[surname].append(person_id)
        taken = Spans((m.start, m.end) for m in mentions)
        found = []
        for surname, people in owners.items():
            if len(people) != 1:
                continue
            person_id = people[0]
            # str.find, not a regular expression: one per surname overflowed re's cache,
            # and compiling them again was a tenth of an import's time.
            start = folded.find(surname) if surname else -1
            while start != -1:
                end = start + len(surname)
                if (
                    start >= first_seen[person_id]
                    and self._bounded(folded, start, end)
                    and text[start].isupper()
                    and not taken.overlaps(start, end)
                ):
                    found.append(Mention(person_id, start, end, text[start:end], "surname"))
                    taken.add(start, end)
                start = folded.find(surname, end)
        return found


LINKER_VERSION_KEY = "actors:linker-version"
_built: dict[str, object] = {"version": None, "linker": None}


def get_linker() -> Linker:
    """The process's linker, rebuilt when actors, aliases or roles changed (in any process
    sharing the cache)."""
    version = cache.get_or_set(LINKER_VERSION_KEY, lambda: uuid.uuid4().hex, timeout=None)
    if _built["version"] != version or _built["linker"] is None:
        _built["linker"], _built["version"] = build_linker(), version
    return _built["linker"]


def invalidate_linker(**kwargs) -> None:
    """Signal receiver: the names or roles changed; every process rebuilds on next use."""
    cache.set(LINKER_VERSION_KEY, uuid.uuid4().hex, timeout=None)


def build_linker() -> Linker:
    """Build a linker from the actors, aliases and roles in the database."""
    from articles.models import Outlet

    from .models import Actor, Alias, Role

    return Linker(
        Actor.objects.values_list("pk", "kind", "name", "state_id"),
        Alias.objects.values_list("actor_id", "name", "kind"),
        Role.objects.values_list(
            "person_id", "position", "organization_id", "start_date", "end_date"
        ),
        blockers=Outlet.objects.filter(actor=None).values_list("name", flat=True),
    )
