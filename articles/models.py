"""Articles, the outlets that publish them, their topics, quotes and actor links."""

import math
from dataclasses import dataclass

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from actors.models import Actor, PublicationStatus, choice_label

from .caching import cached
from .languages import LANGUAGE_CHOICES, validate_language_code
from .normalize import (
    canonical_url,
    content_hash,
    normalized_text,
    slug_for,
    validate_balanced_bidi,
    web_url,
)


class Outlet(models.Model):
    """A publisher of articles: a news outlet, an agency or an office issuing readouts."""

    class Kind(models.TextChoices):
        NEWS = "news", _("news outlet")
        AGENCY = "agency", _("news agency")
        GOVERNMENT = "government", _("government office")
        OTHER = "other", _("other")

    name = models.CharField(_("name"), max_length=200, validators=[validate_balanced_bidi])
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.NEWS)
    home_url = models.URLField(_("home page"), max_length=500, blank=True)
    feed_url = models.URLField(_("feed URL"), max_length=500, blank=True)
    country = models.ForeignKey(
        Actor,
        verbose_name=_("country"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outlets_based_here",
        limit_choices_to={"kind": Actor.Kind.STATE},
    )
    languages = models.CharField(
        _("languages"),
        max_length=100,
        blank=True,
        help_text=_("ISO 639-1 codes separated by spaces, for example: fr en."),
    )
    actor = models.ForeignKey(
        Actor,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outlets",
        help_text=_("The actor this outlet is, such as the office that issues readouts."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("outlet")
        verbose_name_plural = _("outlets")

    def __str__(self):
        return self.name

    @property
    def language_list(self):
        return self.languages.split()

    @property
    def home_link(self):
        """The home page when it is safe to link to (http or https), else an empty string."""
        return web_url(self.home_url)

    def clean(self):
        for code in self.language_list:
            validate_language_code(code)
        self.languages = " ".join(dict.fromkeys(self.language_list))


class Topic(models.Model):
    name = models.CharField(
        _("name"), max_length=200, unique=True, validators=[validate_balanced_bidi]
    )
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    description = models.TextField(
        _("description"), blank=True, validators=[validate_balanced_bidi]
    )
    created_at = models.DateTimeField(auto_now_add=True, null=True)
    updated_at = models.DateTimeField(auto_now=True, null=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:topic", kwargs={"slug": self.slug})


class ArticleHistory(HistoricalRecords):
    """The history of articles, with their topics.

    A row just created has no topics yet (they point at it): copying them into its first
    history record found none, in two queries, a fifth of an import's time.
    """

    def create_historical_record_m2ms(self, history_instance, instance):
        if history_instance.history_type != "+":
            super().create_historical_record_m2ms(history_instance, instance)


class ArticleQuerySet(models.QuerySet):
    def published(self):
        """The articles the public may see."""
        return self.filter(status=PublicationStatus.PUBLISHED)

    def visible_to(self, user):
        """All articles for those who may view them in the admin, else the published ones."""
        if user.has_perm("articles.view_article"):
            return self
        return self.published()

    def languages(self) -> list[str]:
        """The codes of the languages these articles are in."""
        return list(self.order_by().values_list("language", flat=True).distinct())

    def mentioning(self, actor):
        """Articles with a confirmed link to ``actor``."""
        return self.filter(
            Exists(
                ArticleActor.objects.filter(
                    article=OuterRef("pk"), actor=actor, status=ArticleActor.Status.CONFIRMED
                )
            )
        )


class ArticleManager(models.Manager.from_queryset(ArticleQuerySet)):
    def get_queryset(self):
        # The search vector is for the database's eyes only: never fetch it.
        return super().get_queryset().defer("search_vector")


class Article(models.Model):
    class Kind(models.TextChoices):
        REPORT = "report", _("news report")
        READOUT = "readout", _("official readout")
        STATEMENT = "statement", _("statement")
        ANALYSIS = "analysis", _("analysis")
        OPINION = "opinion", _("opinion")

    Status = PublicationStatus

    title = models.CharField(_("title"), max_length=500, validators=[validate_balanced_bidi])
    slug = models.SlugField(_("slug"), max_length=100, allow_unicode=True, blank=True)
    body = models.TextField(
        _("body"),
        help_text=_("Plain text; paragraphs separated by a blank line."),
        validators=[validate_balanced_bidi],
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.REPORT)
    source_url = models.URLField(_("source URL"), max_length=2000, blank=True)
    canonical_url = models.CharField(
        _("canonical URL"),
        max_length=2000,
        blank=True,
        editable=False,
        help_text=_("The source URL in the form used to recognise duplicates."),
    )
    outlet = models.ForeignKey(
        Outlet,
        verbose_name=_("outlet or issuing office"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="articles",
    )
    byline = models.CharField(
        _("byline"), max_length=300, blank=True, validators=[validate_balanced_bidi]
    )
    published_on = models.DateField(_("publication date"), null=True, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=LANGUAGE_CHOICES, validators=[validate_language_code]
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=PublicationStatus.choices,
        default=PublicationStatus.DRAFT,
    )
    content_hash = models.CharField(_("content hash"), max_length=64, editable=False, db_index=True)
    # Kept current by a PostgreSQL trigger (migration 0002); always empty on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)
    topics = models.ManyToManyField(
        Topic, blank=True, related_name="articles", verbose_name=_("topics")
    )
    actors = models.ManyToManyField(
        Actor, through="ArticleActor", related_name="articles", verbose_name=_("actors")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = ArticleHistory(m2m_fields=[topics], excluded_fields=["search_vector"])
    objects = ArticleManager()

    class Meta:
        ordering = ["-published_on", "-id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        constraints = [
            models.UniqueConstraint(
                fields=["canonical_url"],
                condition=~Q(canonical_url=""),
                name="article_unique_canonical_url",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "review", "published"]),
                name="article_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-published_on"], name="article_status_date"),
            # The public order of every list, walked newest first and stopped at the page.
            models.Index(
                fields=["-published_on", "-id"],
                condition=Q(status="published"),
                name="article_published_order",
            ),
            # The same order over every status, for the admin's changelist: a search for a
            # common word walks it and stops at the page instead of sorting every match.
            models.Index(fields=["-published_on", "-id"], name="article_date_order"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.derive_fields()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "canonical_url", "content_hash", "slug"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("articles:detail", kwargs={"pk": self.pk, "slug": self.slug})

    def get_kind_display(self):
        return choice_label(self.Kind, self.kind)

    def derive_fields(self):
        """Set the fields computed from others: the keys that find duplicates, the slug."""
        self.canonical_url = canonical_url(self.source_url)
        self.content_hash = content_hash(self.title, self.body)
        if not self.slug:
            self.slug = slug_for(self.title)

    def clean(self):
        self.canonical_url = canonical_url(self.source_url)
        if self.canonical_url:
            duplicate = (
                Article.objects.filter(canonical_url=self.canonical_url).exclude(pk=self.pk).first()
            )
            if duplicate:
                raise ValidationError(
                    {
                        "source_url": _("Article %(id)s already has this source URL.")
                        % {"id": duplicate.pk}
                    }
                )

    def entity_groups(self):
        """The confirmed actors by kind: [(kind label, [(actor, roles, links)])]."""
        links = list(self.actor_links.confirmed().select_related("actor").order_by("actor__name"))
        by_actor = {}
        for link in links:
            by_actor.setdefault(link.actor, []).append(link)
        return [
            (
                label,
                [
                    (actor, [link.get_role_display() for link in actor_links], actor_links)
                    for actor, actor_links in by_actor.items()
                    if actor.kind == kind
                ],
            )
            for kind, label in Actor.KIND_PLURALS.items()
            if any(actor.kind == kind for actor in by_actor)
        ]

    def related(self):
        """Published articles that report the same talks or share telling actors, best first.

        First those reporting one of the same talks; then those sharing the rarest actors,
        each shared actor weighing its rarity (``ActorFrequencies.weight``: states and
        actors in a large share of the archive weigh nothing); then the newest. Only a
        bounded set of candidates is ranked, so the cost does not grow with the archive:
        the articles reporting the same talks, and the latest ``RELATED_PER_ACTOR``
        articles of each of this article's ``RELATED_CANDIDATE_ACTORS`` rarest actors.
        """
        from actors.models import TalkReport

        actor_ids = set(
            self.actor_links.confirmed()
            .exclude(actor__kind=Actor.Kind.STATE)
            .values_list("actor_id", flat=True)
        )
        weights = ActorFrequencies.current().telling_weights(actor_ids)
        rarest = list(weights)[:RELATED_RANKING_ACTORS]
        my_talks = TalkReport.objects.filter(article=self).values("talk_id")
        candidates = TalkReport.objects.filter(talk__in=my_talks).values("article_id")
        for actor_id in rarest[:RELATED_CANDIDATE_ACTORS]:
            candidates = candidates.union(
                ArticleActor.objects.latest_articles_of(actor_id, RELATED_PER_ACTOR), all=True
            )
        same_talk = Exists(TalkReport.objects.filter(article=OuterRef("pk"), talk__in=my_talks))
        # Summed per candidate from its own links (a few index entries each): an actor
        # linked in two roles counts twice, as both roles tie the articles together.
        link_weight = Case(
            *(When(actor_id=actor_id, then=Value(weights[actor_id])) for actor_id in rarest),
            default=Value(0.0),
        )
        shared_weight = Subquery(
            ArticleActor.objects.confirmed()
            .filter(article=OuterRef("pk"), actor_id__in=rarest)
            .order_by()
            .values("article")
            .annotate(weight=Sum(link_weight))
            .values("weight")
        )
        return (
            Article.objects.published()
            .filter(pk__in=candidates)
            .exclude(pk=self.pk)
            .annotate(same_talk=same_talk, shared_weight=Coalesce(shared_weight, 0.0))
            .select_related("outlet")
            .order_by(
                "-same_talk", "-shared_weight", F("published_on").desc(nulls_last=True), "-pk"
            )
        )

    @property
    def source_link(self):
        """The source URL when it is safe to link to (http or https), else an empty string."""
        return web_url(self.source_url)

    @property
    def is_public(self):
        return self.status == PublicationStatus.PUBLISHED


class ArticleActorQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(status=ArticleActor.Status.CONFIRMED)

    def latest_articles_of(self, actor_id: int, limit: int):
        """The ids (``article_id`` values) of the ``limit`` latest-archived articles with a
        confirmed link to the actor, read backwards from the index on (actor, article)."""
        latest = self.confirmed().filter(actor_id=actor_id).order_by("-article_id")[:limit]
        # SQLite refuses LIMIT in a branch of a UNION, which is where ``related`` puts
        # this: the limited links are picked in a subquery instead.
        return self.filter(pk__in=latest.values("pk")).order_by().values("article_id")

    def count_by_actor(self) -> dict[int, int]:
        """{actor id: number of links}."""
        return dict(
            self.order_by()
            .values("actor_id")
            .annotate(links=Count("*"))
            .values_list("actor_id", "links")
        )


class ArticleActor(models.Model):
    """An actor an article is about, quotes, mentions, is written by, or cites."""

    class Role(models.TextChoices):
        SUBJECT = "subject", _("subject")
        QUOTED = "quoted", _("quoted")
        MENTIONED = "mentioned", _("mentioned")
        AUTHOR = "author", _("author")
        CITED_OUTLET = "cited_outlet", _("cited outlet")

    class Status(models.TextChoices):
        SUGGESTED = "suggested", _("suggested")
        CONFIRMED = "confirmed", _("confirmed")
        REJECTED = "rejected", _("rejected")

    class Origin(models.TextChoices):
        EDITOR = "editor", _("added by an editor")
        LINKER = "linker", _("suggested by the linker")
        SEED = "seed", _("curated seed data")

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="actor_links")
    actor = models.ForeignKey(
        Actor, verbose_name=_("actor"), on_delete=models.PROTECT, related_name="article_links"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MENTIONED)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.CONFIRMED
    )
    origin = models.CharField(
        _("origin"), max_length=16, choices=Origin.choices, default=Origin.EDITOR, editable=False
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True, editable=False)
    evidence = models.JSONField(
        _("evidence"),
        default=list,
        blank=True,
        editable=False,
        help_text=_("Where the linker found the actor: field, offsets, words, method, sentence."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()
    objects = ArticleActorQuerySet.as_manager()

    class Meta:
        ordering = ["article", "actor__name"]
        verbose_name = _("actor link")
        verbose_name_plural = _("actor links")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "actor", "role"], name="article_actor_role_once"
            ),
        ]
        indexes = [
            models.Index(fields=["actor", "status"]),
            # An actor's confirmed articles, from the index alone: filters, facets, related.
            models.Index(
                fields=["actor", "article"],
                condition=Q(status="confirmed"),
                name="link_confirmed_actor_article",
            ),
        ]

    def __str__(self):
        return f"{self.actor} – {self.get_role_display()} ({self.get_status_display()})"

    def get_role_display(self):
        return choice_label(self.Role, self.role)

    def review(self, status: str, user) -> None:
        """Record an editor's decision on this link."""
        self.status = status
        self.reviewed_by = user
        self.reviewed_at = timezone.now()


# Related articles (``Article.related``): which actors rank them and propose candidates.
#: An actor confirmed in more than this share of the articles says little about any of them.
COMMON_ACTOR_SHARE = 0.05
#: ... unless it is in fewer articles than this: in a small archive every actor is frequent.
COMMON_ACTOR_MIN_ARTICLES = 200
#: How many of an article's rarest actors weigh in its ranking,
RELATED_RANKING_ACTORS = 8
#: how many of those propose candidates, and how many candidates each proposes.
RELATED_CANDIDATE_ACTORS = 4
RELATED_PER_ACTOR = 60
#: How long actor frequencies stay cached at most while the archive does not change.
FREQUENCIES_SECONDS = 6 * 60 * 60


@dataclass(frozen=True)
class ActorFrequencies:
    """How many articles each actor is confirmed in (its document frequency), out of all."""

    articles: int
    by_actor: dict[int, int]

    @classmethod
    def current(cls) -> "ActorFrequencies":
        """The frequencies of the archive as it is, counted once per archive version."""
        # A count reads every confirmed link: kept for as long as the archive is unchanged.
        return cached(
            "actor-frequencies", (), cls.count, timeout=FREQUENCIES_SECONDS, stale_ok=True
        )

    @classmethod
    def count(cls) -> "ActorFrequencies":
        # Links rather than distinct articles: an index-only scan, and an actor rarely
        # holds two roles in one article.
        return cls(
            articles=Article.objects.count(),
            by_actor=ArticleActor.objects.confirmed().count_by_actor(),
        )

    def is_common(self, actor_id: int) -> bool:
        frequency = self.by_actor.get(actor_id, 0)
        return frequency > max(COMMON_ACTOR_SHARE * self.articles, COMMON_ACTOR_MIN_ARTICLES)

    def weight(self, actor_id: int) -> float:
        """The actor's inverse document frequency: the rarer, the heavier; at least 1."""
        return math.log((1 + self.articles) / (1 + self.by_actor.get(actor_id, 0))) + 1

    def telling_weights(self, actor_ids) -> dict[int, float]:
        """{actor: weight} for the actors of ``actor_ids`` that are not common, rarest first."""
        telling = [actor_id for actor_id in actor_ids if not self.is_common(actor_id)]
        ranked = sorted(telling, key=lambda actor_id: (self.by_actor.get(actor_id, 0), actor_id))
        return {actor_id: self.weight(actor_id) for actor_id in ranked}


class TalkSuggestion(models.Model):
    """A talk the linker believes an article reports, waiting for an editor's decision.

    Confirming it attaches the article to the talk (a ``TalkReport``); a talk the
    linker had to create stays a draft until an editor publishes it.
    """

    Status = ArticleActor.Status

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="talk_suggestions")
    talk = models.ForeignKey(
        "actors.Talk", verbose_name=_("talk"), on_delete=models.CASCADE, related_name="suggestions"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ArticleActor.Status.choices, default=Status.SUGGESTED
    )
    talk_was_created = models.BooleanField(
        _("new talk"), default=False, help_text=_("The linker created the talk for this article.")
    )
    evidence = models.JSONField(_("evidence"), default=dict, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("talk suggestion")
        verbose_name_plural = _("talk suggestions")
        constraints = [
            models.UniqueConstraint(fields=["article", "talk"], name="talk_suggestion_once")
        ]

    def __str__(self):
        return f"{self.talk} ← {self.article} ({self.get_status_display()})"


class Quote(models.Model):
    """Words an actor said, as an article renders them."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="quotes")
    speaker = models.ForeignKey(
        Actor, verbose_name=_("speaker"), on_delete=models.PROTECT, related_name="quotes"
    )
    talk = models.ForeignKey(
        "actors.Talk",
        verbose_name=_("talk"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quotes",
    )
    text = models.TextField(_("exact words"), validators=[validate_balanced_bidi])
    language = models.CharField(
        _("language"), max_length=2, choices=LANGUAGE_CHOICES, validators=[validate_language_code]
    )
    translated = models.BooleanField(
        _("translated"),
        default=False,
        help_text=_("The article renders the words in another language than the speaker's."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["article", "id"]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")

    def __str__(self):
        text = self.text if len(self.text) <= 60 else self.text[:59] + "…"
        return f"{self.speaker}: « {text} »"

    def clean(self):
        if self.article_id and self.text:
            words = normalized_text(self.text)
            article = self.article
            if words not in normalized_text(article.body) and words not in normalized_text(
                article.title
            ):
                raise ValidationError({"text": _("The exact words must appear in the article.")})


class SeedEntry(models.Model):
    """Which form of each curated seed entry was last applied to the database.

    ``load_seeds`` applies an entry again only when its text in ``seeds/`` changed,
    so running it at every start never undoes an editor's work.
    """

    key = models.CharField(max_length=300, unique=True)
    digest = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("seed entry")
        verbose_name_plural = _("seed entries")

    def __str__(self):
        return self.key
