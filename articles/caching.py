"""Figures and fragments of public pages, cached until the archive changes.

Every key carries the **archive version**, a number that grows whenever anything the
public sees may have changed: an editor saving, publishing or deleting, an import, a
link confirmed. A change makes every older entry unreachable at once, in every process
and on every app server, whatever the cache backend (Redis shared by the app servers
when ``REDIS_URL`` is set, each process's own memory otherwise); old entries simply
expire. Callers never invalidate by hand:

    counts = cached("facets", (normalized_query, language), compute_counts)

Where the version lives:

- **PostgreSQL**: a sequence. ``nextval`` is never rolled back and takes no row lock, so
  writers never wait for each other to bump it, and every app server reads the same
  number (one index-free read, remembered for ``VERSION_MEMO_SECONDS`` in each process).
- **SQLite** (development, one process): the cache itself.

The version is bumped when a write's transaction commits: other processes have no
business seeing the write before. Until then, the writing process keys what it caches
with the count of its own pending writes too, so that it sees its own changes at once
(and so do tests, whose transactions never commit) without sharing what it computed
from uncommitted data with anyone.

Bulk paths that bypass model signals (COPY, ``bulk_create``, ``bulk_update``,
``QuerySet.update``) call ``archive_changed()`` themselves.
"""

import hashlib
import os
import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.template.response import SimpleTemplateResponse
from django.utils.translation import get_language

T = TypeVar("T")

#: How long a cached page figure lives at most, should a bulk path forget to bump.
CACHE_SECONDS = 15 * 60
#: How long a process trusts the version it read last; its own writes reset it.
VERSION_MEMO_SECONDS = 1.0
SEQUENCE = "newsarchive_archive_version"
VERSION_KEY = "archive:version"
#: Apps whose models are public data (their history models and ledgers excepted).
PUBLIC_APPS = ("articles", "actors")
NOT_PUBLIC = {"seedentry", "talksuggestion"}

_memo: dict[str, float | int] = {"version": 0, "read_at": float("-inf")}
#: Whether the request being served got a figure older than the archive (``stale_ok``).
_request_state = threading.local()
_missing = object()
#: Changes this process made in transactions not yet committed (see the module's notes).
_pending_changes = 0


def archive_version() -> int:
    """The current archive version."""
    now = time.monotonic()
    if now - _memo["read_at"] > VERSION_MEMO_SECONDS:
        _memo["version"], _memo["read_at"] = _read_version(), now
    return int(_memo["version"])


def clear_cache() -> None:
    """Empty the cache, and forget the version this process read from it last.

    On SQLite the version lives in the cache: a remembered one would name entries under a
    version that the next read no longer finds, and the same page would be computed twice.
    """
    cache.clear()
    _memo["read_at"] = float("-inf")


def _read_version() -> int:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT last_value FROM {SEQUENCE}")
            return cursor.fetchone()[0]
    version = cache.get(VERSION_KEY)
    if version is None:
        # Unique across restarts: a new process never meets entries of an older one.
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def _bump() -> None:
    _memo["read_at"] = float("-inf")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT nextval('{SEQUENCE}')")
        return
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not set yet, or evicted
        cache.set(VERSION_KEY, time.time_ns(), timeout=None)


def archive_changed() -> None:
    """Say that public data changed: the version grows when the transaction commits."""
    global _pending_changes
    if not connection.in_atomic_block:
        _bump()
        return
    _pending_changes += 1
    if not _bump_is_pending():
        transaction.on_commit(_bump)


def _bump_is_pending() -> bool:
    return connection.in_atomic_block and any(
        callback is _bump for _sids, callback, _robust in connection.run_on_commit
    )


def _key_version() -> str:
    version = str(archive_version())
    if _bump_is_pending():
        # Computed from this transaction's own writes: for this process only.
        return f"{version}.{os.getpid()}.{_pending_changes}"
    return version


def cached(
    name: str,
    parts: Any,
    compute: Callable[[], T],
    timeout: int = CACHE_SECONDS,
    *,
    stale_ok: bool = False,
) -> T:
    """``compute()``, cached under ``name`` and ``parts`` until the archive changes.

    ``parts`` is anything with a stable ``repr`` that tells one result from another: the
    normalized filters, the language of the interface, a primary key.

    ``stale_ok``: a figure that takes seconds to count over a large archive (facet counts,
    charts) may be served as it was up to ``ARCHIVE_FIGURES_STALE_SECONDS`` after it was
    computed, whatever changed since: without, every change to the archive (an editor's
    save) would make the next reader of every page wait for all of them again. Never to
    the process that made the change before its commit, which sees it at once.
    """
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    key = f"archive:{name}:{_key_version()}:{digest}"
    value = cache.get(key, _missing)
    if value is not _missing:
        return value
    shared = stale_ok and not _bump_is_pending()
    latest_key = f"archive:{name}:latest:{digest}"
    if shared and settings.ARCHIVE_FIGURES_STALE_SECONDS:
        latest = cache.get(latest_key)
        if latest is not None and time.time() - latest[0] < settings.ARCHIVE_FIGURES_STALE_SECONDS:
            _request_state.served_stale = True
            return latest[1]
    value = compute()
    cache.set(key, value, timeout)
    if shared:
        cache.set(latest_key, (time.time(), value), timeout)
    return value


def _on_change(sender, raw=False, **kwargs):
    if not raw:  # fixtures loading: the loader says when it is done
        archive_changed()


def _on_m2m_change(sender, action, **kwargs):
    if action.startswith("post_"):
        archive_changed()


def connect_invalidation() -> None:
    """Bump the version on every save, delete and many-to-many change of public data."""
    for label in PUBLIC_APPS:
        for model in apps.get_app_config(label).get_models():
            name = model._meta.model_name
            if name in NOT_PUBLIC or name.startswith("historical"):
                continue
            uid = f"archive-version-{label}.{name}"
            post_save.connect(_on_change, sender=model, dispatch_uid=uid)
            post_delete.connect(_on_change, sender=model, dispatch_uid=f"{uid}-delete")
            for m2m in model._meta.local_many_to_many:
                m2m_changed.connect(
                    _on_m2m_change, sender=m2m.remote_field.through, dispatch_uid=f"{uid}-{m2m}"
                )


def cache_public_page(view, *, vary_on_accept: bool = False):
    """Serve a public page whole from the cache to readers who are not signed in.

    The key is the archive version, the interface language and the full URL: the page of
    an anonymous reader depends on nothing else (the header carries no CSRF token, see
    ``newsarchive.language``), and with ``vary_on_accept`` the ``Accept`` header (the
    API's JSON or browsable HTML). A signed-in editor (a session cookie) always gets the
    page computed afresh, with their own links, and so does any request that sets a cookie.
    """

    @wraps(view)
    def serve(request, *args, **kwargs):
        timeout = settings.PUBLIC_PAGE_CACHE_SECONDS
        if (
            not timeout
            or request.method not in ("GET", "HEAD")
            or settings.SESSION_COOKIE_NAME in request.COOKIES
        ):
            return view(request, *args, **kwargs)
        varies = [request.build_absolute_uri()]
        if vary_on_accept:
            varies.append(request.headers.get("Accept", ""))
        digest = hashlib.blake2b(repr(varies).encode(), digest_size=16).hexdigest()
        key = f"archive:page:{_key_version()}:{get_language()}:{digest}"
        response = cache.get(key)
        if response is not None:
            return response
        # A page built from figures older than the archive is not kept: once they are
        # counted again, the next reader gets them.
        _request_state.served_stale = False
        response = view(request, *args, **kwargs)
        if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
            response.add_post_render_callback(
                lambda rendered: _keep_page(request, key, rendered, timeout)
            )
        else:
            _keep_page(request, key, response, timeout)
        return response

    return serve


def _keep_page(request, key: str, response, timeout: int) -> None:
    """Keep a page that is the same for every anonymous reader: no cookie of its own, no
    CSRF token (whose cookie the middleware would set), no message left in the session."""
    session = getattr(request, "session", None)
    if (
        response.status_code == 200
        and not _request_state.served_stale
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not (session is not None and session.modified)
        and not response.streaming
        and not response.cookies
        and not response.has_header("Set-Cookie")
    ):
        cache.set(key, response, timeout)
