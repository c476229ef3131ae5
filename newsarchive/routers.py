"""Read replicas: public reads go to a replica, everything an editor does to the primary.

``DATABASE_REPLICA_URLS`` (settings) names the replicas. Replication lags, so a request that
writes, or that comes from the admin or a signed-in user, reads from the primary for the
whole request: editors always see what they have just saved.
"""

import random
from contextvars import ContextVar

from django.conf import settings

PRIMARY = "default"

# Who is signed in, and whether they are locked out, must never lag behind a login.
PRIMARY_ONLY_APPS = frozenset({"sessions", "auth", "axes"})

_pinned_to_primary: ContextVar[bool] = ContextVar("pinned_to_primary", default=False)


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias != PRIMARY]


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        replicas = replica_aliases()
        if not replicas or _pinned_to_primary.get() or model._meta.app_label in PRIMARY_ONLY_APPS:
            return PRIMARY
        return random.choice(replicas)

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # Every alias holds the same data: a replica's row may relate to the primary's.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


def needs_primary(request) -> bool:
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        return True
    if request.path.startswith("/admin/"):
        return True
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated)


class PinToPrimaryMiddleware:
    """Read from the primary for requests whose reader must see the latest writes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _pinned_to_primary.set(needs_primary(request))
        try:
            return self.get_response(request)
        finally:
            _pinned_to_primary.reset(token)
