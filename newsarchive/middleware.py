"""Answer "try again shortly" while the database is unreachable, instead of a server error."""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader

logger = logging.getLogger(__name__)

#: Seconds a client or crawler is asked to wait: about what a PostgreSQL restart takes.
RETRY_AFTER = 5


class DatabaseUnavailableMiddleware:
    """Turn a lost database connection into 503 Service Unavailable with Retry-After.

    Crawlers keep a 503 page indexed and come back; a 500 tells them the page is broken.
    The page is rendered without the request's context processors, which would read the
    session and the user from the database that is down.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.error("Database unavailable for %s: %s", request.path, exception)
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER)
        return response
