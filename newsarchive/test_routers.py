"""Read replicas: which database each read and write goes to."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.models import Session

from actors.models import Actor
from articles.models import Article
from newsarchive import routers
from newsarchive.tests import manage


@pytest.fixture
def router(monkeypatch):
    monkeypatch.setattr(routers, "replica_aliases", lambda: ["replica1", "replica2"])
    return routers.PrimaryReplicaRouter()


def read_in_request(rf, router, model, *, path="/articles/", method="get", user=None):
    request = getattr(rf, method)(path)
    request.user = user or AnonymousUser()
    seen = []

    def view(request):
        seen.append(router.db_for_read(model))
        return None

    routers.PinToPrimaryMiddleware(view)(request)
    return seen[0]


def test_public_reads_are_spread_over_the_replicas(rf, router):
    chosen = {read_in_request(rf, router, Article) for _ in range(50)}
    assert chosen == {"replica1", "replica2"}


def test_writes_and_migrations_go_to_the_primary_only(router):
    assert router.db_for_write(Article) == "default"
    assert router.allow_migrate("default", "articles")
    assert not router.allow_migrate("replica1", "articles")


@pytest.mark.parametrize(
    ("path", "method"), [("/admin/articles/article/", "get"), ("/i18n/setlang/", "post")]
)
def test_admin_pages_and_writing_requests_read_the_primary(rf, router, path, method):
    assert read_in_request(rf, router, Article, path=path, method=method) == "default"


@pytest.mark.django_db
def test_signed_in_users_read_their_own_writes_from_the_primary(rf, router, editor):
    assert read_in_request(rf, router, Actor, user=editor) == "default"


def test_sessions_and_accounts_are_never_read_from_a_lagging_replica(rf, router):
    assert read_in_request(rf, router, Session) == "default"


def test_pinning_ends_with_the_request(rf, router):
    read_in_request(rf, router, Article, path="/admin/")
    assert router.db_for_read(Article) in {"replica1", "replica2"}


def test_without_replicas_everything_reads_the_primary():
    assert routers.PrimaryReplicaRouter().db_for_read(Article) == "default"


def test_replica_urls_become_mirrored_database_aliases():
    code = (
        "from django.conf import settings; "
        "print(sorted(settings.DATABASES), settings.DATABASES['replica2']['HOST'], "
        "settings.DATABASES['replica2']['TEST']['MIRROR'])"
    )
    result = manage(
        "shell",
        "-c",
        code,
        DATABASE_REPLICA_URLS="postgres://u@replica-a:5432/na, postgres://u@replica-b:5432/na",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "['default', 'replica1', 'replica2'] replica-b default"
    )
