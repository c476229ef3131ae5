from django import template
from django.utils.html import format_html

from articles.languages import language_name as name_of_language
from articles.languages import text_direction
from articles.normalize import strip_unbalanced_bidi

register = template.Library()

FSI, PDI = "\u2068", "\u2069"


@register.filter
def language_name(code: str) -> str:
    """Return the English name of an ISO 639-1 code, or the code itself."""
    return name_of_language(code)


@register.filter
def direction(code: str) -> str:
    """Return the writing direction of a language, for the dir attribute."""
    return text_direction(code)


@register.filter
def bdi(value) -> str:
    """Return ``value`` escaped in a <bdi> element: a name of either writing direction, or
    with a directional control left open, cannot reorder the words around it."""
    return format_html("<bdi>{}</bdi>", value)


@register.filter
def isolate(value) -> str:
    """Return ``value`` between the FSI and PDI characters, without an unbalanced control of
    its own: the isolation of ``bdi`` where no markup is possible (a document title), or for
    a label that mixes stored names with interface words (a talk: "Meeting, A – B")."""
    return f"{FSI}{strip_unbalanced_bidi(str(value))}{PDI}"
