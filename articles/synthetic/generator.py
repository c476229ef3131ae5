"""Articles as rows: the hot path of the synthetic archive.

Each article depends only on the seed, its ordinal and the cast, so the archive is the
same whichever process generates which batch, and whatever the batch size. Text comes
from sentence pools built once per language; each article draws its actors from a Zipf
law whose weights follow the years (people are named mostly while in office), and names
every actor it is linked to by one of its aliases in the article's language.
"""

import functools
import hashlib
import json
import random
import re
import unicodedata
from dataclasses import dataclass, field
from itertools import accumulate

from articles.normalize import TYPOGRAPHIC_TRANSLATION, WHITESPACE, normalized_text, slug_for

from .lexicon import LANGUAGES

FILLERS_PER_LANGUAGE = 4000
# Article lengths in words: log-normal around 450, a few hundred to about 1,500.
MEDIAN_WORDS = 450
LENGTH_SIGMA = 0.45
MIN_WORDS, MAX_WORDS = 150, 1500
STATUSES = ("published",) * 93 + ("review",) * 2 + ("draft",) * 5
LINK_STATUSES = ("confirmed",) * 194 + ("suggested",) * 5 + ("rejected",)  # by the linker
NEWS_KINDS = ("report",) * 75 + ("analysis",) * 13 + ("opinion",) * 12
OFFICIAL_KINDS = ("readout", "readout", "statement")
TOPIC_COUNTS = (0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3)
PARAGRAPH_SIZES = (2, 3, 3, 4, 4, 5)
# Mentions of the i-th actor of an article (the subject first), then one each.
MENTIONS = (4, 3, 2, 2)
LINKER_SHARE = 0.75  # of the links; the others were added by an editor


@dataclass
class Rows:
    """One chunk: articles, their actor links, topics and talk reports, as tuples."""

    articles: list[tuple] = field(default_factory=list)
    links: list[tuple] = field(default_factory=list)
    topics: list[tuple] = field(default_factory=list)
    reports: list[tuple] = field(default_factory=list)


EVIDENCE = (
    '[{"field": "body", "start": %d, "end": %d, "surface": "%s", "method": "%s", '
    '"sentence": "%s", "in_sentence": %d}]'
)


TYPOGRAPHIC = re.compile("[" + "".join(map(chr, TYPOGRAPHIC_TRANSLATION)) + "]")


def folded(text: str) -> str:
    """``normalized_text`` without its final strip: the folded form of a concatenation is
    the concatenation of the folded forms, so a body's content hash comes from its parts."""
    normal = unicodedata.normalize("NFKC", text)
    if TYPOGRAPHIC.search(normal):  # rare, and translate() is slow
        normal = normal.translate(TYPOGRAPHIC_TRANSLATION)
    return WHITESPACE.sub(" ", normal.casefold())


def quoted(text: str) -> str:
    """``text`` as the inside of a JSON string."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


def forms(text: str) -> tuple[str, str, str]:
    return text, folded(text), quoted(text)


@dataclass(frozen=True)
class Template:
    before: tuple[str, str, str]
    after: tuple[str, str, str]
    speech: bool
    words: int  # with a name of two words


class Pools:
    """The sentences of one language: fillers, and templates split around their actor."""

    def __init__(self, language, rng: random.Random):
        self.language = language
        fillers = set()
        combinations = (len(language.subjects) * len(language.verbs) * len(language.times)) * len(
            language.clauses
        )
        while len(fillers) < min(FILLERS_PER_LANGUAGE, combinations // 2):
            if rng.random() < 0.08:
                fillers.add(rng.choice(language.numbers).format(n=rng.randint(2, 4000)))
                continue
            verb, connector = rng.choice(language.verbs)
            fillers.add(
                language.filler.format(
                    S=rng.choice(language.subjects),
                    V=verb,
                    T=rng.choice(language.times),
                    K=connector,
                    C=rng.choice(language.clauses),
                )
            )
        self.fillers = [(text, folded(text)) for text in sorted(fillers)]
        self.filler_words = sum(len(text.split()) for text in fillers) / len(fillers)

        def split(template, speech=False):
            before, after = template.split("{x}")
            words = len(before.split()) + len(after.split()) + 2
            return Template(forms(before), forms(after + "."), speech, words)

        self.templates = {
            "person": [split(template, speech) for template, speech in language.person],
            "state": [split(template) for template in language.state],
            "organization": [split(template) for template in language.organization],
            "place": [split(template) for template in language.place],
        }
        self.titles_one = [title for title in language.titles if "{b}" not in title]
        self.titles_two = [title for title in language.titles if "{b}" in title]


class QuickRandom(random.Random):
    """``choice`` without ``_randbelow``: a few times faster, and the hot path makes
    fifty of them per article. Its bias (one part in 2**53) is of no consequence here."""

    def choice(self, seq):
        return seq[int(self.random() * len(seq))]


@functools.cache
def pools_for(seed: str) -> dict[str, Pools]:
    """The sentence pools of every language: they depend on the seed alone."""
    return {
        code: Pools(language, random.Random(f"{seed}:pools:{code}"))
        for code, language in LANGUAGES.items()
    }


class ArticleGenerator:
    def __init__(self, cast, seed: str, links_per_article: float, talk_share: float):
        self.cast = cast
        self.pools = pools_for(seed)
        # Every name of every actor in every language, with its folded and JSON forms.
        known = {}
        self.names = {
            code: [
                (
                    known.setdefault(first, forms(first)),
                    tuple(known.setdefault(name, forms(name)) for name in names),
                )
                for first, names in cast.surfaces[code]
            ]
            for code in LANGUAGES
        }
        self.codes = list(LANGUAGES)
        self.code_weights = list(accumulate(language.share for language in LANGUAGES.values()))
        self.stream = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big") << 40
        shape = random.Random(f"{seed}:shapes")
        self.lengths = [
            min(
                MAX_WORDS,
                max(MIN_WORDS, round(shape.lognormvariate(0, LENGTH_SIGMA) * MEDIAN_WORDS)),
            )
            for _ in range(2000)
        ]
        # Links per article: a gamma law with the requested mean, at least one.
        self.link_counts = [
            max(1, round(shape.gammavariate(4, links_per_article / 4))) for _ in range(2000)
        ]
        self.talk_share = talk_share
        self.actor_range = range(len(cast.actor_ids))
        self.day_range = range(len(cast.day_ordinals))

    def chunk(self, first_ordinal: int, count: int, first_id: int) -> Rows:
        """The articles of ordinals ``first_ordinal``... with ids from ``first_id``.

        Each article has its own random stream, so the archive does not depend on how it
        is cut into batches nor on which process makes which batch.
        """
        rng = QuickRandom()
        rows = Rows()
        for offset in range(count):
            rng.seed(self.stream + first_ordinal + offset)
            self.article(rng, rows, first_id + offset)
        return rows

    def article(self, rng, rows, article_id):
        cast = self.cast
        day = rng.choices(self.day_range, cum_weights=cast.day_weights)[0]
        code = rng.choices(self.codes, cum_weights=self.code_weights)[0]
        link_count = rng.choice(self.link_counts)
        pools, names = self.pools[code], self.names[code]
        talk = lede = None
        if cast.talks and rng.random() < self.talk_share:
            talk, day, lede = self.talk_lede(rng, pools.language, names)
        forced = (*talk.people, *talk.states) if talk else ()
        chosen = self.actors(rng, day, link_count, forced)
        firsts, laters, speakers = self.mentions(rng, pools, names, chosen, set(forced[:2]))
        lede, body, body_folded = self.body(rng, pools, lede, firsts + laters)

        lead, issue = names[chosen[0]][0][0], rng.choice(pools.language.issues)
        if len(chosen) > 1 and pools.titles_two:
            title = rng.choice(pools.titles_two).format(a=lead, b=names[chosen[1]][0][0], i=issue)
        else:
            title = rng.choice(pools.titles_one).format(a=lead, i=issue)
        digest = hashlib.sha256(
            f"{normalized_text(title)}\n{body_folded.strip()}".encode()
        ).hexdigest()

        outlets, outlet_weights = cast.outlets[code]
        outlet_id, outlet_kind, domain = rng.choices(outlets, cum_weights=outlet_weights)[0]
        iso = cast.day_iso[day]
        created = f"{iso} {rng.randrange(6, 23):02d}:{rng.randrange(60):02d}:00+00"
        if talk is not None:
            rows.reports.append((talk.talk_id, article_id, created))
        status = rng.choice(STATUSES)
        rows.articles.append(
            (
                article_id,
                title,
                slug_for(title),
                body,
                rng.choice(OFFICIAL_KINDS if outlet_kind == "government" else NEWS_KINDS),
                f"https://{domain}/{iso[:4]}/{iso[5:7]}/{iso[8:]}/{article_id}",
                outlet_id,
                "" if rng.random() < 0.15 else rng.choice(cast.bylines[code]),
                None if status == "draft" and rng.random() < 0.2 else iso,
                code,
                status,
                digest,
                created,
            )
        )
        reviewed = f"{cast.day_iso[min(day + 1, len(cast.day_iso) - 1)]} 09:00:00+00"
        first_mentions = {actor: (template, name) for actor, template, name in firsts}
        for position, actor in enumerate(chosen):
            if position < min(2, len(chosen)) or actor in forced[:2]:
                role = "subject"
            elif actor in speakers:
                role = "quoted"
            else:
                role = "mentioned"
            if rng.random() >= LINKER_SHARE:
                rows.links.append(
                    (
                        article_id,
                        cast.actor_ids[actor],
                        role,
                        "confirmed",
                        "editor",
                        None,
                        "[]",
                        created,
                    )
                )
                continue
            if actor in first_mentions:
                template, name = first_mentions[actor]
                before, after = template.before, template.after
                in_sentence = len(before[0])
                start = body.find(before[0] + name[0] + after[0]) + in_sentence
                sentence = before[2] + name[2] + after[2]
            else:  # named in the lede of a talk's report
                name = names[actor][0]
                start = in_sentence = lede.find(name[0])
                sentence = quoted(lede)
            evidence = EVIDENCE % (
                start,
                start + len(name[0]),
                name[2],
                "name" if name[0] == cast.names[actor] else "alias",
                sentence,
                in_sentence,
            )
            status = rng.choice(LINK_STATUSES)
            rows.links.append(
                (
                    article_id,
                    cast.actor_ids[actor],
                    role,
                    status,
                    "linker",
                    None if status == "suggested" else reviewed,
                    evidence,
                    created,
                )
            )

        topic_count = rng.choice(TOPIC_COUNTS)
        if topic_count and cast.topic_ids:
            topics = rng.choices(cast.topic_ids, cum_weights=cast.topic_weights, k=topic_count)
            rows.topics.extend((article_id, topic) for topic in dict.fromkeys(topics))

    def talk_lede(self, rng, language, names):
        """A talk this article reports, its day (up to two days later) and the sentence
        that tells the talk, with its two participants' full names."""
        cast = self.cast
        talk = rng.choice(cast.talks)
        lag = rng.choice((0, 0, 1, 1, 2))
        day = talk.day - cast.first_day + lag
        when = ("", f" {language.yesterday}", f" {language.weekdays[cast.day_weekdays[day - lag]]}")
        first_a, first_b = (names[person][0][0] for person in talk.people)
        return talk, day, language.talks[talk.kind].format(a=first_a, b=first_b, t=when[lag])

    def actors(self, rng, day, count, forced) -> list[int]:
        """``forced``, then Zipf draws with the year's weights, until ``count`` distinct."""
        weights = self.cast.year_weights[self.cast.day_years[day]]
        chosen = list(dict.fromkeys(forced))
        while len(chosen) < count:
            draws = rng.choices(self.actor_range, cum_weights=weights, k=2 * count)
            chosen = list(dict.fromkeys(chosen + draws))
        return chosen[: max(count, len(forced))]

    def mentions(self, rng, pools, names, chosen, in_lede):
        """Sentences naming the actors, as (actor, template, name): the first mentions (with
        the full name) in the order of the actors, the others shuffled; who speaks."""
        kinds = self.cast.kinds
        firsts, laters, speakers = [], [], set()
        for position, actor in enumerate(chosen):
            templates = pools.templates[kinds[actor]]
            first, others = names[actor]
            for mention in range(MENTIONS[position] if position < len(MENTIONS) else 1):
                template = rng.choice(templates)
                if template.speech:
                    speakers.add(actor)
                if mention == 0 and actor not in in_lede:
                    firsts.append((actor, template, first))
                else:
                    laters.append((actor, template, rng.choice(others)))
        rng.shuffle(laters)
        return firsts, laters, speakers

    def body(self, rng, pools, lede, mentioned):
        """(lede, body, folded body): the lede (the first mention when no talk gave one),
        then the mentions spread among filler sentences, in paragraphs."""
        if lede is None:
            _actor, template, name = mentioned[0]
            mentioned = mentioned[1:]
            lede = template.before[0] + name[0] + template.after[0]
            lede_folded = template.before[1] + name[1] + template.after[1]
        else:
            lede_folded = folded(lede)
        named_words = sum(template.words for _actor, template, _name in mentioned)
        filler_count = max(0, round((rng.choice(self.lengths) - named_words) / pools.filler_words))
        sentences = rng.choices(pools.fillers, k=filler_count)
        slots = sorted(rng.sample(range(filler_count + len(mentioned)), len(mentioned)))
        for slot, (_actor, template, name) in zip(slots, mentioned, strict=True):
            before, after = template.before, template.after
            sentences.insert(slot, (before[0] + name[0] + after[0], before[1] + name[1] + after[1]))
        sentences.insert(0, (lede, lede_folded))
        texts, folds = zip(*sentences, strict=True)
        paragraphs, start = [], 0
        while start < len(texts):
            end = start + rng.choice(PARAGRAPH_SIZES)
            paragraphs.append(" ".join(texts[start:end]))
            start = end
        return lede, "\n\n".join(paragraphs), " ".join(folds)
