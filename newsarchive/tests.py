"""Settings: production behaviour is chosen by DEBUG=0 in the environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError, connection

ROOT = Path(__file__).resolve().parent.parent


def manage(*args, **env):
    environment = {key: value for key, value in os.environ.items() if key != "SECRET_KEY"}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checks():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="a-long-random-production-key-" + "x" * 40,
        ALLOWED_HOSTS="archive.example",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DEBUG="0", ALLOWED_HOSTS="archive.example")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "a-long-random-production-key-" + "x" * 40,
    "ALLOWED_HOSTS": "archive.example",
    "CONN_MAX_AGE": "60",
}


def production_settings(*names):
    """The values production settings give ``names``, read in a fresh process."""
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    result = manage("shell", "-c", code, **PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_harden_cookies_transport_and_connections():
    values = production_settings(
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_HSTS_SECONDS",
        "X_FRAME_OPTIONS",
        "SECURE_REFERRER_POLICY",
        "DATABASES",
        "STORAGES",
    )
    assert values["SESSION_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]
    assert values["CSRF_COOKIE_SECURE"]
    assert values["SECURE_SSL_REDIRECT"]
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_HSTS_SECONDS"] >= 60 * 60 * 24 * 365
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    database = values["DATABASES"]["default"]
    assert database["CONN_MAX_AGE"] == 60 and database["CONN_HEALTH_CHECKS"]
    assert values["STORAGES"]["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )


def test_every_response_carries_a_policy_that_forbids_inline_code(client):
    response = client.get("/robots.txt")
    policy = response.headers["Content-Security-Policy"]
    directives = {}
    for part in filter(None, (p.strip() for p in policy.split(";"))):
        name, _, sources = part.partition(" ")
        directives[name] = sources
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


@pytest.mark.django_db
def test_a_lost_database_answers_503_with_retry_after_not_a_server_error(client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed')

    monkeypatch.setattr(connection, "cursor", unreachable)
    for url in ["/", "/articles/?q=Iran", "/api/articles/"]:
        response = client.get(url)
        assert response.status_code == 503, url
        assert response.headers["Retry-After"] == "5"
        assert "Content-Security-Policy" in response.headers
        assert "try again in a few seconds" in response.content.decode()


@pytest.mark.django_db
def test_other_errors_stay_server_errors(client, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(connection, "cursor", broken)
    client.raise_request_exception = False
    assert client.get("/").status_code == 500


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="JIT is PostgreSQL's")
def test_postgresql_connections_run_without_jit():
    # Compiling took longer than running the archive's queries (docs/scale.md).
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
    kept = manage(
        "shell",
        "-c",
        "from django.db import connection as c; print(c.settings_dict['OPTIONS'])",
        POSTGRES_JIT="1",
    )
    assert "jit" not in kept.stdout, kept.stderr
