"""Create (or refresh) the demo editor account used by ``make run``."""

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from articles.permissions import ensure_editors_group

PASSWORD_FILE = settings.VAR_DIR / "demo-editor-password"


class Command(BaseCommand):
    help = (
        "Create the demo editor, a staff member of the Editors group. The password comes "
        "from DEMO_EDITOR_PASSWORD, else from var/demo-editor-password, else it is "
        "generated and saved there. Prints the login."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="editor")

    def handle(self, *args, username, **options):
        password = os.environ.get("DEMO_EDITOR_PASSWORD") or self.saved_password()
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"is_staff": True}
        )
        if created or not user.check_password(password) or not user.is_staff:
            user.is_staff = True
            user.set_password(password)
            user.save()
        user.groups.add(ensure_editors_group())
        self.stdout.write(f"Demo editor: username {username!r}, password {password!r}")

    def saved_password(self) -> str:
        if PASSWORD_FILE.exists():
            saved = PASSWORD_FILE.read_text(encoding="utf-8").strip()
            if saved:
                return saved
        password = secrets.token_urlsafe(12)
        PASSWORD_FILE.parent.mkdir(exist_ok=True)
        PASSWORD_FILE.write_text(password + "\n", encoding="utf-8")
        PASSWORD_FILE.chmod(0o600)
        return password
