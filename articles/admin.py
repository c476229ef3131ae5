import re
from difflib import SequenceMatcher

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import EmptyResultSet, PermissionDenied, ValidationError
from django.db.models import OuterRef, Q
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from actors.linking import get_linker
from actors.models import Talk, TalkReport
from newsarchive.db import SubqueryCount
from newsarchive.inlines import RowObjectsInline
from newsarchive.pagination import CappedPaginator

from . import languages
from .caching import cached
from .models import (
    Article,
    ArticleActor,
    Outlet,
    PublicationStatus,
    Quote,
    TalkSuggestion,
    Topic,
)
from .normalize import canonical_url
from .publishing import set_status
from .search import clean_query, text_matches, uses_postgres_search
from .suggestions import confirm_talk_suggestion, evidence_html, suggest, suggest_many


def _id_or_404(field, value):
    """``value`` as the id ``field`` holds; a 404 where simple_history would raise a 500."""
    try:
        return field.to_python(value)
    except ValidationError:
        raise Http404 from None


def _as_text(field, value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(dict(field.flatchoices).get(value, value))


def _html(text: str):
    # Line breaks stay visible without a stylesheet rule: none can be added inline (CSP).
    return mark_safe(escape(text).replace("\n", "<br>"))


def _marked_diff(old: str, new: str):
    """The text of ``new`` as HTML, words taken out of ``old`` in <del>, words put in <ins>."""
    # Words keep the spaces after them, so that a lone space never counts as common ground.
    before, after = re.findall(r"\S+\s*|\s+", old), re.findall(r"\S+\s*|\s+", new)
    parts = []
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    for operation, start, end, new_start, new_end in matcher.get_opcodes():
        if operation == "equal":
            parts.append(_html("".join(before[start:end])))
            continue
        if end > start:
            parts.append(format_html("<del>{}</del>", _html("".join(before[start:end]))))
        if new_end > new_start:
            parts.append(format_html("<ins>{}</ins>", _html("".join(after[new_start:new_end]))))
    return mark_safe("".join(parts))


class CuratedHistoryAdmin(SimpleHistoryAdmin):
    """The history of a curated record: who changed what and when, compared, restored.

    On top of SimpleHistoryAdmin: the history page also lists the changes to the rows
    edited inline; a read-only comparison of any two versions with their whole values (the
    history list cuts them at 100 characters); restoring a version needs the change
    permission (the stock view saves for anyone who may view the history) and says in the
    history which version it restored; a malformed id is a 404, not a 500.
    """

    object_history_template = "admin/history/object_history.html"
    object_history_list_template = "admin/history/object_history_list.html"
    history_compare_template = "admin/history/compare.html"

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        compare = path(
            "<path:object_id>/history/compare/",
            self.admin_site.admin_view(self.history_compare_view),
            name="{}_{}_history_compare".format(*info),
        )
        # First: simple_history's "<id>/history/<version>/" would take "compare" for a version.
        return [compare, *super().get_urls()]

    @property
    def history_manager(self):
        return getattr(self.model, self.opts.simple_history_manager_attribute)

    def action_checkbox(self, obj):
        # Django's markup, written out: rendering a widget through the form renderer's
        # template for each of a hundred rows was a fifth of a changelist's time.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(gettext("Select this object for an action - {}"), str(obj)),
        )

    def history_view(self, request, object_id, extra_context=None):
        pk = _id_or_404(self.opts.pk, unquote(object_id))
        context = dict(extra_context or {})
        if self.has_view_or_change_permission(request):
            context["inline_changes"] = self._inline_changes(request, pk)
        return super().history_view(request, object_id, context)

    def _inline_changes(self, request, pk) -> list[dict]:
        """The history of the rows edited inline on this record's page, newest first.

        Those rows have no history page of their own (participants, topics and reports
        of a talk, say): without this, who changed them would show nowhere in the admin.
        """
        obj = self.get_queryset(request).filter(pk=pk).first()
        entries = []
        for inline in self.get_inline_instances(request, obj):
            manager = getattr(inline.model._meta, "simple_history_manager_attribute", None)
            if manager is None:
                continue
            parent = inline.get_formset(request, obj).fk.attname
            row_id = inline.model._meta.pk.attname
            records = (
                getattr(inline.model, manager)
                .filter(**{parent: pk})
                .select_related("history_user")
                .order_by("history_date", "history_id")
            )
            previous = {}
            for record in records:
                before = previous.get(getattr(record, row_id))
                previous[getattr(record, row_id)] = record
                changes = []
                if before is not None:
                    delta = record.diff_against(before, foreign_keys_are_objs=True)
                    helper = HistoricalRecordContextHelper(inline.model, record)
                    changes = helper.context_for_delta_changes(delta)
                entries.append(
                    {"kind": inline.model._meta.verbose_name, "record": record, "changes": changes}
                )
        return sorted(entries, key=lambda entry: entry["record"].history_date, reverse=True)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        pk = _id_or_404(self.opts.pk, unquote(object_id))
        version_id = _id_or_404(self.history_manager.model._meta.pk, version_id)
        if request.method == "POST" and not self.has_change_history_permission(request):
            raise PermissionDenied
        response = super().history_form_view(request, object_id, version_id, extra_context)
        if request.method == "POST" and response.status_code == 302:
            restored = self.history_manager.get(history_id=version_id)
            revert = self.history_manager.filter(**{self.opts.pk.attname: pk}).first()
            revert.history_change_reason = gettext("Restored the version of %(date)s") % {
                "date": localize(timezone.localtime(restored.history_date))
            }
            revert.save(update_fields=["history_change_reason"])
        return response

    def history_compare_view(self, request, object_id):
        """What changed between the versions ``from`` and ``to`` (by default the latest two)."""
        object_id = _id_or_404(self.opts.pk, unquote(object_id))
        versions = self.history_manager.filter(**{self.opts.pk.attname: object_id})
        obj = self.get_queryset(request).filter(pk=object_id).first()
        latest = versions.first()
        if obj is None and latest is None:
            raise Http404
        obj = obj or latest.instance
        if not self.has_view_history_or_change_history_permission(request, obj):
            raise PermissionDenied
        newer, older = (self._version(versions, request.GET.get(key)) for key in ("to", "from"))
        newer = newer or latest
        if older is None:
            older = versions.filter(
                Q(history_date__lt=newer.history_date)
                | Q(history_date=newer.history_date, history_id__lt=newer.history_id)
            ).first()
        elif (older.history_date, older.history_id) > (newer.history_date, newer.history_id):
            older, newer = newer, older
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Compare versions: %s") % obj,
            "opts": self.opts,
            "object": obj,
            "older": older,
            "newer": newer,
            "changes": self._changes(newer, older) if older else [],
        }
        return TemplateResponse(request, self.history_compare_template, context)

    def _version(self, versions, history_id):
        if history_id is None:
            return None
        history_id = _id_or_404(versions.model._meta.pk, history_id)
        version = versions.filter(history_id=history_id).first()
        if version is None:
            raise Http404
        return version

    def _changes(self, newer, older):
        helper = HistoricalRecordContextHelper(self.model, newer)
        rows = []
        for change in newer.diff_against(older, foreign_keys_are_objs=True).changes:
            field = self.opts.get_field(change.field)
            old, new = (
                _as_text(field, helper.prepare_delta_change_value(change, value))
                for value in (change.old, change.new)
            )
            rows.append({"field": capfirst(field.verbose_name), "diff": _marked_diff(old, new)})
        return rows


@admin.register(Outlet)
class OutletAdmin(CuratedHistoryAdmin):
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
class TopicAdmin(CuratedHistoryAdmin):
    list_display = ["name", "slug", "article_count"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        articles = Article.topics.through.objects.filter(topic=OuterRef("pk"))
        return super().get_queryset(request).annotate(article_count=SubqueryCount(articles))

    @admin.display(description=_("articles"), ordering="article_count")
    def article_count(self, topic):
        return topic.article_count


class ArticleActorInline(RowObjectsInline, admin.TabularInline):
    model = ArticleActor
    extra = 1
    autocomplete_fields = ["actor"]
    fields = ["actor", "role", "status", "found_in", "origin", "reviewed_by", "reviewed_at"]
    readonly_fields = ["found_in", "origin", "reviewed_by", "reviewed_at"]
    ordering = ["-status", "actor__name"]

    @admin.display(description=_("evidence"))
    def found_in(self, link):
        return evidence_html(link.evidence)


class ArticleTalkRows(RowObjectsInline):
    """An inline of an article's rows that name talks (reports, suggestions, quotes).

    A row is named after its article and its talk, and a talk after both its states:
    read with the row rather than in three more queries a row. (A talk an editor has
    just chosen is read by its widget, with its states too.)
    """

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("article", "talk__state_a", "talk__state_b")
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "talk":
            kwargs["queryset"] = Talk.objects.select_related("state_a", "state_b")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TalkSuggestionInline(ArticleTalkRows, admin.TabularInline):
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


class QuoteInline(ArticleTalkRows, admin.StackedInline):
    model = Quote
    extra = 0
    autocomplete_fields = ["speaker", "talk"]
    fields = [("speaker", "talk"), "text", ("language", "translated")]


class TalkReportInline(ArticleTalkRows, admin.TabularInline):
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


class LanguageFilter(admin.SimpleListFilter):
    """The languages the archive's articles are in, by name: the field's own filter lists
    all 183 it accepts, most of which no article is in."""

    title = _("language")
    parameter_name = "language"

    def lookups(self, request, model_admin):
        # A scan of every article: counted once per archive version, and may be up to
        # five minutes stale after a change, like the public pages' figures.
        codes = cached("article-languages", (), Article.objects.languages, stale_ok=True)
        names = [(code, languages.language_name(code)) for code in codes]
        return sorted(names, key=lambda item: item[1])

    def queryset(self, request, queryset):
        return queryset.filter(language=self.value()) if self.value() else queryset


#: How many of a search's newest matches the article changelist lists (docs/scale.md).
ADMIN_SEARCH_MATCHES = 200
#: How many of the newest articles are searched first for them.
ADMIN_SEARCH_RECENT = 20_000


def newest_matches(articles, matching) -> list[int]:
    """The ids of the newest ``ADMIN_SEARCH_MATCHES`` of ``matching`` (a full-text search
    of ``articles``), newest first.

    The planner cannot tell a rare word from a common one: search vectors of over 1 kB get
    no statistics, so every word seems to be in 0.5% of the articles. Walking the date
    order until enough match is quick for a common word but reads the whole table for a
    rare one (over 30 s at a million articles), and the full-text index is quick for a
    rare word but reads every match of a common one. So the newest articles are searched
    first, a bounded read: a common word has enough matches among them. Otherwise the word
    is rare, and the full-text index finds all of its matches.
    """
    newest_first = ("-published_on", "-id")
    recent = list(
        articles.order_by(*newest_first).values_list("pk", flat=True)[:ADMIN_SEARCH_RECENT]
    )
    found = list(
        matching.filter(pk__in=recent)
        .order_by(*newest_first)
        .values_list("pk", flat=True)[:ADMIN_SEARCH_MATCHES]
    )
    if len(found) == ADMIN_SEARCH_MATCHES or len(recent) < ADMIN_SEARCH_RECENT:
        return found
    every_match = list(matching.order_by().values_list("pk", flat=True))
    return list(
        articles.filter(pk__in=every_match)
        .order_by(*newest_first)
        .values_list("pk", flat=True)[:ADMIN_SEARCH_MATCHES]
    )


@admin.register(Article)
class ArticleAdmin(CuratedHistoryAdmin):
    list_display = [
        "title",
        "outlet",
        "published_on",
        "language_name",
        "kind",
        "status",
        "link_count",
        "suggestion_count",
    ]
    list_filter = ["status", "kind", LanguageFilter, SuggestionFilter, "outlet"]
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

    # The changelist of a million articles: no exact count of the whole table, a count of
    # the result that stops at COUNT_CAP, and a search that uses the full-text index.
    show_full_result_count = False
    paginator = CappedPaginator

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        if changelist.query:
            # The date drill-down reads the first and last date, then every distinct day, of
            # all the matches: seconds for a common word. A search lists newest first anyway.
            changelist.date_hierarchy = None
        return changelist

    def get_search_results(self, request, queryset, search_term):
        link = search_term.strip()  # whole: the query's cleaning would cut a long one
        if link.startswith(("http://", "https://")):
            # A pasted link finds its article however it was written (tracking
            # parameters, http or https), through the index of canonical links.
            return queryset.filter(canonical_url=canonical_url(link)), False
        text = clean_query(search_term)
        if not (text and uses_postgres_search()):
            return super().get_search_results(request, queryset, search_term)
        # ``icontains`` on title and byline reads every row: the full-text index finds the
        # words of the title and body instead, in the article's language, and an outlet's
        # name its articles through their index (an unindexed condition in this OR would
        # make it a scan of every row).
        outlets = Outlet.objects.filter(name__icontains=text).values_list("pk", flat=True)
        found = text_matches(text) | Q(outlet__in=list(outlets[:50]))
        matching = queryset.filter(found)
        try:
            selection = str(matching.query)
        except EmptyResultSet:
            return queryset.none(), False
        newest = cached("admin-search", selection, lambda: newest_matches(queryset, matching))
        return queryset.filter(pk__in=newest), False

    @admin.display(description=_("language"), ordering="language")
    def language_name(self, article):
        # Not the field's own display, which looks the code up among 183 choices per row.
        return languages.language_name(article.language)

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
        report = suggest_many(list(queryset), get_linker())
        self.message_user(
            request,
            _("%(actors)d new actor suggestions, %(talks)d new talk suggestions.")
            % {"actors": report.suggested, "talks": report.talks},
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
class ArticleActorAdmin(CuratedHistoryAdmin):
    """Every actor link in one list: the review queue for suggestions."""

    list_display = ["article", "actor", "role", "status", "origin", "reviewed_by", "reviewed_at"]
    list_filter = ["status", "role", "origin", ("actor__kind", admin.ChoicesFieldListFilter)]
    list_select_related = ["article", "actor", "reviewed_by"]
    search_fields = ["article__title", "actor__name"]
    autocomplete_fields = ["article", "actor"]
    readonly_fields = ["origin", "reviewed_by", "reviewed_at", "created_at"]
    actions = ["confirm", "reject"]
    # Ten million links at a million articles: counting them all took a quarter of a
    # second on every view of the review queue. Counts stop at COUNT_CAP, as the articles'.
    show_full_result_count = False
    paginator = CappedPaginator

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
class QuoteAdmin(CuratedHistoryAdmin):
    list_display = ["__str__", "speaker", "article", "talk", "language", "translated"]
    list_filter = ["language", "translated"]
    list_select_related = ["speaker", "article", "talk__state_a", "talk__state_b"]
    search_fields = ["text", "speaker__name", "article__title"]
    autocomplete_fields = ["speaker", "article", "talk"]


@admin.register(TalkSuggestion)
class TalkSuggestionAdmin(CuratedHistoryAdmin):
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

    def save_model(self, request, obj, form, change):
        # As on the article's page: confirming attaches the article to the talk, and every
        # decision records who took it.
        if "status" in form.changed_data:
            if obj.status == TalkSuggestion.Status.CONFIRMED:
                confirm_talk_suggestion(obj, request.user)
                return
            obj.reviewed_by, obj.reviewed_at = request.user, timezone.now()
        super().save_model(request, obj, form, change)

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
