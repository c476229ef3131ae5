"""Turn what the linker finds in an article into suggestions for editors.

``suggest(article)`` creates article–actor links with status "suggested" (with the
role the actor plays where the text tells it, and the mentions as evidence) and
talk suggestions. It never overrides an editor: an actor an editor has confirmed or
rejected in this article is left as it is (a confirmed link only gains evidence it
lacked), and a rejected suggestion is not made again. Running it twice changes
nothing the second time.
"""

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import slugify

from actors.folding import fold_text, nfc
from actors.linking import Mention, get_linker
from actors.models import Actor, PublicationStatus, Talk, TalkParticipant, TalkReport
from actors.talk_detection import DetectedTalk, sentences, talks_in

from .caching import archive_changed
from .copying import create_with_history
from .models import Article, ArticleActor, Outlet, TalkSuggestion

MAX_EVIDENCE = 5
TALK_DATE_WINDOW = datetime.timedelta(days=2)
SPEECH = re.compile(
    r"\b(?:said|says|told|added|stated|declared|according to|insisted|warned|noted|"
    r"a declare|a dit|a ajoute|a affirme|a souligne|a indique|a estime|a reitere|a precise|"
    r"a rappele|a assure|selon|declare|affirme)\b|[«»“”\"]"
)
REPORTING = re.compile(
    r"\b(?:reported|revealed|reports|according to|citing|a revele|a rapporte|rapporte|selon|"
    r"revele|d'apres)\b"
)


@dataclass
class SuggestionReport:
    suggested: int = 0
    kept: int = 0
    removed: int = 0
    talks: int = 0


def article_text(article: Article) -> tuple[str, int]:
    """The text the linker reads (title, blank line, body) and where the body starts."""
    title = nfc(article.title)
    return f"{title}\n\n{nfc(article.body)}", len(title) + 2


def evidence_for(mention: Mention, text: str, body_start: int, sentence_spans) -> dict:
    """The evidence of one mention: where it is, its words, how it was found, its sentence."""
    start, end = next(
        ((s, e) for s, e in sentence_spans if s <= mention.start < e), (mention.start, mention.end)
    )
    raw = text[start:end]
    sentence_start = start + len(raw) - len(raw.lstrip())
    in_title = mention.start < body_start
    offset = 0 if in_title else body_start
    return {
        "field": "title" if in_title else "body",
        "start": mention.start - offset,
        "end": mention.end - offset,
        "surface": mention.surface,
        "method": mention.method,
        "sentence": raw.strip(),
        "in_sentence": mention.start - sentence_start,
    }


def roles_of(actor: Actor, mentions: list[Mention], folded: str, body_start, spans, outlets):
    """The roles an actor plays in the article, as far as the text tells."""
    roles = set()
    for mention in mentions:
        sentence = next((folded[s:e] for s, e in spans if s <= mention.start < e), "")
        if mention.start < body_start and actor.kind in ("person", "state"):
            roles.add(ArticleActor.Role.SUBJECT)
        if actor.kind == "person" and SPEECH.search(sentence):
            roles.add(ArticleActor.Role.QUOTED)
        if actor.pk in outlets and REPORTING.search(sentence):
            roles.add(ArticleActor.Role.CITED_OUTLET)
    return roles or {ArticleActor.Role.MENTIONED}


@dataclass
class Reading:
    """What the linker found in one article, ready to be turned into links."""

    text: str
    body_start: int
    mentions: list[Mention]
    folded: str
    spans: list[tuple[int, int]]
    by_actor: dict[int, list[Mention]]

    def evidence(self, actor_id: int) -> list[dict]:
        return [
            evidence_for(mention, self.text, self.body_start, self.spans)
            for mention in self.by_actor[actor_id]
        ]

    def wanted_links(self, actors, outlets, decided=frozenset()) -> dict[tuple, list[dict]]:
        """``{(actor id, role): evidence}`` for every actor found but those ``decided``."""
        wanted = {}
        for actor_id, actor_mentions in self.by_actor.items():
            if actor_id in decided:
                continue
            evidence = self.evidence(actor_id)[:MAX_EVIDENCE]
            for role in roles_of(
                actors[actor_id], actor_mentions, self.folded, self.body_start, self.spans, outlets
            ):
                wanted[(actor_id, role)] = evidence
        return wanted


def read(article: Article, linker) -> Reading:
    text, body_start = article_text(article)
    folded = fold_text(text)
    mentions = linker.link_folded(text, folded, article.published_on)
    by_actor: dict[int, list[Mention]] = defaultdict(list)
    for mention in mentions:
        by_actor[mention.actor_id].append(mention)
    return Reading(text, body_start, mentions, folded, sentences(text), by_actor)


def outlet_actor_ids() -> set[int]:
    return set(Outlet.objects.exclude(actor=None).values_list("actor_id", flat=True))


def suggest(article: Article, linker=None) -> SuggestionReport:
    """Suggest the actors and talks ``article`` mentions; return what changed."""
    linker = linker or get_linker()
    reading = read(article, linker)
    actors = Actor.objects.only("kind").in_bulk(reading.by_actor)
    outlets = outlet_actor_ids()
    report = SuggestionReport()

    with transaction.atomic():
        links = list(article.actor_links.select_for_update())
        decided = {link.actor_id for link in links if link.status != ArticleActor.Status.SUGGESTED}
        for link in links:
            if (
                link.status == ArticleActor.Status.CONFIRMED
                and not link.evidence
                and link.actor_id in reading.by_actor
            ):
                link.evidence = reading.evidence(link.actor_id)[:MAX_EVIDENCE]
                link.save(update_fields=["evidence"])
        wanted = reading.wanted_links(actors, outlets, decided)
        for link in links:
            if link.status != ArticleActor.Status.SUGGESTED:
                continue
            evidence = wanted.pop((link.actor_id, link.role), None)
            if evidence is None and link.origin == ArticleActor.Origin.LINKER:
                link.delete()
                report.removed += 1
            elif evidence is not None:
                if link.evidence != evidence:
                    link.evidence = evidence
                    link.save(update_fields=["evidence"])
                report.kept += 1
        report.suggested += _create_links({article.pk: wanted})
        report.talks += _suggest_talks(article, reading, linker)
    return report


def suggest_many(articles: list[Article], linker=None) -> SuggestionReport:
    """``suggest()`` for each of ``articles`` (an import's batch), with the same outcome.

    The articles that have no links yet (all those an import creates) have nothing to
    keep or remove: their links are written together, in a few statements for the whole
    batch instead of ten or so an article, which was most of an import's time. The
    others go through ``suggest()`` one by one.
    """
    linker = linker or get_linker()
    report = SuggestionReport()
    linked = set(
        ArticleActor.objects.filter(article__in=[article.pk for article in articles])
        .values_list("article_id", flat=True)
        .distinct()
    )
    fresh = []
    for article in articles:
        if article.pk in linked:
            _add(report, suggest(article, linker))
        else:
            fresh.append((article, read(article, linker)))
    if not fresh:  # all linked before: suggest() has done everything
        return report
    found = {actor_id for _article, reading in fresh for actor_id in reading.by_actor}
    actors = Actor.objects.only("kind").in_bulk(found)
    outlets = outlet_actor_ids()
    with transaction.atomic():
        report.suggested += _create_links(
            {article.pk: reading.wanted_links(actors, outlets) for article, reading in fresh}
        )
        for article, reading in fresh:
            report.talks += _suggest_talks(article, reading, linker)
    return report


def _add(report: SuggestionReport, other: SuggestionReport) -> None:
    for name in ("suggested", "kept", "removed", "talks"):
        setattr(report, name, getattr(report, name) + getattr(other, name))


def _create_links(wanted_by_article: dict[int, dict[tuple, list[dict]]]) -> int:
    """Create the suggested links ``{article id: {(actor id, role): evidence}}``."""
    links = [
        ArticleActor(
            article_id=article_id,
            actor_id=actor_id,
            role=role,
            status=ArticleActor.Status.SUGGESTED,
            origin=ArticleActor.Origin.LINKER,
            evidence=evidence,
        )
        for article_id, wanted in wanted_by_article.items()
        for (actor_id, role), evidence in wanted.items()
    ]
    if not links:
        return 0
    # All at once, with their history: one INSERT a link was most of an import's time.
    create_with_history(links)
    # What saving each link would have said through signals (articles/signals.py).
    changed = {link.article_id for link in links}
    Article.objects.filter(pk__in=changed).update(updated_at=timezone.now())
    archive_changed()
    return len(links)


def _suggest_talks(article: Article, reading: Reading, linker) -> int:
    detected_talks = talks_in(
        reading.text, reading.folded, reading.spans, reading.mentions, linker, article.published_on
    )
    return sum(suggest_talk(article, detected) for detected in detected_talks)


def matching_talk(detected: DetectedTalk) -> Talk | None:
    """An existing talk with the same states and kind, close in date, sharing participants."""
    state_a, state_b = detected.states
    candidates = Talk.objects.filter(
        Q(state_a_id=state_a, state_b_id=state_b) | Q(state_a_id=state_b, state_b_id=state_a),
        kind=detected.kind,
        date__range=(detected.date - TALK_DATE_WINDOW, detected.date + TALK_DATE_WINDOW),
    ).prefetch_related("participations")
    people = {person for person, _ in detected.participants}
    for talk in candidates:
        present = {p.person_id for p in talk.participations.all()}
        if not present or present & people:
            return talk
    return None


def suggest_talk(article: Article, detected: DetectedTalk) -> int:
    """Propose the talk ``detected`` describes for ``article``; return 1 if newly proposed."""
    talk = matching_talk(detected)
    created = talk is None
    if created:
        talk = Talk.objects.create(
            slug=unique_talk_slug(detected),
            kind=detected.kind,
            state_a_id=detected.states[0],
            state_b_id=detected.states[1],
            date=detected.date,
            date_precision=detected.date_precision,
            place_id=detected.place_id,
            status=PublicationStatus.DRAFT,
            summary="",
        )
        TalkParticipant.objects.bulk_create(
            TalkParticipant(talk=talk, person_id=person, represents_id=state)
            for person, state in detected.participants
        )
    if talk.reports.filter(article=article).exists():
        return 0
    _suggestion, new = TalkSuggestion.objects.get_or_create(
        article=article,
        talk=talk,
        defaults={
            "talk_was_created": created,
            "evidence": {
                "phrase": detected.phrase,
                "sentence": detected.sentence,
                "date_words": detected.date_words,
            },
        },
    )
    return int(new)


def unique_talk_slug(detected: DetectedTalk) -> str:
    states = Actor.objects.in_bulk(detected.states)
    base = slugify(
        f"{detected.date:%Y-%m-%d} {states[detected.states[0]].slug} "
        f"{states[detected.states[1]].slug} {detected.kind}"
    )
    slug, number = base, 1
    while Talk.objects.filter(slug=slug).exists():
        number += 1
        slug = f"{base}-{number}"
    return slug


def confirm_talk_suggestion(suggestion: TalkSuggestion, user) -> None:
    """Attach the article to the talk, and record who decided."""
    TalkReport.objects.get_or_create(talk=suggestion.talk, article=suggestion.article)
    suggestion.status = TalkSuggestion.Status.CONFIRMED
    suggestion.reviewed_by, suggestion.reviewed_at = user, timezone.now()
    suggestion.save(update_fields=["status", "reviewed_by", "reviewed_at"])


def suggest_for_imported(sender, articles, **kwargs):
    """Receiver of ``importing.articles_imported``: every imported article gets suggestions."""
    suggest_many([article for article, _created in articles])


def evidence_html(evidence: list[dict]) -> str:
    """The sentences of the evidence with the matched words marked, as safe HTML."""
    return format_html_join(
        "",
        "<p>{}<mark>{}</mark>{} <small>({}, {})</small></p>",
        (
            (
                item["sentence"][: item["in_sentence"]],
                item["sentence"][item["in_sentence"] : item["in_sentence"] + len(item["surface"])],
                item["sentence"][item["in_sentence"] + len(item["surface"]) :],
                item["method"],
                item["field"],
            )
            for item in evidence
        ),
    ) or format_html("{}", "—")
