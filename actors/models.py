"""Actors of the archive and the bilateral talks between states.

An actor is anything an article can be about: a person, a state, an
organization or a place. Persons hold dated roles, so that a description
such as "le premier ministre israélien" can be resolved for any date.
"""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from articles.languages import validate_language_code
from articles.normalize import fold, folded, validate_balanced_bidi

wikidata_validator = RegexValidator(r"^Q[1-9][0-9]*$", _("A Wikidata id looks like Q801."))


def choice_label(choices: type[models.Choices], value):
    """The label of ``value`` among ``choices``, or ``value`` itself if it is none of them.

    What Django's ``get_FOO_display`` returns, without hashing every lazily translated
    label of the field on each call (a translation lookup each): a list of talks or roles
    calls it hundreds of times a page.
    """
    try:
        return choices(value).label
    except ValueError:
        return value


class ActorQuerySet(models.QuerySet):
    def states(self):
        return self.filter(kind=Actor.Kind.STATE)

    def persons(self):
        return self.filter(kind=Actor.Kind.PERSON)

    def named(self, text: str):
        """Actors whose name or one of whose aliases is ``text``, ignoring case and accents."""
        key = fold(" ".join(text.split()))
        if not key:
            return self.none()
        aliases = Alias.objects.annotate(key=folded("name")).filter(key=key)
        return self.annotate(key=folded("name")).filter(
            Q(key=key) | Q(pk__in=aliases.values("actor_id"))
        )


class Actor(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", _("person")
        STATE = "state", _("state")
        ORGANIZATION = "organization", _("organization")
        PLACE = "place", _("place")

    KIND_PLURALS = {
        Kind.PERSON: _("people"),
        Kind.STATE: _("states"),
        Kind.ORGANIZATION: _("organizations"),
        Kind.PLACE: _("places"),
    }

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(
        _("canonical name"), max_length=200, validators=[validate_balanced_bidi]
    )
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    description = models.CharField(
        _("short description"), max_length=500, blank=True, validators=[validate_balanced_bidi]
    )
    wikidata_id = models.CharField(
        _("Wikidata id"),
        max_length=20,
        blank=True,
        validators=[wikidata_validator],
        help_text=_("For example Q801 for Israel."),
    )
    state = models.ForeignKey(
        "self",
        verbose_name=_("state"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        limit_choices_to={"kind": Kind.STATE},
        help_text=_("The state a person, organization or place belongs to."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = ActorQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("actor")
        verbose_name_plural = _("actors")
        indexes = [models.Index(fields=["kind", "name"])]
        constraints = [
            models.UniqueConstraint(
                fields=["wikidata_id"],
                condition=~Q(wikidata_id=""),
                name="actor_unique_wikidata_id",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["person", "state", "organization", "place"]),
                name="actor_kind_valid",
            ),
            models.CheckConstraint(
                condition=~Q(kind="state") | Q(state__isnull=True),
                name="actor_state_has_no_state",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("actors:detail", kwargs={"slug": self.slug})

    def clean(self):
        if self.state_id is not None:
            if self.kind == self.Kind.STATE:
                raise ValidationError({"state": _("A state does not belong to another state.")})
            if self.state.kind != self.Kind.STATE:
                raise ValidationError({"state": _("Choose an actor of kind state.")})

    @property
    def wikidata_url(self):
        return f"https://www.wikidata.org/wiki/{self.wikidata_id}" if self.wikidata_id else ""


class Alias(models.Model):
    """A name an actor goes by, in one language (blank: any Latin-script language)."""

    class Kind(models.TextChoices):
        OFFICIAL = "official", _("official name")
        SHORT = "short", _("short name")
        VARIANT = "variant", _("spelling variant or misspelling")
        TRANSLITERATION = "transliteration", _("transliteration")
        DEMONYM = "demonym", _("demonym or adjective")
        TITLE = "title", _("title")
        METONYM = "metonym", _("metonym (a capital standing for its government)")

    actor = models.ForeignKey(
        Actor, verbose_name=_("actor"), on_delete=models.CASCADE, related_name="aliases"
    )
    name = models.CharField(_("name"), max_length=200, validators=[validate_balanced_bidi])
    language = models.CharField(
        _("language"),
        max_length=2,
        blank=True,
        validators=[validate_language_code],
        help_text=_("ISO 639-1 code; leave blank when the name is the same in every language."),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.VARIANT)

    history = HistoricalRecords()

    class Meta:
        ordering = ["language", "name"]
        verbose_name = _("alias")
        verbose_name_plural = _("aliases")
        constraints = [
            models.UniqueConstraint(
                Lower("name"), "actor", "language", name="alias_unique_per_actor_and_language"
            ),
        ]
        indexes = [models.Index(Lower("name"), name="alias_lower_name")]

    def __str__(self):
        return f"{self.name} ({self.language or '*'})"


class RoleQuerySet(models.QuerySet):
    def held_on(self, date: datetime.date):
        """Roles whose holder was in office on ``date``."""
        return self.filter(start_date__lte=date).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=date)
        )


class Role(models.Model):
    """A person's position in a state or organization, from one date to another."""

    class Position(models.TextChoices):
        HEAD_OF_STATE = "head_of_state", _("head of state")
        HEAD_OF_GOVERNMENT = "head_of_government", _("head of government")
        SUPREME_LEADER = "supreme_leader", _("supreme leader")
        VICE_PRESIDENT = "vice_president", _("vice president")
        FOREIGN_MINISTER = "foreign_minister", _("foreign minister")
        DEFENCE_MINISTER = "defence_minister", _("minister of defence")
        NATIONAL_SECURITY_ADVISER = "national_security_adviser", _("national security adviser")
        SPOKESPERSON = "spokesperson", _("spokesperson")
        ENVOY = "envoy", _("envoy")
        AMBASSADOR = "ambassador", _("ambassador")
        INTELLIGENCE_CHIEF = "intelligence_chief", _("intelligence chief")
        MILITARY_CHIEF = "military_chief", _("military chief")
        NUCLEAR_CHIEF = "nuclear_chief", _("head of nuclear agency")
        ORGANIZATION_LEADER = "organization_leader", _("leader of an organization")
        MINISTER = "minister", _("minister")
        OTHER = "other", _("other")

    person = models.ForeignKey(
        Actor,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="roles",
        limit_choices_to={"kind": Actor.Kind.PERSON},
    )
    position = models.CharField(_("position"), max_length=32, choices=Position.choices)
    organization = models.ForeignKey(
        Actor,
        verbose_name=_("in state or organization"),
        on_delete=models.PROTECT,
        related_name="positions",
        limit_choices_to={"kind__in": [Actor.Kind.STATE, Actor.Kind.ORGANIZATION]},
    )
    title = models.CharField(
        _("title"),
        max_length=200,
        blank=True,
        help_text=_("For example: Secretary of State."),
        validators=[validate_balanced_bidi],
    )
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to"), null=True, blank=True, help_text=_("Blank: still held."))

    history = HistoricalRecords()
    objects = RoleQuerySet.as_manager()

    class Meta:
        ordering = ["start_date"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="role_ends_after_it_starts",
            ),
            models.UniqueConstraint(
                fields=["person", "position", "organization", "start_date"],
                name="role_unique_tenure",
            ),
        ]
        indexes = [models.Index(fields=["position", "organization", "start_date"])]

    def __str__(self):
        title = self.title or self.get_position_display()
        return f"{self.person}: {title}, {self.organization} ({self.period})"

    def get_position_display(self):
        return choice_label(self.Position, self.position)

    @property
    def period(self):
        end = self.end_date.isoformat() if self.end_date else "…"
        return f"{self.start_date.isoformat()} – {end}"

    def clean(self):
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("A role ends after it starts.")})
        if self.person_id and self.person.kind != Actor.Kind.PERSON:
            raise ValidationError({"person": _("Only a person holds a role.")})


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    REVIEW = "review", _("in review")
    PUBLISHED = "published", _("published")


class TalkQuerySet(models.QuerySet):
    def published(self):
        """The talks the public may see."""
        return self.filter(status=PublicationStatus.PUBLISHED)

    def visible_to(self, user):
        if user.has_perm("actors.view_talk"):
            return self
        return self.published()

    def involving(self, actor):
        """Talks in which ``actor`` took part, or between ``actor`` and another state."""
        return self.filter(
            Q(state_a=actor)
            | Q(state_b=actor)
            | Exists(TalkParticipant.objects.filter(talk=OuterRef("pk"), person=actor))
        )

    def between(self, state, other_state):
        return self.filter(
            Q(state_a=state, state_b=other_state) | Q(state_a=other_state, state_b=state)
        )


class Talk(models.Model):
    """A bilateral exchange between the representatives of two states."""

    class Kind(models.TextChoices):
        PHONE_CALL = "phone_call", _("phone call")
        VIDEO_CALL = "video_call", _("video call")
        MEETING = "meeting", _("meeting")
        VISIT = "visit", _("visit")
        SUMMIT = "summit", _("summit")
        NEGOTIATION_ROUND = "negotiation_round", _("negotiation round")

    class DatePrecision(models.TextChoices):
        DAY = "day", _("day")
        MONTH = "month", _("month")
        YEAR = "year", _("year")

    class Cameo(models.TextChoices):
        # CAMEO event codes, so that records compare with GDELT, ICEWS, Phoenix.
        CONSULT = "040", _("040 consult")
        DISCUSS_BY_TELEPHONE = "041", _("041 discuss by telephone")
        MAKE_VISIT = "042", _("042 make a visit")
        HOST_VISIT = "043", _("043 host a visit")
        MEET_AT_THIRD_LOCATION = "044", _("044 meet at a third location")
        NEGOTIATE = "046", _("046 engage in negotiation")

    DEFAULT_CAMEO = {
        Kind.PHONE_CALL: Cameo.DISCUSS_BY_TELEPHONE,
        Kind.VIDEO_CALL: Cameo.DISCUSS_BY_TELEPHONE,
        Kind.MEETING: Cameo.CONSULT,
        Kind.VISIT: Cameo.MAKE_VISIT,
        Kind.SUMMIT: Cameo.CONSULT,
        Kind.NEGOTIATION_ROUND: Cameo.NEGOTIATE,
    }

    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    state_a = models.ForeignKey(
        Actor,
        verbose_name=_("state A"),
        on_delete=models.PROTECT,
        related_name="talks_as_a",
        limit_choices_to={"kind": Actor.Kind.STATE},
        help_text=_("The initiating or visiting side, where there is one."),
    )
    state_b = models.ForeignKey(
        Actor,
        verbose_name=_("state B"),
        on_delete=models.PROTECT,
        related_name="talks_as_b",
        limit_choices_to={"kind": Actor.Kind.STATE},
        help_text=_("The receiving or hosting side, where there is one."),
    )
    date = models.DateField(_("date"))
    date_precision = models.CharField(
        _("date precision"),
        max_length=8,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text=_("With month or year precision, the date is the first day of that period."),
    )
    place = models.ForeignKey(
        Actor,
        verbose_name=_("place"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="talks_held_here",
        limit_choices_to={"kind": Actor.Kind.PLACE},
    )
    cameo_code = models.CharField(
        _("CAMEO event code"),
        max_length=3,
        choices=Cameo.choices,
        blank=True,
        help_text=_("Filled from the kind when left blank."),
    )
    summary = models.TextField(_("summary"), blank=True, validators=[validate_balanced_bidi])
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=PublicationStatus.choices,
        default=PublicationStatus.DRAFT,
    )
    participants = models.ManyToManyField(
        Actor,
        through="TalkParticipant",
        through_fields=("talk", "person"),
        related_name="talks",
        verbose_name=_("participants"),
    )
    topics = models.ManyToManyField(
        "articles.Topic", through="TalkTopic", related_name="talks", verbose_name=_("topics")
    )
    articles = models.ManyToManyField(
        "articles.Article", through="TalkReport", related_name="talks", verbose_name=_("reports")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = TalkQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "slug"]
        verbose_name = _("talk")
        verbose_name_plural = _("talks")
        constraints = [
            models.CheckConstraint(condition=~Q(state_a=F("state_b")), name="talk_states_differ"),
            models.CheckConstraint(
                condition=Q(date_precision__in=["day", "month", "year"]),
                name="talk_date_precision_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["state_a", "state_b", "date"]),
            models.Index(fields=["status", "date"]),
        ]

    def __str__(self):
        return (
            f"{self.get_kind_display().capitalize()}, {self.state_a} – {self.state_b}, "
            f"{self.display_date}"
        )

    def save(self, *args, **kwargs):
        if not self.cameo_code and self.kind:
            self.cameo_code = self.DEFAULT_CAMEO[self.kind]
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("actors:talk", kwargs={"pk": self.pk})

    def get_kind_display(self):
        return choice_label(self.Kind, self.kind)

    def clean(self):
        if self.state_a_id and self.state_a_id == self.state_b_id:
            raise ValidationError(_("A talk is between two different states."))
        if self.date and self.date_precision != self.DatePrecision.DAY:
            day_one = self.date.replace(day=1)
            if self.date_precision == self.DatePrecision.YEAR:
                day_one = day_one.replace(month=1)
            if self.date != day_one:
                raise ValidationError(
                    {"date": _("With this precision the date is the first day of its period.")}
                )

    @property
    def display_date(self):
        if self.date_precision == self.DatePrecision.YEAR:
            return f"{self.date:%Y}"
        if self.date_precision == self.DatePrecision.MONTH:
            return f"{self.date:%Y-%m}"
        return self.date.isoformat()


class TalkParticipant(models.Model):
    talk = models.ForeignKey(Talk, on_delete=models.CASCADE, related_name="participations")
    person = models.ForeignKey(
        Actor,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="participations",
        limit_choices_to={"kind": Actor.Kind.PERSON},
    )
    represents = models.ForeignKey(
        Actor,
        verbose_name=_("represents"),
        on_delete=models.PROTECT,
        related_name="representations",
        limit_choices_to={"kind": Actor.Kind.STATE},
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["talk", "person"], name="participant_once_per_talk")
        ]

    def __str__(self):
        return f"{self.person} ({self.represents})"

    def clean(self):
        talk_states = {self.talk.state_a_id, self.talk.state_b_id} if self.talk_id else set()
        if self.represents_id and talk_states and self.represents_id not in talk_states:
            raise ValidationError(
                {"represents": _("A participant represents one of the talk's states.")}
            )


class TalkTopic(models.Model):
    """A topic of a talk, and which side's account mentioned it (blank: the press)."""

    talk = models.ForeignKey(Talk, on_delete=models.CASCADE, related_name="talk_topics")
    topic = models.ForeignKey("articles.Topic", verbose_name=_("topic"), on_delete=models.PROTECT)
    side = models.ForeignKey(
        Actor,
        verbose_name=_("mentioned by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": Actor.Kind.STATE},
        help_text=_("The state whose official account mentions this topic; blank if neither."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("talk topic")
        verbose_name_plural = _("talk topics")
        constraints = [
            models.UniqueConstraint(
                fields=["talk", "topic", "side"], name="talk_topic_once_per_side"
            ),
            models.UniqueConstraint(
                fields=["talk", "topic"],
                condition=Q(side__isnull=True),
                name="talk_topic_once_unattributed",
            ),
        ]

    def __str__(self):
        return f"{self.topic} ({self.side or _('unattributed')})"

    def clean(self):
        if (
            self.side_id
            and self.talk_id
            and self.side_id
            not in {
                self.talk.state_a_id,
                self.talk.state_b_id,
            }
        ):
            raise ValidationError({"side": _("The side is one of the talk's states.")})


class TalkReport(models.Model):
    """An article that reports a talk."""

    talk = models.ForeignKey(Talk, on_delete=models.CASCADE, related_name="reports")
    article = models.ForeignKey(
        "articles.Article",
        verbose_name=_("article"),
        on_delete=models.CASCADE,
        related_name="talk_reports",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(fields=["talk", "article"], name="report_once_per_talk")
        ]

    def __str__(self):
        return str(self.article)
