"""Choosing the interface language with a plain link or GET form.

Django's ``set_language`` takes a POST with a CSRF token, and a token in every page's
header would make each page different for each reader, so no page could be cached
whole (``articles.caching.cache_public_page``). The language is a preference cookie:
setting it from another site changes nothing but the language someone reads in, the
way ``?uselang=`` does on Wikipedia.
"""

from django.conf import settings
from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.views.decorators.http import require_safe


@require_safe
def choose_language(request):
    """Remember ``language`` in the language cookie and go back to ``next`` (this site only)."""
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    language = request.GET.get("language", "")
    if language and check_for_language(language):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response
