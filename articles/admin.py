from django.contrib import admin
from django.db.models import OuterRef
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from actors.linking import get_linker
from actors.models import TalkReport
from newsarchive.db import SubqueryCount

from .models import (
    Article,
    ArticleActor,
    Outlet,
    PublicationStatus,
    Quote,
    TalkSuggestion,
    Topic,
)
from .publishing import set_status
from .suggestions import confirm_talk_suggestion, evidence_html, suggest


@admin.register(Outlet)
class OutletAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "country", "languages", "actor", "article_count"]
    list_filter = ["kind", ("country", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["country", "actor"]
    search_fields = ["name", "slug", "home_url"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["country", "actor"]

    def get_queryset(self, request):
        articles = Article.objects.filter(outlet=OuterRef("pk"))
        return super().get_queryset(request).annotate(article_count=SubqueryCount(articles))

    @admin.display(description=_("articles"), ordering="article_count")
    def article_count(self, outlet):
        return outlet.article_count


@admin.register(Topic)
class TopicAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "article_count"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        articles = Article.topics.through.objects.filter(topic=OuterRef("pk"))
        return super().get_queryset(request).annotate(article_count=SubqueryCount(articles))

    @admin.display(description=_("articles"), ordering="article_count")
    def article_count(self, topic):
        return topic.article_count


class ArticleActorInline(admin.TabularInline):
    model = ArticleActor
    extra = 1
    autocomplete_fields = ["actor"]
    fields = ["actor", "role", "status", "found_in", "origin", "reviewed_by", "reviewed_at"]
    readonly_fields = ["found_in", "origin", "reviewed_by", "reviewed_at"]
    ordering = ["-status", "actor__name"]

    @admin.display(description=_("evidence"))
    def found_in(self, link):
        return evidence_html(link.evidence)


class TalkSuggestionInline(admin.TabularInline):
    model = TalkSuggestion
    extra = 0
    fields = ["talk", "status", "talk_was_created", "found_in", "reviewed_by", "reviewed_at"]
    readonly_fields = ["talk", "talk_was_created", "found_in", "reviewed_by", "reviewed_at"]
    can_delete = False
    verbose_name_plural = _("talks the linker found")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("evidence"))
    def found_in(self, suggestion):
        return format_html(
            "{} <small>({})</small>",
            suggestion.evidence.get("sentence", ""),
            suggestion.evidence.get("phrase", ""),
        )


class QuoteInline(admin.StackedInline):
    model = Quote
    extra = 0
    autocomplete_fields = ["speaker", "talk"]
    fields = [("speaker", "talk"), "text", ("language", "translated")]


class TalkReportInline(admin.TabularInline):
    model = TalkReport
    extra = 1
    autocomplete_fields = ["talk"]
    readonly_fields = ["created_at"]
    verbose_name = _("talk reported")
    verbose_name_plural = _("talks reported")


class SuggestionFilter(admin.SimpleListFilter):
    title = _("actor links")
    parameter_name = "links"

    def lookups(self, request, model_admin):
        return [("suggested", _("with suggestions to review")), ("none", _("without actors"))]

    def queryset(self, request, queryset):
        if self.value() == "suggested":
            return queryset.filter(actor_links__status=ArticleActor.Status.SUGGESTED).distinct()
        if self.value() == "none":
            return queryset.filter(actor_links__isnull=True)
        return queryset


@admin.register(Article)
class ArticleAdmin(SimpleHistoryAdmin):
    list_display = [
        "title",
        "outlet",
        "published_on",
        "language",
        "kind",
        "status",
        "link_count",
        "suggestion_count",
    ]
    list_filter = ["status", "kind", "language", SuggestionFilter, "outlet"]
    list_select_related = ["outlet"]
    search_fields = ["title", "byline", "source_url", "outlet__name"]
    date_hierarchy = "published_on"
    autocomplete_fields = ["outlet", "topics"]
    readonly_fields = ["canonical_url", "content_hash", "created_at", "updated_at"]
    inlines = [ArticleActorInline, TalkSuggestionInline, TalkReportInline, QuoteInline]
    actions = ["confirm_suggestions", "suggest_again", "publish", "send_to_review", "unpublish"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "kind", "status", "body"]}),
        (
            _("Source"),
            {"fields": ["outlet", "byline", "published_on", "language", "source_url", "topics"]},
        ),
        (
            _("Record"),
            {
                "fields": ["canonical_url", "content_hash", "created_at", "updated_at"],
                "classes": ["collapse"],
            },
        ),
    ]

    def get_queryset(self, request):
        links = ArticleActor.objects.filter(article=OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                link_count=SubqueryCount(links.filter(status=ArticleActor.Status.CONFIRMED)),
                suggestion_count=SubqueryCount(links.filter(status=ArticleActor.Status.SUGGESTED)),
            )
        )

    @admin.display(description=_("actors"), ordering="link_count")
    def link_count(self, article):
        return article.link_count

    @admin.display(description=_("to review"), ordering="suggestion_count")
    def suggestion_count(self, article):
        return article.suggestion_count

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # After the editor's own changes, so that their decisions are what the linker respects.
        report = suggest(form.instance)
        if report.suggested or report.talks:
            self.message_user(
                request,
                _("The linker suggests %(actors)d actor links and %(talks)d talks to review.")
                % {"actors": report.suggested, "talks": report.talks},
            )

    def save_formset(self, request, form, formset, change):
        if formset.model is TalkSuggestion:
            for suggestion_form in formset.forms:
                suggestion = suggestion_form.instance
                if "status" in suggestion_form.changed_data:
                    if suggestion.status == TalkSuggestion.Status.CONFIRMED:
                        confirm_talk_suggestion(suggestion, request.user)
                        continue
                    suggestion.reviewed_by, suggestion.reviewed_at = request.user, timezone.now()
        if formset.model is ArticleActor:
            for link_form in formset.forms:
                link = link_form.instance
                if link_form in formset.deleted_forms or not link_form.has_changed():
                    continue
                if link.pk is None:
                    link.origin = ArticleActor.Origin.EDITOR
                if link.pk is None or "status" in link_form.changed_data:
                    link.review(link.status, request.user)
        super().save_formset(request, form, formset, change)

    @admin.action(
        description=_("Confirm every suggestion of the selected articles"), permissions=["change"]
    )
    def confirm_suggestions(self, request, queryset):
        # Fixed first: confirming the links empties a "with suggestions" filtered selection.
        articles = list(queryset.values_list("pk", flat=True))
        links = ArticleActor.objects.filter(
            article__in=articles, status=ArticleActor.Status.SUGGESTED
        )
        count = 0
        for link in links:
            link.review(ArticleActor.Status.CONFIRMED, request.user)
            link.save(update_fields=["status", "reviewed_by", "reviewed_at"])
            count += 1
        talks = TalkSuggestion.objects.filter(
            article__in=articles, status=TalkSuggestion.Status.SUGGESTED
        ).select_related("talk", "article")
        for suggestion in talks:
            confirm_talk_suggestion(suggestion, request.user)
        self.message_user(
            request,
            _("Confirmed %(links)d actor links and %(talks)d talks.")
            % {"links": count, "talks": len(talks)},
        )

    @admin.action(
        description=_("Run the linker again on the selected articles"), permissions=["change"]
    )
    def suggest_again(self, request, queryset):
        linker = get_linker()
        totals = [suggest(article, linker) for article in queryset]
        self.message_user(
            request,
            _("%(actors)d new actor suggestions, %(talks)d new talk suggestions.")
            % {
                "actors": sum(r.suggested for r in totals),
                "talks": sum(r.talks for r in totals),
            },
        )

    @admin.action(description=_("Publish the selected articles"), permissions=["change"])
    def publish(self, request, queryset):
        set_status(self, request, queryset, PublicationStatus.PUBLISHED)

    @admin.action(description=_("Send the selected articles to review"), permissions=["change"])
    def send_to_review(self, request, queryset):
        set_status(self, request, queryset, PublicationStatus.REVIEW)

    @admin.action(
        description=_("Unpublish the selected articles (back to draft)"), permissions=["change"]
    )
    def unpublish(self, request, queryset):
        set_status(self, request, queryset, PublicationStatus.DRAFT)


@admin.register(ArticleActor)
class ArticleActorAdmin(SimpleHistoryAdmin):
    """Every actor link in one list: the review queue for suggestions."""

    list_display = ["article", "actor", "role", "status", "origin", "reviewed_by", "reviewed_at"]
    list_filter = ["status", "role", "origin", ("actor__kind", admin.ChoicesFieldListFilter)]
    list_select_related = ["article", "actor", "reviewed_by"]
    search_fields = ["article__title", "actor__name"]
    autocomplete_fields = ["article", "actor"]
    readonly_fields = ["origin", "reviewed_by", "reviewed_at", "created_at"]
    actions = ["confirm", "reject"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.origin = ArticleActor.Origin.EDITOR
        if not change or "status" in form.changed_data:
            obj.review(obj.status, request.user)
        super().save_model(request, obj, form, change)

    def _review(self, request, queryset, status):
        links = list(queryset.exclude(status=status))
        for link in links:
            link.review(status, request.user)
            link.save(update_fields=["status", "reviewed_by", "reviewed_at"])
        self.message_user(
            request,
            _("%(count)d links are now %(status)s.")
            % {"count": len(links), "status": ArticleActor.Status(status).label},
        )

    @admin.action(description=_("Confirm the selected links"), permissions=["change"])
    def confirm(self, request, queryset):
        self._review(request, queryset, ArticleActor.Status.CONFIRMED)

    @admin.action(description=_("Reject the selected links"), permissions=["change"])
    def reject(self, request, queryset):
        self._review(request, queryset, ArticleActor.Status.REJECTED)


@admin.register(Quote)
class QuoteAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "speaker", "article", "talk", "language", "translated"]
    list_filter = ["language", "translated"]
    list_select_related = ["speaker", "article", "talk__state_a", "talk__state_b"]
    search_fields = ["text", "speaker__name", "article__title"]
    autocomplete_fields = ["speaker", "article", "talk"]


@admin.register(TalkSuggestion)
class TalkSuggestionAdmin(SimpleHistoryAdmin):
    """Talks the linker found in articles, waiting for a decision."""

    list_display = ["talk", "article", "status", "talk_was_created", "reviewed_by", "created_at"]
    list_filter = ["status", "talk_was_created"]
    list_select_related = ["talk__state_a", "talk__state_b", "article", "reviewed_by"]
    search_fields = ["article__title", "talk__slug"]
    readonly_fields = [
        "article",
        "talk",
        "talk_was_created",
        "evidence",
        "reviewed_by",
        "reviewed_at",
    ]
    actions = ["confirm", "reject"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Confirm: the article reports this talk"), permissions=["change"])
    def confirm(self, request, queryset):
        for suggestion in queryset.select_related("talk", "article"):
            confirm_talk_suggestion(suggestion, request.user)

    @admin.action(description=_("Reject"), permissions=["change"])
    def reject(self, request, queryset):
        queryset.update(
            status=TalkSuggestion.Status.REJECTED,
            reviewed_by=request.user,
            reviewed_at=timezone.now(),
        )
