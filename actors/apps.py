from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class ActorsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "actors"
    verbose_name = "Actors and talks"

    def ready(self):
        from .linking import invalidate_linker
        from .models import Actor, Alias, Role

        # The linker is built from these: a change means a rebuild before its next use.
        for model in (Actor, Alias, Role):
            post_save.connect(
                invalidate_linker, sender=model, dispatch_uid=f"linker-{model.__name__}"
            )
            post_delete.connect(
                invalidate_linker, sender=model, dispatch_uid=f"linker-del-{model.__name__}"
            )
