"""The article FilterSet: one definition serves the page, the feeds, and later CSV and API.

Every parameter is validated; an invalid one is ignored and reported through
``ArticleFilter.notices``, so that a mistyped URL still shows a useful page.
"""

import datetime
from collections import defaultdict

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Case, CharField, Exists, OuterRef, Q, Value, When
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

from actors.models import Actor, Talk

from .caching import cached
from .languages import LANGUAGE_CHOICES
from .models import Article, ArticleActor, Outlet, Topic
from .search import RANKED_MATCHES, among_newest_matches, clean_query, search_articles

MAX_ACTORS = 10


class ActorListField(forms.Field):
    """Several actors, each given by its slug, name or alias (``?actor=a&actor=b``)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if isinstance(value, str):
            value = [value]
        values = [v.strip() for v in (value or []) if v and v.strip()]
        if any("\x00" in v for v in (value or [])):
            raise ValidationError(_("Null characters are not allowed."))
        values = list(dict.fromkeys(values))
        if not values:
            return []
        if len(values) > MAX_ACTORS:
            raise ValidationError(_("At most %(max)d actors at once."), params={"max": MAX_ACTORS})
        by_slug = {actor.slug: actor for actor in Actor.objects.filter(slug__in=values)}
        # Which value named which actor, so that each can be removed from the URL alone.
        self.resolved, unknown = {}, []
        for value in values:
            actor = by_slug.get(value) or Actor.objects.named(value).first()
            if actor:
                self.resolved[value] = actor
            else:
                unknown.append(value)
        if unknown:
            raise ValidationError(
                _("No actor is called %(names)s."), params={"names": ", ".join(unknown)[:200]}
            )
        return list(dict.fromkeys(self.resolved.values()))


class ActorListFilter(django_filters.Filter):
    field_class = ActorListField


def confirmed_link(*conditions, **lookups):
    """An EXISTS over the confirmed actor links of the outer article."""
    return Exists(
        ArticleActor.objects.filter(
            *conditions, article=OuterRef("pk"), status=ArticleActor.Status.CONFIRMED, **lookups
        )
    )


def article_by_article(exists: Exists) -> Case:
    """``exists``, checked for each article in the list's order.

    PostgreSQL turns a plain EXISTS into a join: it reads every matching link first. For an
    actor or state that most articles name, that is most of the archive's links (3.7 s at
    a million articles for Iran's half-year list, its count and its facets), where checking
    the articles in the list's order reaches the page, or the count's cap, within a few
    thousand. Inside a CASE it stays a check. For an actor few articles name, the join is
    the quick way, and the plain EXISTS stays.
    """
    return Case(When(exists, then=Value(True)), default=Value(False))


#: The latest articles sampled to tell which actors and states most articles name.
COMMON_SAMPLE = 1000
#: The share of the sample an actor or state must be named in to count as common.
COMMON_SHARE = 0.5


def common_actors_and_states() -> tuple[frozenset[int], frozenset[int]]:
    """The ids of the actors, and of the states (themselves or through their people and
    bodies), that at least half of the latest published articles with links name."""
    return cached("common-actors", COMMON_SAMPLE, _count_common, stale_ok=True)


def _count_common() -> tuple[frozenset[int], frozenset[int]]:
    latest = Article.objects.published().order_by("-published_on", "-id").values("pk")
    links = (
        ArticleActor.objects.confirmed()
        .filter(article__in=latest[:COMMON_SAMPLE])
        .values_list("article_id", "actor_id", "actor__kind", "actor__state_id")
    )
    articles, by_actor, by_state = set(), defaultdict(set), defaultdict(set)
    for article, actor, kind, state in links:
        articles.add(article)
        by_actor[actor].add(article)
        state = actor if kind == Actor.Kind.STATE else state
        if state is not None:
            by_state[state].add(article)
    enough = COMMON_SHARE * len(articles)
    return (
        frozenset(actor for actor, named in by_actor.items() if len(named) >= enough),
        frozenset(state for state, named in by_state.items() if len(named) >= enough),
    )


class ModifiedSinceField(IsoDateTimeField):
    """An ISO 8601 moment, given to the database in UTC.

    Python reads offsets up to ±23:59, PostgreSQL only up to ±15:59; and
    ``0001-01-01T00:00:00+14:00`` is before year 1 in UTC, which no database can hold: such a
    moment is as invalid as any other non-date.
    """

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(datetime.UTC)
        except OverflowError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class ModifiedSinceFilter(django_filters.IsoDateTimeFilter):
    field_class = ModifiedSinceField


def modified_since_filter():
    """``?modified_since=<ISO date or datetime>``: records changed since then, for sync."""
    return ModifiedSinceFilter(
        label=_("Changed since"),
        field_name="updated_at",
        lookup_expr="gte",
        widget=forms.HiddenInput,
    )


class FilterNoticesMixin:
    """Report the parameters that were ignored because they were invalid."""

    @property
    def notices(self) -> list[str]:
        self.is_valid()
        return [
            _("Ignored “%(label)s”: %(errors)s")
            % {"label": self.form.fields[name].label, "errors": " ".join(errors)}
            for name, errors in self.form.errors.items()
            if name in self.form.fields
        ]


class ChoiceListsMixin:
    """The form's drop-down lists of records (states, topics, outlets), read together.

    Each would otherwise be a query of its own on every page that shows the form: all are
    read in one, when the form is first rendered (never by the feeds or the API, which
    only validate), and cached until the archive changes. Validating a value still looks
    it up through the field's queryset. The records are listed by ``name``.
    """

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            lists = {
                name: field
                for name, field in form.fields.items()
                if isinstance(field, forms.ModelChoiceField) and not field.widget.is_hidden
            }
            for name, field in lists.items():
                # Django's own setter: django-filter's would wrap the list in a model iterator.
                forms.ChoiceField.choices.fset(field, self._choice_list(name, field, lists))
        return self._form

    def _choice_list(self, name, field, lists):
        def choices():
            options = cached(
                "choice-lists", (type(self).__name__, *lists), lambda: read_choice_lists(lists)
            )
            empty = [] if field.empty_label is None else [("", field.empty_label)]
            return empty + options[name]

        return choices


def read_choice_lists(lists: dict[str, forms.ModelChoiceField]) -> dict[str, list[tuple[str, str]]]:
    """``{field name: [(value, name), ...]}`` for these fields, in one query."""
    text = CharField()
    queries = [
        field.queryset.order_by()
        .annotate(
            list_name=Value(name, output_field=text),
            choice_value=Cast(field.to_field_name or "pk", output_field=text),
        )
        .values_list("list_name", "choice_value", "name")
        for name, field in lists.items()
    ]
    rows = queries[0].union(*queries[1:], all=True).order_by("list_name", "name")
    options = {name: [] for name in lists}
    for name, value, record_name in rows:
        options[name].append((value, record_name))
    return options


class ArticleFilter(ChoiceListsMixin, FilterNoticesMixin, django_filters.FilterSet):
    SORTS = {
        "newest": ["-published_on", "-id"],
        "oldest": ["published_on", "id"],
        "relevance": ["-search_rank", "-published_on", "-id"],
    }

    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    actor = ActorListFilter(label=_("Actors"), method="filter_actors")
    actor_mode = django_filters.ChoiceFilter(
        label=_("Actors must"),
        choices=[("all", _("all appear")), ("any", _("any appear"))],
        method="ignore",
        empty_label=None,
    )
    state = django_filters.ModelChoiceFilter(
        label=_("State"),
        queryset=Actor.objects.states(),
        to_field_name="slug",
        method="filter_state",
    )
    kind = django_filters.ChoiceFilter(
        label=_("Actor kind"), choices=Actor.Kind.choices, method="filter_actor_kind"
    )
    type = django_filters.ChoiceFilter(
        label=_("Article type"), choices=Article.Kind.choices, field_name="kind"
    )
    topic = django_filters.ModelChoiceFilter(
        label=_("Topic"), queryset=Topic.objects.all(), to_field_name="slug", field_name="topics"
    )
    outlet = django_filters.ModelChoiceFilter(
        label=_("Outlet"), queryset=Outlet.objects.all(), to_field_name="slug"
    )
    language = django_filters.ChoiceFilter(label=_("Language"), choices=LANGUAGE_CHOICES)
    talk = django_filters.ModelChoiceFilter(
        label=_("Talk"),
        queryset=Talk.objects.published(),
        method="filter_talk",
        widget=forms.HiddenInput,
    )
    date_after = django_filters.DateFilter(
        label=_("From"),
        field_name="published_on",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_before = django_filters.DateFilter(
        label=_("To"),
        field_name="published_on",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    modified_since = modified_since_filter()
    sort = django_filters.ChoiceFilter(
        label=_("Sort"),
        choices=[("newest", _("newest")), ("oldest", _("oldest")), ("relevance", _("relevance"))],
        method="ignore",
        empty_label=_("relevance with a search, else newest"),
    )

    class Meta:
        model = Article
        fields = []

    def ignore(self, queryset, name, value):
        return queryset

    def filter_search(self, queryset, name, value):
        text = clean_query(value)
        if not text:
            return queryset
        # Folding every actor's name and alias to compare them takes a scan of both tables.
        named = cached(
            "actors-named",
            text,
            lambda: list(Actor.objects.named(text).values_list("pk", flat=True)[:MAX_ACTORS]),
        )
        return search_articles(queryset, text, named)

    def filter_actors(self, queryset, name, actors):
        if not actors:
            return queryset
        common, _states = common_actors_and_states()
        if self.form.cleaned_data.get("actor_mode") == "any":
            named = confirmed_link(actor__in=actors)
            if any(actor.pk in common for actor in actors):
                named = article_by_article(named)
            return queryset.filter(named)
        for actor in actors:
            named = confirmed_link(actor=actor)
            queryset = queryset.filter(article_by_article(named) if actor.pk in common else named)
        return queryset

    def filter_state(self, queryset, name, state):
        # The state's actors first, then their links: an OR across the join to the
        # actors read every confirmed link of the archive (1.3 s at a million articles).
        of_state = Actor.objects.filter(Q(pk=state.pk) | Q(state=state)).values("pk")
        named = confirmed_link(actor__in=of_state)
        _actors, common = common_actors_and_states()
        return queryset.filter(article_by_article(named) if state.pk in common else named)

    def filter_actor_kind(self, queryset, name, kind):
        return queryset.filter(confirmed_link(actor__kind=kind))

    def filter_talk(self, queryset, name, talk):
        return queryset.filter(talk_reports__talk=talk)

    @property
    def search_text(self) -> str:
        # Another parameter's invalid value leaves the search in force: its text too.
        self.is_valid()
        return clean_query(self.form.cleaned_data.get("q", ""))

    @property
    def count_cap(self) -> int | None:
        """How many articles a list of this selection counts and pages through, if fewer
        than the paginator's own cap: a search, as many as it ranks (``RANKED_MATCHES``),
        since finding each match reads its search vector."""
        return RANKED_MATCHES if self.search_text else None

    @property
    def sort_key(self) -> str:
        requested = self.form.cleaned_data.get("sort") if self.is_bound else None
        if self.search_text:
            return requested or "relevance"
        return requested if requested in ("newest", "oldest") else "newest"

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.sort_key == "relevance":
            queryset = among_newest_matches(queryset)
        return queryset.order_by(*self.SORTS[self.sort_key])

    @property
    def notices(self) -> list[str]:
        notices = super().notices
        requested = self.form.cleaned_data.get("sort")
        if requested == "relevance" and not self.search_text:
            notices.append(_("Sorted by date: relevance needs a search."))
        return notices

    @property
    def active_actors(self) -> list[Actor]:
        self.is_valid()
        return self.form.cleaned_data.get("actor") or []
