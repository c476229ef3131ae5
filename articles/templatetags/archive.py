from django import template

from articles.languages import language_name as name_of_language
from articles.languages import text_direction

register = template.Library()


@register.filter
def language_name(code: str) -> str:
    """Return the English name of an ISO 639-1 code, or the code itself."""
    return name_of_language(code)


@register.filter
def direction(code: str) -> str:
    """Return the writing direction of a language, for the dir attribute."""
    return text_direction(code)
