from django.apps import AppConfig


class ActorsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "actors"
    verbose_name = "Actors and talks"
