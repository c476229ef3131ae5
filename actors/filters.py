"""FilterSets of the actor and talk lists (the same ones will serve feeds, CSV and API)."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from articles.filters import ChoiceListsMixin, FilterNoticesMixin, modified_since_filter
from articles.models import Topic

from .models import Actor, Talk


class ActorFilter(ChoiceListsMixin, FilterNoticesMixin, django_filters.FilterSet):
    name = django_filters.CharFilter(label=_("Name"), method="filter_name")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Actor.Kind.choices)
    state = django_filters.ModelChoiceFilter(
        label=_("State"), queryset=Actor.objects.states(), to_field_name="slug"
    )
    modified_since = modified_since_filter()

    class Meta:
        model = Actor
        fields = []

    def filter_name(self, queryset, name, value):
        value = " ".join(value.split())[:100]
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(aliases__name__icontains=value)
            | Q(pk__in=Actor.objects.named(value).values("pk"))
        ).distinct()


class StatePairField(forms.Field):
    """One or two states, by slug: ``?state=israel&state=iran``."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if isinstance(value, str):
            value = [value]
        slugs = list(dict.fromkeys(v for v in (value or []) if v))
        if any("\x00" in v for v in (value or [])):
            raise ValidationError(_("Null characters are not allowed."))
        if not slugs:
            return []
        if len(slugs) > 2:
            raise ValidationError(_("A talk is between two states: give one or two."))
        states = list(Actor.objects.states().filter(slug__in=slugs))
        if len(states) != len(slugs):
            unknown = set(slugs) - {state.slug for state in states}
            raise ValidationError(
                _("No state is called %(names)s."),
                params={"names": ", ".join(sorted(unknown))[:200]},
            )
        return states


class StatePairFilter(django_filters.Filter):
    field_class = StatePairField


class TalkFilter(ChoiceListsMixin, FilterNoticesMixin, django_filters.FilterSet):
    state = StatePairFilter(label=_("States"), method="filter_states")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Talk.Kind.choices)
    participant = django_filters.ModelChoiceFilter(
        label=_("Participant"),
        queryset=Actor.objects.persons(),
        to_field_name="slug",
        field_name="participants",
        widget=forms.HiddenInput,
    )
    topic = django_filters.ModelChoiceFilter(
        label=_("Topic"), queryset=Topic.objects.all(), to_field_name="slug", method="filter_topic"
    )
    date_after = django_filters.DateFilter(
        label=_("From"),
        field_name="date",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_before = django_filters.DateFilter(
        label=_("To"),
        field_name="date",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    modified_since = modified_since_filter()

    class Meta:
        model = Talk
        fields = []

    def filter_states(self, queryset, name, states):
        if len(states) == 2:
            return queryset.between(*states)
        if len(states) == 1:
            return queryset.filter(Q(state_a=states[0]) | Q(state_b=states[0]))
        return queryset

    def filter_topic(self, queryset, name, topic):
        return queryset.filter(pk__in=topic.talks.values("pk"))
