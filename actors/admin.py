from django.contrib import admin
from django.db.models import OuterRef
from django.utils.translation import gettext_lazy as _

from articles.admin import CuratedHistoryAdmin
from articles.publishing import set_status
from newsarchive.db import SubqueryCount
from newsarchive.inlines import RowObjectsInline

from .models import (
    Actor,
    Alias,
    PublicationStatus,
    Role,
    Talk,
    TalkParticipant,
    TalkReport,
    TalkTopic,
)


class AliasInline(admin.TabularInline):
    model = Alias
    extra = 1


class RoleInline(RowObjectsInline, admin.TabularInline):
    model = Role
    fk_name = "person"
    extra = 0
    autocomplete_fields = ["organization"]


@admin.register(Actor)
class ActorAdmin(CuratedHistoryAdmin):
    list_display = ["name", "kind", "state", "wikidata_id", "alias_count", "updated_at"]
    list_filter = ["kind", ("state", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["state"]
    search_fields = ["name", "slug", "aliases__name", "wikidata_id"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["state"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [AliasInline, RoleInline]
    fieldsets = [
        (None, {"fields": ["kind", "name", "slug", "description", "state", "wikidata_id"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(alias_count=SubqueryCount(Alias.objects.filter(actor=OuterRef("pk"))))
        )

    @admin.display(description=_("aliases"), ordering="alias_count")
    def alias_count(self, actor):
        return actor.alias_count

    def get_inlines(self, request, obj):
        # Only persons hold roles; a new actor shows the role inline until its kind is known.
        if obj is not None and obj.kind != Actor.Kind.PERSON:
            return [AliasInline]
        return self.inlines


@admin.register(Alias)
class AliasAdmin(CuratedHistoryAdmin):
    list_display = ["name", "actor", "language", "kind"]
    list_filter = ["kind", "language"]
    list_select_related = ["actor"]
    search_fields = ["name", "actor__name"]
    autocomplete_fields = ["actor"]


@admin.register(Role)
class RoleAdmin(CuratedHistoryAdmin):
    list_display = ["person", "position", "title", "organization", "start_date", "end_date"]
    list_filter = ["position", ("organization", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["person", "organization"]
    search_fields = ["person__name", "title", "organization__name"]
    autocomplete_fields = ["person", "organization"]
    date_hierarchy = "start_date"


class TalkParticipantInline(RowObjectsInline, admin.TabularInline):
    model = TalkParticipant
    extra = 2
    autocomplete_fields = ["person", "represents"]


class TalkTopicInline(RowObjectsInline, admin.TabularInline):
    model = TalkTopic
    extra = 1
    autocomplete_fields = ["topic", "side"]


class TalkReportInline(RowObjectsInline, admin.TabularInline):
    model = TalkReport
    extra = 1
    autocomplete_fields = ["article"]
    readonly_fields = ["created_at"]


@admin.register(Talk)
class TalkAdmin(CuratedHistoryAdmin):
    list_display = [
        "__str__",
        "kind",
        "date",
        "date_precision",
        "cameo_code",
        "status",
        "report_count",
    ]
    list_filter = [
        "status",
        "kind",
        "date_precision",
        ("state_a", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["state_a", "state_b"]
    search_fields = ["slug", "summary", "state_a__name", "state_b__name", "participants__name"]
    date_hierarchy = "date"
    prepopulated_fields = {"slug": ["date", "kind"]}
    autocomplete_fields = ["state_a", "state_b", "place"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [TalkParticipantInline, TalkTopicInline, TalkReportInline]
    actions = ["publish", "unpublish"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(report_count=SubqueryCount(TalkReport.objects.filter(talk=OuterRef("pk"))))
        )

    @admin.display(description=_("reports"), ordering="report_count")
    def report_count(self, talk):
        return talk.report_count

    @admin.action(description=_("Publish the selected talks"), permissions=["change"])
    def publish(self, request, queryset):
        set_status(self, request, queryset, PublicationStatus.PUBLISHED)

    @admin.action(
        description=_("Unpublish the selected talks (back to draft)"), permissions=["change"]
    )
    def unpublish(self, request, queryset):
        set_status(self, request, queryset, PublicationStatus.DRAFT)
