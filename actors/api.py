"""The public, read-only JSON API of actors and talks, and what every API view shares.

``/api/actors/`` and ``/api/talks/`` filter with the FilterSets of the ``/actors/``
and ``/talks/`` pages. The pagination, the read-only permission, the base viewset
and the schema description of the project's own filters live here too, because
``articles/api.py`` builds on this module (as ``articles.models`` builds on
``actors.models``). See docs/api.md.
"""

from functools import partial

from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import Prefetch
from django_filters import filters
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_array_type, build_basic_type, build_parameter_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, permissions, serializers, viewsets
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from articles.caching import cache_public_page
from articles.filters import ActorListFilter
from articles.models import Article
from newsarchive.pagination import COUNT_CAP, CappedPaginator

from .filters import ActorFilter, StatePairFilter, TalkFilter
from .models import Actor, Alias, Role, Talk, TalkParticipant, TalkTopic

# --- What every API view shares ------------------------------------------------------------


class ApiPagination(PageNumberPagination):
    """``?page=`` and ``?page_size=`` (default 20; above 100 means 100; invalid means 20).

    ``per_page``, the pages' name for the page size (docs/browse.md), is accepted too, so
    that the query string of a page gives the same selection here.

    ``count`` stops at ``COUNT_CAP``, as on the pages, and ``count_is_capped`` says when it
    did; only the pages within those records can be fetched (docs/api.md).
    """

    def paginate_queryset(self, queryset, request, view=None):
        # A view may count fewer records than the pages do (a search: as many as it ranks).
        self.django_paginator_class = partial(
            CappedPaginator, count_cap=getattr(view, "count_cap", None)
        )
        return super().paginate_queryset(queryset, request, view)

    page_size = 20
    page_size_query_param = "page_size"
    page_size_query_description = "Results per page, at most 100 (default 20)."
    page_size_alias = "per_page"
    max_page_size = 100

    def get_page_size(self, request):
        params = request.query_params
        name = self.page_size_query_param
        if name not in params:
            name = self.page_size_alias
        try:
            size = int(params.get(name, ""))
        except ValueError:
            return self.page_size
        return min(size, self.max_page_size) if size > 0 else self.page_size

    def get_paginated_response(self, data):
        paginator = self.page.paginator
        return Response(
            {
                "count": paginator.count,
                "count_is_capped": paginator.count_is_capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["required"] = ["count", "count_is_capped", "results"]
        paginated["properties"]["count"]["description"] = (
            f"How many records match, counted up to {COUNT_CAP:,}."
        )
        paginated["properties"]["count_is_capped"] = {
            "type": "boolean",
            "description": f"True when {COUNT_CAP:,} or more records match: `count` stopped "
            "there, and only the pages within them can be fetched.",
        }
        return paginated

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.page_size_alias,
                "required": False,
                "in": "query",
                "description": f"Same as `{self.page_size_query_param}` (the pages' name).",
                "schema": {"type": "integer"},
            },
        ]


class ReadOnly(permissions.BasePermission):
    """Everyone may read; nobody may write, whoever they are: HTTP 405."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        raise exceptions.MethodNotAllowed(request.method)


class ErrorDetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


INVALID_FILTERS = OpenApiResponse(
    {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    description="A parameter's value is invalid: its messages, by parameter name.",
)
PAGE_NOT_FOUND = OpenApiResponse(
    ErrorDetailSerializer, description="A page number past the end, or not a number."
)
RECORD_NOT_FOUND = OpenApiResponse(
    ErrorDetailSerializer, description="No published record is known by that id or slug."
)


class PublicApiSchema(AutoSchema):
    """The schema of a public operation: its records, and the errors it answers (docs/api.md)."""

    def get_response_serializers(self):
        records = super().get_response_serializers()
        if self.view.action == "list":
            return {200: records, 400: INVALID_FILTERS, 404: PAGE_NOT_FOUND}
        return {200: records, 404: RECORD_NOT_FOUND}


class PublicReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """A public list and detail: the same answer for everyone, so nobody is authenticated.

    Without authentication there is no session, hence no CSRF check that would turn
    a write into a 403 before the 405, and nothing user-specific to cache apart.
    """

    authentication_classes = ()
    permission_classes = (ReadOnly,)
    pagination_class = ApiPagination
    schema = PublicApiSchema()

    @classmethod
    def as_view(cls, actions=None, **initkwargs):
        # JSON for every anonymous client alike: served whole from the cache until the
        # archive changes (the browsable HTML carries a CSRF token and is never kept).
        view = super().as_view(actions, **initkwargs)
        return cache_public_page(view, vary_on_accept=True)

    def filter_queryset(self, queryset):
        # A record's URL names it: the filters of its list would only turn it into a 404.
        if self.action != "list":
            return queryset
        reject_null_characters(self.request.query_params)
        return super().filter_queryset(queryset)


def reject_null_characters(params) -> None:
    """A 400 naming the parameter that holds a NUL character.

    PostgreSQL cannot compare text with NUL, and two filters (``actor`` of the articles,
    ``state`` of the talks) send their values to the database without Django's form
    check for it: without this, such a value would be a 500.
    """
    bad = sorted({name for name, values in params.lists() if any("\x00" in v for v in values)})
    if bad:
        message = ProhibitNullCharactersValidator.message
        raise exceptions.ValidationError({name: [message] for name in bad})


class ArchiveFilterExtension(DjangoFilterExtension):
    """Type, in the OpenAPI schema, the filters that django-filter's introspection cannot.

    The repeatable actor and state filters take several strings; the model choice
    filters that work through a method take the slug (or id) of their queryset's model.
    """

    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        description = str(filter_field.label or "")
        if isinstance(filter_field, (ActorListFilter, StatePairFilter)):
            schema = build_array_type(build_basic_type(OpenApiTypes.STR))
            return [
                build_parameter_type(
                    name=field_name,
                    schema=schema,
                    location=OpenApiParameter.QUERY,
                    description=description,
                    explode=True,
                    style="form",
                )
            ]
        if isinstance(filter_field, filters.ModelChoiceFilter) and filter_field.method:
            target = filter_field.queryset.model
            to_field = filter_field.extra.get("to_field_name") or target._meta.pk.name
            schema = auto_schema._map_model_field(target._meta.get_field(to_field), direction=None)
            schema.pop("readOnly", None)
            schema.pop("description", None)
            return [
                build_parameter_type(
                    name=field_name,
                    schema=schema,
                    location=OpenApiParameter.QUERY,
                    description=description,
                )
            ]
        return super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )


@extend_schema_field(OpenApiTypes.URI)
class PublicUrlField(serializers.Field):
    """The absolute URL of the record's public page."""

    def __init__(self, **kwargs):
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return self.context["request"].build_absolute_uri(value.get_absolute_url())


class NullIfBlankCharField(serializers.CharField):
    """A text column where blank means "none": ``null`` in the API."""

    def __init__(self, **kwargs):
        kwargs.update(read_only=True, allow_null=True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value or None


def slug_of(**kwargs):
    """A related record given by its slug (``null`` when there is none)."""
    return serializers.SlugRelatedField(slug_field="slug", read_only=True, **kwargs)


# --- Actors ----------------------------------------------------------------------------------


class AliasSerializer(serializers.ModelSerializer):
    class Meta:
        model = Alias
        fields = ["name", "language", "kind"]


class RoleSerializer(serializers.ModelSerializer):
    organization = slug_of()
    start = serializers.DateField(source="start_date", read_only=True)
    end = serializers.DateField(source="end_date", read_only=True, allow_null=True)

    class Meta:
        model = Role
        fields = ["position", "title", "organization", "start", "end"]


class ActorSerializer(serializers.ModelSerializer):
    wikidata = NullIfBlankCharField(source="wikidata_id")
    state = slug_of(allow_null=True)
    aliases = AliasSerializer(many=True, read_only=True)
    roles = RoleSerializer(many=True, read_only=True)
    url = PublicUrlField()

    class Meta:
        model = Actor
        fields = [
            "name",
            "slug",
            "kind",
            "description",
            "wikidata",
            "state",
            "aliases",
            "roles",
            "url",
            "updated_at",
        ]


@extend_schema_view(
    list=extend_schema(
        description="Actors by name, filtered like the `/actors/` page: `name` (the name or "
        "any alias contains it), `kind`, `state` (a state's slug), `modified_since`."
    ),
    retrieve=extend_schema(description="An actor, by slug, with its aliases and roles."),
)
class ActorViewSet(PublicReadOnlyViewSet):
    """Actors, filtered like the `/actors/` page."""

    serializer_class = ActorSerializer
    filterset_class = ActorFilter
    lookup_field = "slug"

    def get_queryset(self):
        return (
            Actor.objects.select_related("state")
            .prefetch_related(
                "aliases",
                Prefetch("roles", queryset=Role.objects.select_related("organization")),
            )
            .order_by("name", "pk")
        )


# --- Talks -----------------------------------------------------------------------------------


class ParticipantSerializer(serializers.ModelSerializer):
    person = slug_of()
    represents = slug_of()

    class Meta:
        model = TalkParticipant
        fields = ["person", "represents"]


class TalkTopicSerializer(serializers.ModelSerializer):
    topic = slug_of()
    side = slug_of(allow_null=True)

    class Meta:
        model = TalkTopic
        fields = ["topic", "side"]


class TalkSummarySerializer(serializers.ModelSerializer):
    """A talk as an article's payload shows it."""

    states = serializers.SerializerMethodField()
    participants = ParticipantSerializer(many=True, read_only=True, source="participations")

    class Meta:
        model = Talk
        fields = ["id", "kind", "date", "date_precision", "states", "participants"]

    def get_states(self, talk) -> list[str]:
        return [talk.state_a.slug, talk.state_b.slug]


class TalkSerializer(TalkSummarySerializer):
    place = slug_of(allow_null=True)
    topics = TalkTopicSerializer(many=True, read_only=True, source="talk_topics")
    articles = serializers.SerializerMethodField()
    url = PublicUrlField()

    class Meta:
        model = Talk
        fields = [
            "id",
            "slug",
            "kind",
            "cameo_code",
            "date",
            "date_precision",
            "states",
            "place",
            "participants",
            "topics",
            "summary",
            "articles",
            "url",
            "updated_at",
        ]

    def get_articles(self, talk) -> list[int]:
        """The ids of the published articles that report the talk."""
        return [article.pk for article in talk.published_articles]


def participations():
    return Prefetch(
        "participations",
        queryset=TalkParticipant.objects.select_related("person", "represents").order_by("pk"),
    )


def talk_summaries():
    """The published talks with what ``TalkSummarySerializer`` shows, for a Prefetch."""
    return (
        Talk.objects.published()
        .select_related("state_a", "state_b")
        .prefetch_related(participations())
    )


@extend_schema_view(
    list=extend_schema(
        description="Published talks, newest first, filtered like the `/talks/` page: `state` "
        "(one or two slugs, repeatable), `kind`, `participant`, `topic`, `date_after`, "
        "`date_before`, `modified_since`."
    ),
    retrieve=extend_schema(description="A published talk, by id."),
)
class TalkViewSet(PublicReadOnlyViewSet):
    """Published talks, filtered like the `/talks/` page."""

    serializer_class = TalkSerializer
    filterset_class = TalkFilter
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return (
            Talk.objects.published()
            .select_related("state_a", "state_b", "place")
            .prefetch_related(
                participations(),
                Prefetch(
                    "talk_topics",
                    queryset=TalkTopic.objects.select_related("topic", "side").order_by(
                        "topic__name", "pk"
                    ),
                ),
                Prefetch(
                    "articles",
                    queryset=Article.objects.published().only("pk").order_by("pk"),
                    to_attr="published_articles",
                ),
            )
        )
