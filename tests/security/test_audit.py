"""Every change to a curated record is kept: who made it, when, what changed; it can be undone.

The curated models are declared once, in ``articles.permissions.CURATED_MODELS`` (they
make the Editors group). Each must be tracked by django-simple-history, and every model
the admin lets anyone edit in the project's apps must be one of them: a model added
without history, or edited in the admin without being declared, fails here.

Edits go through the admin's own change forms as a browser submits them: the page is
fetched, every field of its form read back from the HTML, one value changed, the form
posted.
"""

import datetime
from html import escape
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from simple_history.models import registered_models

from actors.models import Talk, TalkParticipant, TalkReport, TalkTopic
from articles.models import Article, PublicationStatus, TalkSuggestion
from articles.permissions import CURATED_MODELS
from articles.tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def module_client():
    # Each new client loads the middleware again, and WhiteNoise's then scans the static
    # files: a tenth of a second per client.
    return Client()


@pytest.fixture
def client(module_client):
    module_client.cookies.clear()
    return module_client


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The shared user fixtures hash a password each: 0.6 s apiece with the real hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


PROJECT_APPS = {"actors", "articles"}


class SubmittedForm(HTMLParser):
    """The fields a browser submits from the form ``form_id`` of a page, in order."""

    def __init__(self, html: str, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.fields: list[tuple[str, str]] = []
        self.found = False
        self._inside = False
        self._select = None
        self._textarea = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._inside = attrs.get("id") == self.form_id
            self.found = self.found or self._inside
        elif not self._inside:
            return
        elif tag == "option" and self._select is not None:
            self._select["options"].append(attrs["value"])
            if "selected" in attrs:
                self._select["selected"].append(attrs["value"])
        elif "name" not in attrs or "disabled" in attrs:
            return
        elif tag == "input":
            kind = attrs.get("type", "text")
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.fields.append((attrs["name"], attrs.get("value") or "on"))
                return
            self.fields.append((attrs["name"], attrs.get("value") or ""))
        elif tag == "select":
            self._select = {
                "name": attrs["name"],
                "multiple": "multiple" in attrs,
                "options": [],
                "selected": [],
            }
        elif tag == "textarea":
            self._textarea = (attrs["name"], [])

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False
        elif tag == "select" and self._select is not None:
            select, self._select = self._select, None
            chosen = select["selected"]
            if not select["multiple"]:
                # A single select submits its first option when none is marked selected.
                chosen = chosen[-1:] or select["options"][:1]
            self.fields.extend((select["name"], value) for value in chosen)
        elif tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            self._textarea = None
            # Browsers drop the newline that opens a textarea's content; Django writes one.
            self.fields.append((name, "".join(parts).removeprefix("\n")))


def submitted(response, model) -> dict[str, list[str]]:
    """What the admin's form for ``model`` on this page submits, as the test client's data."""
    assert response.status_code == 200
    form = SubmittedForm(response.content.decode(), f"{model._meta.model_name}_form")
    assert form.found, f"no {model._meta.model_name}_form on the page"
    data: dict[str, list[str]] = {}
    for name, value in form.fields:
        data.setdefault(name, []).append(value)
    return data


def admin_url(model, view, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def form_errors(response) -> str:
    if response.status_code != 200 or response.context is None:
        return f"HTTP {response.status_code}"
    errors = [response.context["adminform"].form.errors]
    errors += [formset.errors for formset in response.context.get("inline_admin_formsets", [])]
    return repr(errors)


def user_link(user) -> str:
    """How a history page names the user who made a change."""
    return f'<a href="{admin_url(get_user_model(), "change", user.pk)}">{user.get_username()}</a>'


def curated() -> set:
    return {apps.get_model(label) for label in CURATED_MODELS}


def edited_in_the_admin() -> set:
    """Every model of the project's apps that the admin edits, on its own page or inline."""
    models = set()
    for model, model_admin in admin.site._registry.items():
        models.add(model)
        models.update(inline.model for inline in model_admin.inlines)
    return {model for model in models if model._meta.app_label in PROJECT_APPS}


def test_history_tracks_exactly_the_curated_models():
    tracked = {model for model in registered_models.values() if not model._meta.auto_created}
    assert tracked == curated()
    assert all(hasattr(model, "history") for model in curated())


def test_every_model_the_admin_edits_is_curated():
    assert edited_in_the_admin() <= curated()


def test_a_model_registered_without_history_would_be_caught(monkeypatch):
    """The checks above compare real sets: an untracked model in the admin breaks them."""
    untracked = apps.get_model("articles", "SeedEntry")
    assert not hasattr(untracked, "history")
    monkeypatch.setitem(admin.site._registry, untracked, admin.ModelAdmin(untracked, admin.site))
    assert not edited_in_the_admin() <= curated()


# The field each model's own change form edits, and its new value; the sample record is one
# whose value differs.
EDITS = {
    "actors.Actor": ("description", "Quokka audit description"),
    "actors.Alias": ("name", "Quokka audit alias"),
    "actors.Role": ("title", "Quokka audit title"),
    "actors.Talk": ("summary", "Quokka audit summary"),
    "articles.Outlet": ("name", "Quokka audit outlet"),
    "articles.Topic": ("description", "Quokka audit description"),
    "articles.Article": ("title", "Quokka audit title"),
    "articles.ArticleActor": ("role", "author"),
    "articles.Quote": ("language", "en"),
    "articles.TalkSuggestion": ("status", "rejected"),
}
WITH_OWN_PAGE = sorted(label for label in CURATED_MODELS if label in EDITS)


def test_every_curated_model_with_an_admin_page_has_an_edit_here():
    registered = {model._meta.label for model in admin.site._registry}
    assert set(EDITS) == {label for label in CURATED_MODELS if label in registered}


@pytest.fixture
def talk_suggestion(db):
    """The seeds hold none: the linker makes them."""
    return TalkSuggestion.objects.create(
        article=seed_article(), talk=Talk.objects.order_by("pk").first(), evidence={}
    )


def seed_article():
    return Article.objects.order_by("pk").first()


def sample(model, field, value):
    record = model._default_manager.exclude(**{field: value}).order_by("pk").first()
    assert record is not None, f"no {model.__name__} to edit"
    return record


def edit_in_admin(client, model, record, changes: dict) -> None:
    url = admin_url(model, "change", record.pk)
    data = submitted(client.get(url), model)
    for name, value in changes.items():
        data[name] = [value]
    response = client.post(url, {**data, "_save": ["Save"]})
    assert response.status_code == 302, form_errors(response)


@pytest.mark.usefixtures("talk_suggestion")
@pytest.mark.parametrize("label", WITH_OWN_PAGE)
def test_an_admin_edit_is_recorded_listed_and_compared(editor_client, editor, label):
    model = apps.get_model(label)
    field, value = EDITS[label]
    record = sample(model, field, value)
    before = record.history.count()
    started = timezone.now()

    edit_in_admin(editor_client, model, record, {field: value})

    record.refresh_from_db()
    assert getattr(record, field) == value
    latest = record.history.first()
    assert record.history.count() == before + 1
    assert (latest.history_type, latest.history_user) == ("~", editor)
    assert started <= latest.history_date <= timezone.now()
    assert getattr(latest, field) == value

    verbose = capfirst(model._meta.get_field(field).verbose_name)
    history = editor_client.get(admin_url(model, "history", record.pk))
    assert history.status_code == 200
    row = history.content.decode().split(f'/history/{latest.history_id}/"', 1)[1]
    row = row.split("</tr>", 1)[0]
    assert user_link(editor) in row
    assert f"<strong>{escape(verbose)}:</strong>" in row
    assert f"&rarr; {escape(value)}</li>" in row

    compare = editor_client.get(admin_url(model, "history_compare", record.pk))
    assert compare.status_code == 200
    page = compare.content.decode()
    assert f'<th scope="row">{escape(verbose)}</th>' in page
    shown = dict(model._meta.get_field(field).flatchoices).get(value, value)
    assert f"<ins>{shown}</ins>" in page


# Models edited only inline: (the page's model, the inline's form prefix, the field, and how
# to pick the record and its new value).
def participant_change():
    participant = TalkParticipant.objects.select_related("talk").order_by("pk").first()
    talk = participant.talk
    other = talk.state_b_id if participant.represents_id == talk.state_a_id else talk.state_a_id
    return participant, "participations", "represents", other


def talk_topic_change():
    unattributed = TalkTopic.objects.filter(side__isnull=True).values("topic")
    talk_topic = (
        TalkTopic.objects.filter(side__isnull=False)
        .exclude(topic__in=unattributed)
        .order_by("pk")
        .first()
    )
    return talk_topic, "talk_topics", "side", ""


def report_change():
    report = TalkReport.objects.order_by("pk").first()
    return report, "reports", "article", make_article(title="Another report").pk


INLINE_ONLY = {
    "actors.TalkParticipant": participant_change,
    "actors.TalkTopic": talk_topic_change,
    "actors.TalkReport": report_change,
}


def test_every_curated_model_is_edited_here():
    assert set(EDITS) | set(INLINE_ONLY) == set(CURATED_MODELS)


@pytest.mark.parametrize("label", sorted(INLINE_ONLY))
def test_an_inline_edit_is_recorded_and_listed_on_the_parent_history(editor_client, editor, label):
    record, prefix, field, value = INLINE_ONLY[label]()
    model, talk = type(record), record.talk
    url = admin_url(Talk, "change", talk.pk)
    data = submitted(editor_client.get(url), Talk)
    [row] = [
        key.removesuffix("-id")
        for key, ids in data.items()
        if key.startswith(f"{prefix}-") and key.endswith("-id") and ids == [str(record.pk)]
    ]
    data[f"{row}-{field}"] = [str(value)]
    started = timezone.now()
    response = editor_client.post(url, {**data, "_save": ["Save"]})
    assert response.status_code == 302, form_errors(response)

    latest = record.history.first()
    assert (latest.history_type, latest.history_user) == ("~", editor)
    assert started <= latest.history_date <= timezone.now()
    assert str(getattr(latest, model._meta.get_field(field).attname) or "") == str(value)

    page = editor_client.get(admin_url(Talk, "history", talk.pk)).content.decode()
    section = page.split('id="inline-history"', 1)[1]
    verbose = capfirst(model._meta.get_field(field).verbose_name)
    entry = next(
        row
        for row in section.split("<tr>")[2:]
        if user_link(editor) in row and f"<strong>{escape(verbose)}:</strong>" in row
    )
    assert str(capfirst(model._meta.verbose_name)) in entry


@pytest.mark.usefixtures("talk_suggestion")
@pytest.mark.parametrize("label", WITH_OWN_PAGE)
def test_an_edit_is_reverted_from_the_admin_history(editor_client, editor, label):
    model = apps.get_model(label)
    field, value = EDITS[label]
    record = sample(model, field, value)
    original = getattr(record, field)
    edit_in_admin(editor_client, model, record, {field: value})
    earlier = record.history.all()[1]
    assert getattr(earlier, field) == original

    # The revert form is the change form filled with the earlier version; Revert posts it.
    url = admin_url(model, "simple_history", record.pk, earlier.history_id)
    page = editor_client.get(url)
    assert 'value="Revert"' in page.content.decode()
    data = submitted(page, model.history.model)
    assert data[field] == [str(original)]
    response = editor_client.post(url, {**data, "_save": ["Revert"]})
    assert response.status_code == 302, form_errors(response)

    record.refresh_from_db()
    assert getattr(record, field) == original
    revert = record.history.first()
    assert (revert.history_type, revert.history_user) == ("~", editor)
    assert getattr(revert, field) == original
    assert revert.history_change_reason.startswith("Restored the version of ")
    history = editor_client.get(admin_url(model, "history", record.pk)).content.decode()
    row = history.split(f'/history/{revert.history_id}/"', 1)[1].split("</tr>", 1)[0]
    assert user_link(editor) in row and "Restored the version of " in row


@pytest.fixture
def viewer(client):
    """Staff who may view actors but change nothing."""
    user = get_user_model().objects.create_user("viewer", is_staff=True)
    group = Group.objects.create(name="Viewers")
    group.permissions.add(Permission.objects.get(codename="view_actor"))
    user.groups.add(group)
    client.force_login(user)
    return client


def test_who_may_only_view_cannot_revert(viewer):
    from actors.models import Actor

    actor = Actor.objects.get(slug="oman")
    original = actor.description
    actor.description = "Changed since"
    actor.save()
    url = admin_url(Actor, "simple_history", actor.pk, actor.history.all()[1].history_id)
    page = viewer.get(url)
    assert page.status_code == 200
    assert 'value="Revert"' not in page.content.decode()
    data = submitted(page, Actor.history.model)
    assert viewer.post(url, {**data, "_save": ["Revert"]}).status_code == 403
    actor.refresh_from_db()
    assert actor.description == "Changed since" != original
    assert actor.history.first().history_user is None


def test_compare_two_chosen_versions_in_either_order(editor_client):
    article = seed_article()
    first = article.history.first()
    for title in ["Second title", "Third title"]:
        article.title = title
        article.save()
    third = article.history.first()
    url = admin_url(Article, "history_compare", article.pk)
    for params in [
        {"from": first.history_id, "to": third.history_id},
        {"from": third.history_id, "to": first.history_id},
    ]:
        page = editor_client.get(url, params).content.decode()
        assert "<ins>Third title</ins>" in page
        assert f"<del>{escape(first.title.split()[0])}" in page


def test_the_history_list_offers_the_comparison(editor_client):
    article = seed_article()
    article.title = "Second title"
    article.save()
    latest, earlier = article.history.all()[:2]
    page = editor_client.get(admin_url(Article, "history", article.pk)).content.decode()
    compare = admin_url(Article, "history_compare", article.pk)
    assert f'action="{compare}"' in page
    assert f'name="to" value="{latest.history_id}" checked' in page
    assert f'name="from" value="{earlier.history_id}" checked' in page
    assert f'href="{compare}?to={latest.history_id}"' in page
    assert " style=" not in page.split('id="change-history"', 1)[1]


def test_the_first_version_has_nothing_to_compare_with(editor_client):
    topic = apps.get_model("articles", "Topic").objects.order_by("pk").first()
    page = editor_client.get(admin_url(type(topic), "history_compare", topic.pk))
    assert page.status_code == 200
    assert "is the first: there is nothing earlier" in page.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "{history}abc/",
        "{compare}?to=abc",
        "{compare}?from=999999999",
        "/admin/articles/article/abc/history/",
        "/admin/articles/article/abc/history/compare/",
        "/admin/articles/article/abc/history/1/",
    ],
)
def test_a_malformed_or_unknown_version_is_404(editor_client, path):
    article = seed_article()
    history = admin_url(Article, "history", article.pk)
    url = path.format(history=history, compare=admin_url(Article, "history_compare", article.pk))
    assert editor_client.get(url).status_code == 404


def test_a_deleted_record_keeps_its_history_and_comparison(editor_client, editor):
    topic = apps.get_model("articles", "Topic").objects.create(name="Short-lived", slug="short")
    edit_in_admin(editor_client, type(topic), topic, {"description": "Before deletion"})
    response = editor_client.post(admin_url(type(topic), "delete", topic.pk), {"post": "yes"})
    assert response.status_code == 302
    deleted = topic.history.first()
    assert (deleted.history_type, deleted.history_user) == ("-", editor)
    assert editor_client.get(admin_url(type(topic), "history", topic.pk)).status_code == 200
    page = editor_client.get(
        admin_url(type(topic), "history_compare", topic.pk), {"to": topic.history.all()[1].pk}
    )
    assert "<ins>Before deletion</ins>" in page.content.decode()


def test_confirming_a_talk_suggestion_on_its_page_attaches_the_article(
    editor_client, editor, talk_suggestion
):
    article = make_article(title="Reports the talk", status=PublicationStatus.PUBLISHED)
    talk_suggestion.article = article
    talk_suggestion.save()
    started = timezone.now() - datetime.timedelta(seconds=1)
    edit_in_admin(editor_client, TalkSuggestion, talk_suggestion, {"status": "confirmed"})

    talk_suggestion.refresh_from_db()
    assert talk_suggestion.reviewed_by == editor and talk_suggestion.reviewed_at >= started
    assert TalkReport.objects.filter(talk=talk_suggestion.talk, article=article).exists()
    assert talk_suggestion.history.first().history_user == editor
