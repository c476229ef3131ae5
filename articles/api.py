"""The public, read-only JSON API of articles, topics and outlets.

``/api/articles/`` filters with ``ArticleFilter``, the FilterSet of the ``/articles/``
page, feeds and exports; topics and outlets have small FilterSets of their own. Only
published articles and talks, and only confirmed actor links, are shown. See
docs/api.md.
"""

import django_filters
from django.db.models import Prefetch, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers

from actors.api import (
    NullIfBlankCharField,
    PublicReadOnlyViewSet,
    PublicUrlField,
    TalkSummarySerializer,
    slug_of,
    talk_summaries,
)
from actors.models import Actor

from .filters import ArticleFilter, modified_since_filter
from .languages import LANGUAGE_CHOICES
from .models import Article, ArticleActor, Outlet, Topic
from .search import RANKED_MATCHES, clean_query

# --- Topics ----------------------------------------------------------------------------------


class TopicFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(label=_("Name contains"), lookup_expr="icontains")
    modified_since = modified_since_filter()

    class Meta:
        model = Topic
        fields = []


class TopicRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Topic
        fields = ["name", "slug"]


class TopicSerializer(serializers.ModelSerializer):
    url = PublicUrlField()

    class Meta:
        model = Topic
        fields = ["name", "slug", "description", "url", "updated_at"]


@extend_schema_view(
    list=extend_schema(
        description="Topics by name: `name` (contains it, in any case), `modified_since`."
    ),
    retrieve=extend_schema(description="A topic, by slug."),
)
class TopicViewSet(PublicReadOnlyViewSet):
    """Topics, by name."""

    serializer_class = TopicSerializer
    filterset_class = TopicFilter
    lookup_field = "slug"

    def get_queryset(self):
        return Topic.objects.order_by("name", "pk")


# --- Outlets ---------------------------------------------------------------------------------


class OutletFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Outlet.Kind.choices)
    country = django_filters.ModelChoiceFilter(
        label=_("Country"), queryset=Actor.objects.states(), to_field_name="slug"
    )
    language = django_filters.ChoiceFilter(
        label=_("Language"), choices=LANGUAGE_CHOICES, method="filter_language"
    )
    modified_since = modified_since_filter()

    class Meta:
        model = Outlet
        fields = []

    def filter_language(self, queryset, name, code):
        """Outlets whose space-separated ``languages`` include ``code`` as a whole word."""
        return queryset.filter(
            Q(languages=code)
            | Q(languages__startswith=f"{code} ")
            | Q(languages__endswith=f" {code}")
            | Q(languages__contains=f" {code} ")
        )


class OutletRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Outlet
        fields = ["name", "slug"]


class OutletSerializer(serializers.ModelSerializer):
    country = slug_of(allow_null=True)
    languages = serializers.ListField(
        source="language_list", child=serializers.CharField(), read_only=True
    )
    actor = slug_of(allow_null=True)
    # Only web addresses leave the archive, whatever an old record holds.
    home_url = serializers.URLField(source="home_link", read_only=True)

    class Meta:
        model = Outlet
        fields = ["name", "slug", "kind", "home_url", "country", "languages", "actor", "updated_at"]


@extend_schema_view(
    list=extend_schema(
        description="Outlets by name: `kind`, `country` (a state's slug), `language` (one of "
        "the outlet's languages), `modified_since`."
    ),
    retrieve=extend_schema(description="An outlet, by slug."),
)
class OutletViewSet(PublicReadOnlyViewSet):
    """Outlets, and the offices that issue readouts, by name."""

    serializer_class = OutletSerializer
    filterset_class = OutletFilter
    lookup_field = "slug"

    def get_queryset(self):
        return Outlet.objects.select_related("country", "actor").order_by("name", "pk")


# --- Articles --------------------------------------------------------------------------------


class ArticleActorSerializer(serializers.Serializer):
    """An actor confirmed in an article, with every role it holds there."""

    name = serializers.CharField(source="actor.name")
    slug = serializers.CharField(source="actor.slug")
    kind = serializers.ChoiceField(source="actor.kind", choices=Actor.Kind.choices)
    wikidata = NullIfBlankCharField(source="actor.wikidata_id")
    aliases = serializers.ListField(child=serializers.CharField())
    roles = serializers.ListField(child=serializers.ChoiceField(choices=ArticleActor.Role.choices))


class ActorInArticle:
    """One actor of an article and its roles there, from the article's confirmed links."""

    ROLE_ORDER = {role: index for index, role in enumerate(ArticleActor.Role.values)}

    def __init__(self, actor: Actor):
        self.actor = actor
        self.roles: list[str] = []

    @property
    def aliases(self) -> list[str]:
        return [alias.name for alias in self.actor.aliases.all()]

    @classmethod
    def from_links(cls, links) -> list["ActorInArticle"]:
        by_actor: dict[int, ActorInArticle] = {}
        for link in links:
            entry = by_actor.setdefault(link.actor_id, cls(link.actor))
            entry.roles.append(link.role)
        for entry in by_actor.values():
            entry.roles.sort(key=lambda role: cls.ROLE_ORDER.get(role, len(cls.ROLE_ORDER)))
        return list(by_actor.values())


class ArticleSerializer(serializers.ModelSerializer):
    url = PublicUrlField()
    source_url = serializers.URLField(source="source_link", read_only=True)
    outlet = OutletRefSerializer(read_only=True, allow_null=True)
    published = serializers.DateField(source="published_on", read_only=True, allow_null=True)
    actors = serializers.SerializerMethodField()
    topics = TopicRefSerializer(many=True, read_only=True)
    talks = TalkSummarySerializer(many=True, read_only=True, source="published_talks")

    class Meta:
        model = Article
        fields = [
            "id",
            "url",
            "source_url",
            "title",
            "body",
            "kind",
            "outlet",
            "byline",
            "published",
            "language",
            "updated_at",
            "actors",
            "topics",
            "talks",
        ]

    @extend_schema_field(ArticleActorSerializer(many=True))
    def get_actors(self, article):
        """The confirmed actors, by name, each with its roles in the article."""
        entries = ActorInArticle.from_links(article.confirmed_links)
        return ArticleActorSerializer(entries, many=True, context=self.context).data


@extend_schema_view(
    list=extend_schema(
        description="Published articles, filtered and sorted like the `/articles/` page "
        "(docs/browse.md), plus `modified_since`. Only confirmed actor links count and show."
    ),
    retrieve=extend_schema(
        description="A published article, by id, with its confirmed actors, topics and "
        "published talks."
    ),
)
class ArticleViewSet(PublicReadOnlyViewSet):
    """Published articles, filtered like the `/articles/` page."""

    serializer_class = ArticleSerializer
    filterset_class = ArticleFilter
    lookup_value_regex = r"\d+"

    @property
    def count_cap(self) -> int | None:
        """As on the page: a search counts as many matches as it ranks."""
        return RANKED_MATCHES if clean_query(self.request.query_params.get("q", "")) else None

    def get_queryset(self):
        confirmed_links = (
            ArticleActor.objects.confirmed()
            .select_related("actor")
            # Only what the payload shows: not the linker's evidence, nor the actor's text.
            .only(
                "article",
                "role",
                "actor__name",
                "actor__slug",
                "actor__kind",
                "actor__wikidata_id",
            )
            .prefetch_related("actor__aliases")
            .order_by("actor__name", "actor_id", "pk")
        )
        return (
            Article.objects.published()
            .select_related("outlet")
            .prefetch_related(
                Prefetch("actor_links", queryset=confirmed_links, to_attr="confirmed_links"),
                "topics",
                Prefetch("talks", queryset=talk_summaries(), to_attr="published_talks"),
            )
        )
