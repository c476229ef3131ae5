"""The Editors group: exactly the permissions needed to curate the archive."""

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

EDITORS_GROUP = "Editors"

# Editors curate these and nothing else: no users, groups or permissions.
CURATED_MODELS = [
    "actors.Actor",
    "actors.Alias",
    "actors.Role",
    "actors.Talk",
    "actors.TalkParticipant",
    "actors.TalkTopic",
    "actors.TalkReport",
    "articles.Outlet",
    "articles.Topic",
    "articles.Article",
    "articles.ArticleActor",
    "articles.Quote",
    "articles.TalkSuggestion",
]


def curation_permissions(using: str = "default"):
    models = [apps.get_model(label) for label in CURATED_MODELS]
    content_types = ContentType.objects.db_manager(using).get_for_models(*models)
    return Permission.objects.using(using).filter(content_type__in=content_types.values())


def ensure_editors_group(using: str = "default") -> Group:
    """Create the Editors group if needed and give it exactly the curation permissions."""
    group, _ = Group.objects.using(using).get_or_create(name=EDITORS_GROUP)
    group.permissions.set(curation_permissions(using))
    return group
