"""Recognise, in a text and its actor mentions, the report of a call, meeting or visit.

A sentence that holds a talk phrase ("s'est entretenu au téléphone", "spoke by
phone", "met with", "visite") and names people of two different states is read as
a talk between those states. Its date comes from the article's date and the
relative words of the sentence (hier, yesterday, lundi, on Thursday, la semaine
dernière, or a written date), with the precision they allow.
"""

import bisect
import datetime
import re
from dataclasses import dataclass

from .folding import fold_text, nfc
from .linking import Linker, Mention

# Folded phrases, longest first when they overlap, and the kind of talk they report.
TALK_PHRASES = [
    (r"(?:entretien|conversation|appel|echange) telephonique", "phone_call"),
    (r"\b(?:au|par) telephone\b", "phone_call"),
    (
        r"\b(?:tele)?phone (?:call|conversation)\b|\bby (?:tele)?phone\b"
        r"|\b(?:on|over) the phone\b|\bphone call\b",
        "phone_call",
    ),
    # Not "called for restraint", "called on Iran to".
    (r"\bcalled\b(?! (?:for|on|upon)\b)|\bphoned\b|\bspoke (?:with|to)\b", "phone_call"),
    (r"telefonema|conversa telefonica|por telefone|llamada telefonica|por telefono", "phone_call"),
    (r"conversacion telefonica|telefonat|telefoniert", "phone_call"),
    (
        r"שיחת טלפון|שיחה טלפונית|שוחח|اتصال هاتفي|اتصالا هاتفيا|مكالمة هاتفية"
        r"|تماس تلفنی|گفتگوی تلفنی",
        "phone_call",
    ),
    (r"visioconference|\bvideo ?call\b|videoconference|video conference", "video_call"),
    (
        r"\bvisite\b|\bvisited\b|\bvisit\b|\bvisiting\b|\ba recu\b|\bhosted\b"
        r"|\barrived in\b|\bs'est rendue? \b|\bse rend\b|\btrip to\b|\bvoyage\b|\btour\b"
        r"|\b(?:a ete|est) recue?\b|\best arrivee? (?:a|en|au)\b|\btournee\b",
        "visit",
    ),
    (r"\bsommet\b|\bsummit\b|\bcumbre\b|\bcupula\b", "summit"),
    (
        r"\bround of (?:[\w-]+ )?(?:talks|negotiations)\b|\bcycle de (?:pourparlers|negociations)\b"
        r"|\bnegotiations?\b|\bnegociations?\b|\bindirect talks\b|\bpourparlers\b",
        "negotiation_round",
    ),
    (
        # Not the French "met en garde", "met fin à", "met en cause".
        r"\bmet\b(?! (?:en|fin|l'accent)\b)|\bmeets\b|\bmeeting\b|\brencontre\b|\breunion\b"
        r"|\bentrevue\b"
        r"|\bs'est (?:entretenue?|reunie?) avec\b|\b(?:held )?talks with\b|\bse reunio\b",
        "meeting",
    ),
]
TALK_PATTERNS = [(re.compile(pattern), kind) for pattern, kind in TALK_PHRASES]
# The kinds a phrase may hide behind a more general one: "s'est entretenu ... au téléphone".
KIND_ORDER = ["phone_call", "video_call", "visit", "summit", "negotiation_round", "meeting"]

WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6,
    "lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5, "dimanche": 6,
}  # fmt: skip
MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
}  # fmt: skip
MONTH_NAMES = "|".join(MONTHS)
DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:er)? ({MONTH_NAMES})(?: (\d{{4}}))?\b")
MONTH_DAY = re.compile(rf"\b({MONTH_NAMES}) (\d{{1,2}})(?:st|nd|rd|th)?(?:, (\d{{4}}))?\b")
SENTENCE_END = re.compile(r"(?<=[.!?»”\"])\s+|\n+")


def _whole_words(words: str) -> re.Pattern:
    return re.compile(rf"(?<!\w){re.escape(words)}(?!\w)")


# The relative words of a date, and the days they go back from the article's date.
RELATIVE_DAYS = [
    (words, days, _whole_words(words))
    for words, days in [
        ("avant-hier", 2),
        ("day before yesterday", 2),
        ("hier", 1),
        ("yesterday", 1),
        ("ontem", 1),
        ("ayer", 1),
        ("gestern", 1),
        ("אתמול", 1),
        ("أمس", 1),
        ("امس", 1),
        ("دیروز", 1),
        ("aujourd'hui", 0),
        ("today", 0),
    ]
]
WEEKDAY_PATTERNS = [(name, weekday, _whole_words(name)) for name, weekday in WEEKDAYS.items()]


@dataclass
class DetectedTalk:
    kind: str
    date: datetime.date
    date_precision: str
    states: tuple[int, int]
    participants: list[tuple[int, int]]  # (person, state represented)
    phrase: str
    sentence: str
    date_words: str = ""
    place_id: int | None = None


def sentences(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of ``text``."""
    spans, start = [], 0
    for match in SENTENCE_END.finditer(text):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def resolve_date(folded_sentence: str, published: datetime.date | None):
    """Return (date, precision, words) for the talk a sentence reports, or None."""
    if published is None:
        return None
    for words, days, pattern in RELATIVE_DAYS:
        if pattern.search(folded_sentence):
            return published - datetime.timedelta(days=days), "day", words
    match = DAY_MONTH.search(folded_sentence) or MONTH_DAY.search(folded_sentence)
    if match:
        if match.re is DAY_MONTH:
            day, month, year = match.group(1), match.group(2), match.group(3)
        else:
            month, day, year = match.group(1), match.group(2), match.group(3)
        year = int(year) if year else published.year
        try:
            date = datetime.date(year, MONTHS[month], int(day))
        except ValueError:
            date = None
        if date:
            if not match.group(3) and date > published:
                date = date.replace(year=year - 1)
            return date, "day", match.group(0)
    for name, weekday, pattern in WEEKDAY_PATTERNS:
        if pattern.search(folded_sentence):
            back = (published.weekday() - weekday) % 7
            return published - datetime.timedelta(days=back), "day", name
    for words in ("la semaine derniere", "last week", "la semaine passee"):
        if words in folded_sentence:
            week_ago = published - datetime.timedelta(days=7)
            return week_ago.replace(day=1), "month", words
    return published, "day", ""


def person_state(linker: Linker, person_id: int, date: datetime.date | None) -> int | None:
    """The state a person represented on ``date``: the state of a role then held, or theirs."""
    for _position, organization_id, tenure in linker.positions_of.get(person_id, ()):
        if date is None or tenure.held_on(date):
            organization = linker.actors[organization_id]
            state = organization.pk if organization.kind == "state" else organization.state_id
            if state:
                return state
    return linker.actors[person_id].state_id


def merge(first: DetectedTalk, other: DetectedTalk) -> DetectedTalk:
    """One talk reported by two sentences: the dated sentence and the most specific kind win."""
    dated = first if first.date_words or not other.date_words else other
    kind = min(first.kind, other.kind, key=KIND_ORDER.index)
    participants = list(dict.fromkeys(first.participants + other.participants))
    return DetectedTalk(
        kind=kind,
        date=dated.date,
        date_precision=dated.date_precision,
        states=first.states,
        participants=participants,
        phrase=dated.phrase,
        sentence=dated.sentence,
        date_words=dated.date_words,
        place_id=dated.place_id or first.place_id or other.place_id,
    )


def _sentences_naming_people(
    spans: list[tuple[int, int]], mentions: list[Mention], linker: Linker
) -> list[int]:
    """The sentences that, with the next one, name at least two people, in order.

    Only they can report a talk (people of two states); looking for talk phrases in
    the others was most of the time talk detection took.
    """
    starts = [start for start, _end in spans]
    people: dict[int, set[int]] = {}
    for mention in mentions:
        if linker.actors[mention.actor_id].kind == "person":
            index = bisect.bisect_right(starts, mention.start) - 1
            people.setdefault(index, set()).add(mention.actor_id)
    return [
        index
        for index in range(len(spans))
        if len(people.get(index, set()) | people.get(index + 1, set())) >= 2
    ]


def _phrases_by_sentence(
    folded: str, spans: list[tuple[int, int]], indices: list[int]
) -> dict[int, list]:
    """``{sentence index: [(kind, match)]}`` for the sentences of ``indices`` with a
    talk phrase, in order. Searched in place, so that a phrase's first word still sees
    the character before it.
    """
    found: dict[int, list] = {}
    for index in indices:
        start, end = spans[index]
        for pattern, kind in TALK_PATTERNS:
            for match in pattern.finditer(folded, start, end):
                found.setdefault(index, []).append((kind, match))
    return found


def detect_talks(
    text: str, mentions: list[Mention], linker: Linker, published: datetime.date | None
) -> list[DetectedTalk]:
    """Return the talks that ``text`` reports, one per pair of states, in reading order."""
    text = nfc(text)
    return talks_in(text, fold_text(text), sentences(text), mentions, linker, published)


def talks_in(
    text: str,
    folded: str,
    spans: list[tuple[int, int]],
    mentions: list[Mention],
    linker: Linker,
    published: datetime.date | None,
) -> list[DetectedTalk]:
    """``detect_talks`` on an NFC ``text`` already folded and cut into sentences."""
    detected: dict[tuple[int, int], DetectedTalk] = {}
    candidates = _sentences_naming_people(spans, mentions, linker)
    for index, kinds in _phrases_by_sentence(folded, spans, candidates).items():
        start, end = spans[index]
        sentence = folded[start:end]
        kind, phrase = min(kinds, key=lambda pair: KIND_ORDER.index(pair[0]))
        resolved = resolve_date(sentence, published)
        if resolved is None:
            continue
        date, precision, words = resolved
        # The people may be named in the next sentence ("Witkoff led the American team").
        window_end = spans[index + 1][1] if index + 1 < len(spans) else end
        participants = []
        for person in dict.fromkeys(
            m.actor_id
            for m in mentions
            if start <= m.start < window_end and linker.actors[m.actor_id].kind == "person"
        ):
            state = person_state(linker, person, date)
            if state is not None:
                participants.append((person, state))
        states = list(dict.fromkeys(state for _, state in participants))
        if len(states) < 2:
            continue
        pair = (states[0], states[1])
        place = next(
            (
                linker.actors[m.actor_id]
                for m in mentions
                if start <= m.start < end and linker.actors[m.actor_id].kind == "place"
            ),
            None,
        )
        if kind == "meeting" and place is not None and place.state_id in pair:
            kind = "visit"  # met in one side's country: the other side visited
        found = DetectedTalk(
            kind=kind,
            date=date,
            date_precision=precision,
            states=pair,
            participants=[(p, s) for p, s in participants if s in pair],
            phrase=text[phrase.start() : phrase.end()],
            sentence=text[start:end],
            date_words=words,
            place_id=place.pk if place else None,
        )
        key = tuple(sorted(pair))
        detected[key] = merge(detected[key], found) if key in detected else found
    return list(detected.values())
