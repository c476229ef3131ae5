"""schema.org descriptions (JSON-LD) of articles and talks, for search engines and scrapers."""

import json

from django.utils.safestring import mark_safe

from actors.models import Actor

SCHEMA_TYPES = {
    Actor.Kind.PERSON: "Person",
    Actor.Kind.STATE: "Country",
    Actor.Kind.ORGANIZATION: "Organization",
    Actor.Kind.PLACE: "Place",
}
# Characters that could end the <script> element or open a comment inside it.
JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def thing(actor: Actor, absolute) -> dict:
    data = {
        "@type": SCHEMA_TYPES[actor.kind],
        "name": actor.name,
        "url": absolute(actor.get_absolute_url()),
    }
    if actor.wikidata_id:
        data["sameAs"] = actor.wikidata_url
    return data


def article_json_ld(article, entity_groups, absolute) -> dict:
    """NewsArticle: ``about`` its subjects, ``mentions`` the other confirmed actors."""
    about, mentions = [], []
    for _label, actors in entity_groups:
        for actor, roles, _links in actors:
            (about if "subject" in roles else mentions).append(thing(actor, absolute))
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title[:110],
        "name": article.title,
        "url": absolute(article.get_absolute_url()),
        "inLanguage": article.language,
        "articleBody": article.body,
        "dateModified": article.updated_at.isoformat(),
        "about": about,
        "mentions": mentions,
    }
    if article.published_on:
        data["datePublished"] = article.published_on.isoformat()
    if article.byline:
        data["author"] = {"@type": "Person", "name": article.byline}
    if article.outlet:
        data["publisher"] = {"@type": "Organization", "name": article.outlet.name}
        if article.outlet.home_link:
            data["publisher"]["url"] = article.outlet.home_link
    if article.source_link:
        data["isBasedOn"] = article.source_link
    return data


def talk_json_ld(talk, participants, reports, topics, absolute) -> dict:
    """Event: the talk, its participants, place, topics and the articles that report it."""
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": str(talk),
        "url": absolute(talk.get_absolute_url()),
        "startDate": talk.display_date,
        "eventAttendanceMode": (
            "https://schema.org/OnlineEventAttendanceMode"
            if talk.kind in ("phone_call", "video_call")
            else "https://schema.org/OfflineEventAttendanceMode"
        ),
        "attendee": [thing(p.person, absolute) for p in participants],
        "about": [{"@type": "Thing", "name": topic.name} for topic in topics],
        "subjectOf": [
            {
                "@type": "NewsArticle",
                "headline": a.title[:110],
                "url": absolute(a.get_absolute_url()),
            }
            for a in reports
        ],
    }
    if talk.summary:
        data["description"] = talk.summary
    if talk.place:
        data["location"] = thing(talk.place, absolute)
    return data


def json_ld_script(data: dict) -> str:
    """Return a <script type="application/ld+json"> element, safe whatever the data holds."""
    payload = json.dumps(data, ensure_ascii=False).translate(JSON_SCRIPT_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{payload}</script>')
