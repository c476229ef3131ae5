from django.conf import settings
from django.db import migrations, models

# articles.caching.SEQUENCE, as it was when this migration was written.
SEQUENCE = "newsarchive_archive_version"


def create_version_sequence(apps, schema_editor):
    # The archive version of articles.caching; SQLite keeps it in the cache instead.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}")


def drop_version_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [
        ("actors", "0004_balanced_bidi_text"),
        ("articles", "0005_balanced_bidi_text"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="article",
            index=models.Index(
                condition=models.Q(("status", "published")),
                fields=["-published_on", "-id"],
                name="article_published_order",
            ),
        ),
        migrations.AddIndex(
            model_name="articleactor",
            index=models.Index(
                condition=models.Q(("status", "confirmed")),
                fields=["actor", "article"],
                name="link_confirmed_actor_article",
            ),
        ),
        migrations.RunPython(create_version_sequence, drop_version_sequence, elidable=False),
    ]
