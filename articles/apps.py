from django.apps import AppConfig
from django.db.models.signals import post_migrate


def create_editors_group(sender, using, **kwargs):
    from .permissions import ensure_editors_group

    ensure_editors_group(using=using)


class ArticlesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "articles"
    verbose_name = "Articles"

    def ready(self):
        from . import signals  # noqa: F401 - connects the receivers
        from .caching import connect_invalidation
        from .importing import articles_imported
        from .suggestions import suggest_for_imported

        # The hook between import and entity linking.
        articles_imported.connect(suggest_for_imported, dispatch_uid="suggest-on-import")

        # Cached page figures are retired whenever public data changes.
        connect_invalidation()

        # After migrate, whatever the database: tests, a fresh clone and production alike.
        post_migrate.connect(create_editors_group, sender=self)
