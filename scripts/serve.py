"""Prepare the database and static files, then run gunicorn in production mode (`make serve`).

In order: DEBUG=0; SECRET_KEY from the environment, else from ``var/secret_key`` (written
once, mode 600, so that sessions survive restarts); the PostgreSQL database created if
missing; ``migrate``; ``collectstatic`` (hashed, compressed names for WhiteNoise); the seeds
loaded when the archive is empty; then this process becomes gunicorn with
``newsarchive/gunicorn.conf.py``. The database is DATABASE_URL, which the Makefile sets
(docs/deployment.md).
"""

import os
import secrets
import stat
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY_FILE = ROOT / "var" / "secret_key"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def secret_key() -> str:
    """The key in ``var/secret_key``, created on the first run; only its owner may read it."""
    SECRET_KEY_FILE.parent.mkdir(exist_ok=True)
    try:
        descriptor = os.open(SECRET_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(SECRET_KEY_FILE.stat().st_mode)
        if mode & 0o077:
            print(f"{SECRET_KEY_FILE} was readable by others (mode {mode:o}): now 600.")
            SECRET_KEY_FILE.chmod(0o600)
        key = SECRET_KEY_FILE.read_text(encoding="utf-8").strip()
        if not key:
            sys.exit(f"{SECRET_KEY_FILE} is empty: delete it to generate a new key.")
        return key
    key = secrets.token_urlsafe(50)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    print(f"Generated a secret key in {SECRET_KEY_FILE} (kept for the next runs).")
    return key


def main() -> None:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsarchive.settings")
    if not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = secret_key()

    import django

    django.setup()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    from actors.models import Actor
    from articles.management.commands.backup_database import (
        describe,
        ensure_database,
        is_postgresql,
    )
    from articles.models import Article

    database = connections["default"].settings_dict
    if is_postgresql(database) and ensure_database(database):
        print(f"Created {describe(database)}.")
    print(f"Database: {describe(database)}")
    call_command("migrate", interactive=False, verbosity=1)
    call_command("collectstatic", interactive=False, verbosity=1)
    if not (Actor.objects.exists() or Article.objects.exists()):
        print("The archive is empty: loading the seeds.")
        call_command("load_seeds")
    connections.close_all()

    host, port = os.environ.get("HOST") or "127.0.0.1", os.environ.get("PORT") or "8000"
    shown = "localhost" if host in LOOPBACK else host
    print(f"\nnewsarchive is served at http://{shown}:{port}/ by gunicorn (DEBUG=0).")
    if settings.SECURE_SSL_REDIRECT:
        print("HTTPS only: requests that do not come through the TLS proxy are redirected.")
    else:
        # Browsers accept the Secure session and CSRF cookies over plain http from localhost.
        print(
            f"Plain http (SECURE_SSL_REDIRECT=0); sign in to the admin at "
            f"http://localhost:{port}/admin/. An account: manage.py createsuperuser "
            f"with the same DATABASE_URL.\n"
        )

    gunicorn = Path(sys.executable).with_name("gunicorn")
    config = ROOT / "newsarchive" / "gunicorn.conf.py"
    sys.stdout.flush()
    os.execv(gunicorn, [str(gunicorn), "--config", str(config)])


if __name__ == "__main__":
    main()
