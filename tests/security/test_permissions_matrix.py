"""Who may reach what: every admin URL, every public page and every API method, for four visitors.

The visitors: anonymous; a member of Editors (``editor``); a staff user outside Editors
(``staff_without_group``); a superuser. Each cell asserts one exact status.

- Admin. The URLs are read from the admin site itself: every view of every registered
  model (``admin.site._registry``, auth's and axes' included, history, revert, compare
  and any custom view), and the site's own views. A newly registered model or view is in
  the matrix at once; a view whose expectation is not declared below fails. Anonymous
  visitors are sent to the login page. Staff outside Editors get what Django gives any
  staff account (the index, their own password change, the admin's JavaScript catalogue)
  and a 403 or 404 everywhere else. Editors get the curated models
  (``articles.permissions.CURATED_MODELS``) and a 403 on users, groups, permissions and
  the login-attempt records. Superusers get everything, except the add views that the
  admin disables (records the software writes).
- Public pages: the same answer for everyone. The list is checked against the URL
  resolver, so a new page cannot be left out.
- API: read-only for everyone, superusers included. GET, HEAD and OPTIONS answer 200;
  POST, PUT, PATCH and DELETE answer 405 and write nothing.
- Drafts. The public site shows published records only, to everyone: visitors,
  and editors or superusers browsing it while logged in. Drafts (and records in review) are
  seen and previewed in the admin only. So a draft's public URL and API URL are 404 for all,
  and no page, search, feed, sitemap, CSV or API answer changes when a draft exists: each
  page is compared with and without a draft article and a draft talk tied to published
  records every way the site can show them.

Cells marked ``xfail(strict=True)`` are behaviour this file asserts but the code does not
have yet (a change outside the files of this test's change): they turn into failures as
soon as the code is fixed, so that the mark is removed.
"""

import datetime
import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Max
from django.test import Client
from django.urls import get_resolver, reverse
from simple_history.admin import SimpleHistoryAdmin

from actors.models import Actor, Talk, TalkParticipant, TalkReport, TalkTopic
from articles.models import (
    Article,
    ArticleActor,
    Outlet,
    PublicationStatus,
    Quote,
    TalkSuggestion,
    Topic,
)
from articles.permissions import CURATED_MODELS, EDITORS_GROUP
from tests.security.test_audit import submitted

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "editor", "staff_without_group", "superuser"]

# Apps whose records no editor may reach, whatever CURATED_MODELS says.
NEVER_FOR_EDITORS = {"admin", "auth", "axes", "contenttypes", "sessions"}
# Add views the admin disables for everyone: the software writes these records.
NO_ADD = {
    "articles.TalkSuggestion",
    "axes.AccessAttempt",
    "axes.AccessLog",
    "axes.AccessFailureLog",
}

VIEW_ON_SITE_LEAK = pytest.mark.xfail(
    strict=True,
    reason="admin/r/<content type>/<id>/ redirects any staff account to a record's public "
    "URL, draft slugs included, without checking a permission on the model",
)
# Drafts are looked for as a visitor and as an editor: an editor holds the view permissions
# that a page could mistake for a right to show drafts; a superuser holds the same, and staff
# outside Editors hold none, like visitors.
DRAFT_ROLES = ["anonymous", "editor"]
# Public pages that show drafts to editors today.
SHOWS_DRAFTS_TO_EDITORS = {"articles:detail"}
DRAFT_PREVIEW = pytest.mark.xfail(
    strict=True,
    reason="the public pages show drafts to anyone who may view them in the admin "
    "(Article.objects.visible_to, Talk.objects.visible_to in the detail views)",
)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The shared user fixtures hash a password each: 0.6 s apiece with the real hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def module_clients():
    # Each new client loads the middleware again, and WhiteNoise's then scans the static
    # files: a tenth of a second per client, more than most cells take.
    return Client(), Client()


@pytest.fixture
def client(module_clients):
    client = module_clients[0]
    client.cookies.clear()
    return client


@pytest.fixture
def other_client(module_clients):
    """A second client, for the superuser who prepares a request or checks the admin."""
    client = module_clients[1]
    client.cookies.clear()
    return client


@pytest.fixture
def visit(client, request):
    """A client logged in as ``role`` (nobody for "anonymous")."""

    def as_role(role):
        if role != "anonymous":
            client.force_login(request.getfixturevalue(role))
        return client

    return as_role


def answer(response):
    """The status, or "login" for a redirect to the admin's login page that comes back here."""
    if response.status_code == 302:
        location = urlsplit(response["Location"])
        back_here = parse_qs(location.query).get("next") == [response.wsgi_request.get_full_path()]
        if location.path == reverse("admin:login") and back_here:
            return "login"
    return response.status_code


# --- The admin ------------------------------------------------------------------------------
# Model views: one test per visitor and model, every view of the model in one comparison
# ({view: answer}), so that a failure lists every wrong cell at once.

ADMIN_MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)
MODEL_VIEWS = {
    "changelist",
    "add",
    "change",
    "delete",
    "history",
    "simple_history",
    "history_compare",
    "password_change",
}


def model_views(model) -> dict[str, str]:
    """{view: URL name} of every named URL the model's admin serves."""
    prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
    patterns = admin.site._registry[model].get_urls()
    return {p.name.removeprefix(prefix): p.name for p in patterns if p.name}


def expected_model_status(role, model, view) -> int | str:
    assert view in MODEL_VIEWS, f"no expectation declared for {model._meta.label} {view}"
    if role == "anonymous":
        return "login"
    label = model._meta.label
    curated = label in CURATED_MODELS and model._meta.app_label not in NEVER_FOR_EDITORS
    if role == "superuser" or (role == "editor" and curated):
        return 403 if view == "add" and label in NO_ADD else 200
    return 403


def one_of(model, editor):
    """A record of ``model`` for the change, delete and history views."""
    if model is get_user_model():
        return editor  # for the editor, their own record
    if model is Group:
        return Group.objects.get(name=EDITORS_GROUP)
    where = {"user_agent": "test", "ip_address": "10.0.0.1", "username": "ed", "path_info": "/"}
    if model is AccessAttempt:
        return AccessAttempt.objects.create(**where, failures_since_start=1)
    if model in {AccessLog, AccessFailureLog}:
        return model.objects.create(**where)
    # Bare records: the seed article's and talk's pages, with all their inlines, take a
    # second each to render (articles/tests/test_admin.py renders them).
    if model is Article:
        return Article.objects.create(title="Matrix", body="Text.", language="en")
    if model is Talk:
        israel, iran = Actor.objects.get(slug="israel"), Actor.objects.get(slug="iran")
        return Talk.objects.create(
            slug="matrix",
            kind=Talk.Kind.MEETING,
            state_a=israel,
            state_b=iran,
            date=datetime.date(2025, 1, 1),
        )
    if model is TalkSuggestion:
        article, talk = Article.objects.order_by("pk").first(), Talk.objects.order_by("pk").first()
        return TalkSuggestion.objects.create(article=article, talk=talk)
    record = model._default_manager.order_by("pk").first()
    assert record is not None, f"make a {model.__name__} here: the seeds hold none"
    return record


def model_view_url(url_name, view, record) -> str:
    if view in {"changelist", "add"}:
        return reverse(f"admin:{url_name}")
    args = [record.pk]
    if view == "simple_history":
        args.append(record.history.first().history_id)
    return reverse(f"admin:{url_name}", args=args)


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda model: model._meta.label)
@pytest.mark.parametrize("role", ROLES)
def test_admin_model_views(visit, editor, role, model):
    client = visit(role)
    record = one_of(model, editor)
    views = model_views(model)
    got = {
        view: answer(client.get(model_view_url(name, view, record))) for view, name in views.items()
    }
    assert got == {view: expected_model_status(role, model, view) for view in views}


# The site's own views: one test per visitor and view.


@dataclass(frozen=True)
class SitePage:
    key: str  # what the test id shows
    url_name: str  # in the "admin" namespace; "" for a URL that matches none
    query: dict = field(default_factory=dict, compare=False, hash=False)
    app: str = ""  # of an app's index


AUTOCOMPLETES = {
    # (app, model, field) of a widget; the admin of the model it points to decides.
    "actor": ("articles", "articleactor", "actor"),
    "user": ("articles", "articleactor", "reviewed_by"),
    "group": ("auth", "user", "groups"),
    "permission": ("auth", "group", "permissions"),
}


def site_pages():
    for name in ["index", "login", "logout", "password_change", "password_change_done", "jsi18n"]:
        yield SitePage(name, name)
    for remote, (app, model, name) in AUTOCOMPLETES.items():
        query = {"app_label": app, "model_name": model, "field_name": name, "term": ""}
        yield SitePage(f"autocomplete/{remote}", "autocomplete", query=query)
    yield SitePage("view_on_site/draft article", "view_on_site")
    for app_label in sorted({model._meta.app_label for model in ADMIN_MODELS}):
        yield SitePage(f"app_list/{app_label}", "app_list", app=app_label)
    yield SitePage("catch_all", "")


SITE_PAGES = list(site_pages())


def expected_site_status(role, page) -> int | str:
    name = page.url_name
    if role == "anonymous":
        if name == "login":
            return 200
        return 302 if name == "logout" else "login"  # logout goes back to the index
    if name == "login":
        return 302  # a signed-in staff account goes on to the index
    if name == "logout":
        return 405  # only by POST
    if name in {"index", "password_change", "password_change_done", "jsi18n"}:
        return 200
    if name == "" or (name == "app_list" and role == "staff_without_group"):
        return 404
    if name == "app_list":
        curated_here = any(label.startswith(f"{page.app}.") for label in CURATED_MODELS)
        return 200 if role == "superuser" or curated_here else 404
    if name == "autocomplete":
        remote = page.key.split("/")[1]
        if remote == "permission":
            return 403  # permissions have no admin of their own, so no autocomplete
        if role == "superuser" or (role == "editor" and remote == "actor"):
            return 200
        return 403
    if name == "view_on_site":
        return 302 if role in {"editor", "superuser"} else 403
    raise AssertionError(f"no expectation declared for admin:{name}")


def site_cells():
    for page in SITE_PAGES:
        for role in ROLES:
            marks = []
            if page.url_name == "view_on_site" and role == "staff_without_group":
                marks.append(VIEW_ON_SITE_LEAK)
            yield pytest.param(role, page, marks=marks, id=f"{role}-{page.key}")


def draft_article():
    return Article.objects.create(
        title="Quokka draft", body="A quokka.", language="en", status=PublicationStatus.DRAFT
    )


def site_page_url(page) -> str:
    if page.url_name == "":
        return "/admin/no-such-page/"
    if page.url_name == "app_list":
        return reverse("admin:app_list", args=[page.app])
    if page.url_name == "view_on_site":
        content_type = ContentType.objects.get_for_model(Article)
        return reverse("admin:view_on_site", args=[content_type.pk, draft_article().pk])
    return reverse(f"admin:{page.url_name}")


@pytest.mark.parametrize(("role", "page"), list(site_cells()))
def test_admin_site_page(visit, role, page):
    response = visit(role).get(site_page_url(page), page.query)
    assert answer(response) == expected_site_status(role, page)


def admin_url_names() -> set[str]:
    """Every named URL the resolver routes in the admin namespace."""
    _prefix, resolver = get_resolver().namespace_dict["admin"]
    return {name for name in resolver.reverse_dict if isinstance(name, str)}


def test_the_admin_matrix_covers_every_admin_url():
    covered = {page.url_name for page in SITE_PAGES} - {""}
    for model in ADMIN_MODELS:
        covered.update(model_views(model).values())
    assert covered == admin_url_names()


def test_the_matrix_covers_the_auth_and_axes_models_and_every_history_view():
    assert {get_user_model(), Group, AccessAttempt, AccessLog, AccessFailureLog} <= set(
        ADMIN_MODELS
    )
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, SimpleHistoryAdmin):
            assert {"history", "simple_history", "history_compare"} <= set(model_views(model))


def test_no_model_editors_curate_lives_in_an_app_they_must_not_reach():
    assert not {label.split(".")[0] for label in CURATED_MODELS} & NEVER_FOR_EDITORS


# --- Escalation through the admin -----------------------------------------------------------


def auth_state():
    User = get_user_model()
    return {
        "users": sorted(
            User.objects.values_list("pk", "username", "password", "is_staff", "is_superuser")
        ),
        "memberships": sorted(User.groups.through.objects.values_list("user_id", "group_id")),
        "user permissions": sorted(
            User.user_permissions.through.objects.values_list("user_id", "permission_id")
        ),
        "groups": sorted(Group.objects.values_list("pk", "name")),
        "group permissions": sorted(
            Group.permissions.through.objects.values_list("group_id", "permission_id")
        ),
        "permissions": Permission.objects.count(),
        "attempts": sorted(AccessAttempt.objects.values_list("pk", flat=True)),
    }


def user_form(superuser_client, user):
    url = reverse("admin:auth_user_change", args=[user.pk])
    return url, submitted(superuser_client.get(url), get_user_model())


def make_superuser(target, superuser_client):
    url, data = user_form(superuser_client, target)
    data["is_superuser"] = ["on"]
    return url, data


def grant_permissions(target, superuser_client):
    url, data = user_form(superuser_client, target)
    data["user_permissions"] = [str(pk) for pk in Permission.objects.values_list("pk", flat=True)]
    return url, data


def join_editors_and_a_new_group(target, superuser_client):
    url, data = user_form(superuser_client, target)
    admins = Group.objects.create(name="Admins")
    admins.permissions.set(Permission.objects.all())
    data["groups"] = [str(Group.objects.get(name=EDITORS_GROUP).pk), str(admins.pk)]
    return url, data


def widen_editors(target, superuser_client):
    group = Group.objects.get(name=EDITORS_GROUP)
    url = reverse("admin:auth_group_change", args=[group.pk])
    data = submitted(superuser_client.get(url), Group)
    data["permissions"] = [
        *data.get("permissions", []),
        str(Permission.objects.get(codename="change_user").pk),
    ]
    return url, data


def add_a_user(target, superuser_client):
    url = reverse("admin:auth_user_add")
    data = submitted(superuser_client.get(url), get_user_model())
    data.update(username=["mole"], password1=["Mole-pass-9876"], password2=["Mole-pass-9876"])
    data["usable_password"] = ["true"]
    return url, data


def set_the_superusers_password(target, superuser_client):
    boss = get_user_model().objects.get(username="boss")
    url = reverse("admin:auth_user_password_change", args=[boss.pk])
    data = submitted(superuser_client.get(url), get_user_model())
    data.update(password1=["Taken-over-9876"], password2=["Taken-over-9876"])
    return url, data


def delete_the_superuser(target, superuser_client):
    boss = get_user_model().objects.get(username="boss")
    return reverse("admin:auth_user_changelist"), {
        "action": ["delete_selected"],
        "_selected_action": [str(boss.pk)],
        "post": ["yes"],
    }


def lift_a_lockout(target, superuser_client):
    attempt = AccessAttempt.objects.create(
        username="boss", ip_address="10.0.0.9", user_agent="x", path_info="/admin/login/",
        failures_since_start=5,
    )  # fmt: skip
    return reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": ["yes"]}


ESCALATIONS = [
    make_superuser,
    grant_permissions,
    join_editors_and_a_new_group,
    widen_editors,
    add_a_user,
    set_the_superusers_password,
    delete_the_superuser,
    lift_a_lockout,
]


@pytest.mark.parametrize("role", ["editor", "staff_without_group", "superuser"])
@pytest.mark.parametrize("attempt", ESCALATIONS, ids=lambda attempt: attempt.__name__)
def test_escalation_through_the_admin(client, other_client, request, role, attempt):
    """Each request is a valid form, built from the superuser's own page: only the
    permission check stands between it and the database. The superuser's cells show it:
    the same request does change the state."""
    boss = get_user_model().objects.create_superuser("boss", password="boss-pass-1")
    me = request.getfixturevalue(role)
    # Who the change is for: oneself, or for the superuser's cells somebody else.
    target = request.getfixturevalue("editor") if role == "superuser" else me
    other_client.force_login(boss)
    url, data = attempt(target, other_client)
    before = auth_state()

    client.force_login(me)
    response = client.post(url, data)

    if role == "superuser":
        assert response.status_code == 302, response.content.decode()[:2000]
        assert auth_state() != before
    else:
        assert response.status_code == 403
        assert auth_state() == before


# --- The public pages -----------------------------------------------------------------------


def seed_article():
    return Article.objects.published().order_by("pk").first()


def seed_talk():
    return Talk.objects.published().order_by("pk").first()


def seed_topic():
    return seed_talk().topics.order_by("pk").first()


# Every public URL: name -> (arguments, the status everyone gets).
PUBLIC = {
    "set_language": (lambda: [], 302),
    "sitemap": (lambda: [], 200),
    "robots": (lambda: [], 200),
    "articles:home": (lambda: [], 200),
    "articles:list": (lambda: [], 200),
    "articles:csv": (lambda: [], 200),
    "articles:feed-rss": (lambda: [], 200),
    "articles:feed-atom": (lambda: [], 200),
    "articles:detail-short": (lambda: [seed_article().pk], 301),
    "articles:detail": (lambda: [seed_article().pk, seed_article().slug], 200),
    "articles:changes": (lambda: [], 200),
    "articles:changes-feed": (lambda: [], 200),
    "articles:topics": (lambda: [], 200),
    "articles:topic": (lambda: [seed_topic().slug], 200),
    "actors:list": (lambda: [], 200),
    "actors:csv": (lambda: [], 200),
    "actors:detail": (lambda: ["israel"], 200),
    "actors:feed": (lambda: ["israel"], 200),
    "actors:talks": (lambda: [], 200),
    "actors:talks-csv": (lambda: [], 200),
    "actors:talks-cameo": (lambda: [], 200),
    "actors:talk": (lambda: [seed_talk().pk], 200),
    "actors:relation": (lambda: ["israel", "united-states"], 200),
}


def public_url_names() -> set[str]:
    """Every named URL outside the admin and the API, with its namespace."""
    names = set()

    def walk(resolver, namespace):
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                if pattern.namespace not in {"admin", "api"}:
                    walk(pattern, pattern.namespace or namespace)
            elif pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver(), "")
    return names


def test_the_public_list_is_every_public_url():
    assert set(PUBLIC) == public_url_names()


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def public_cells():
    for name in sorted(PUBLIC):
        for role in ROLES:
            marks = [DRAFT_PREVIEW] if name in SHOWS_DRAFTS_TO_EDITORS and role == "editor" else []
            yield pytest.param(role, name, marks=marks, id=f"{role}-{name}")


@pytest.mark.parametrize(("role", "name"), list(public_cells()))
def test_public_page(visit, role, name):
    """The same status for everyone; for a visitor and an editor, the same page once drafts
    exist (below)."""
    client = visit(role)
    args, status = PUBLIC[name]
    url = reverse(name, args=args())
    response = client.get(url)
    assert response.status_code == status
    if role in DRAFT_ROLES:
        assert_drafts_change_nothing(client, url, response)


# --- The API --------------------------------------------------------------------------------

API_MODELS = {"article": Article, "actor": Actor, "talk": Talk, "topic": Topic, "outlet": Outlet}
API_DETAIL = {
    "article": lambda: seed_article().pk,
    "actor": lambda: "israel",
    "talk": lambda: seed_talk().pk,
    "topic": lambda: seed_topic().slug,
    "outlet": lambda: Outlet.objects.order_by("pk").first().slug,
}
API_ROUTES = [
    "api-root",
    "schema",
    *(f"{name}-{kind}" for name in API_MODELS for kind in ["list", "detail"]),
]
METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
PAYLOAD = {"title": "Written", "name": "Written", "slug": "written", "summary": "Written"}


def test_the_api_routes_are_every_api_url():
    _prefix, resolver = get_resolver().namespace_dict["api"]
    assert set(API_ROUTES) == {name for name in resolver.reverse_dict if isinstance(name, str)}


def api_url(route) -> str:
    if route.endswith("-detail"):
        name = route.removesuffix("-detail")
        return reverse(f"api:{route}", args=[API_DETAIL[name]()])
    return reverse(f"api:{route}")


def api_state():
    """Rows and last change of every model the API shows or could write through."""
    curated = [Actor, Talk, TalkParticipant, TalkTopic, TalkReport, Article, ArticleActor, Quote]
    state = {model.__name__: model.objects.count() for model in [*curated, Topic, Outlet]}
    for name, model in API_MODELS.items():
        # Every save sets updated_at (auto_now): an update through the API would move it.
        state[f"{name} changed"] = model.objects.aggregate(Max("updated_at"))
    return state


@pytest.mark.parametrize("route", API_ROUTES)
@pytest.mark.parametrize("role", ROLES)
def test_api(visit, role, route):
    """Every method on the route, in one comparison ({method: status})."""
    client = visit(role)
    url = api_url(route)
    before = api_state()
    got = {
        method: client.generic(
            method,
            url,
            json.dumps(PAYLOAD) if method in WRITES else "",
            content_type="application/json",
            HTTP_ACCEPT="application/json",
        ).status_code
        for method in METHODS
    }
    assert got == {method: 405 if method in WRITES else 200 for method in METHODS}
    assert api_state() == before


# --- Drafts ---------------------------------------------------------------------------------


@dataclass
class Drafts:
    article: Article
    talk: Talk


def make_drafts() -> Drafts:
    """A draft article and a draft talk, tied to published records every way the site shows.

    The article mentions two states and a person (confirmed links), quotes a person, has
    a published topic and reports the published talk. The talk is between two states, has a
    participant and a topic, and a published article reports it.
    """
    israel, iran = Actor.objects.get(slug="israel"), Actor.objects.get(slug="iran")
    netanyahu = Actor.objects.get(slug="benjamin-netanyahu")
    article = Article.objects.create(
        title="Quokka draft article",
        body="Netanyahu said the quokka met Iran in Muscat.",
        language="en",
        status=PublicationStatus.DRAFT,
        published_on=seed_article().published_on,
    )
    article.topics.add(seed_topic())
    for actor in [israel, iran, netanyahu]:
        ArticleActor.objects.create(
            article=article, actor=actor, status=ArticleActor.Status.CONFIRMED
        )
    Quote.objects.create(article=article, speaker=netanyahu, text="quokka", language="en")
    TalkReport.objects.create(article=article, talk=seed_talk())
    talk = Talk.objects.create(
        slug="quokka-draft-talk",
        kind=Talk.Kind.MEETING,
        state_a=israel,
        state_b=iran,
        date=seed_talk().date,
        summary="Quokka draft talk",
        status=PublicationStatus.REVIEW,
    )
    TalkParticipant.objects.create(talk=talk, person=netanyahu, represents=israel)
    TalkTopic.objects.create(talk=talk, topic=seed_topic())
    TalkReport.objects.create(article=seed_article(), talk=talk)
    return Drafts(article, talk)


def keep_timestamps():
    """Put back the ``updated_at`` of the published records the drafts are tied to.

    A new report touches its talk and article, for ``modified_since``: that
    says nothing of the draft, and would hide what the comparison looks for.
    """
    records = [seed_article(), seed_talk()]

    def restore():
        for record in records:
            type(record).objects.filter(pk=record.pk).update(updated_at=record.updated_at)

    return restore


# Where a draft would show if it leaked, beyond the pages of PUBLIC (test_public_page):
# searches, filters, the pages of the records a draft is tied to, API lists and details.
DRAFT_PROBES = {
    "articles:list?q=quokka": lambda: reverse("articles:list") + "?q=quokka",
    "articles:list?actor=iran": lambda: reverse("articles:list") + "?actor=iran&actor=israel",
    "articles:list?topic": lambda: reverse("articles:list") + f"?topic={seed_topic().slug}",
    "articles:csv?q=quokka": lambda: reverse("articles:csv") + "?q=quokka",
    "articles:feed-rss?q=quokka": lambda: reverse("articles:feed-rss") + "?q=quokka",
    "actors:detail/iran": lambda: reverse("actors:detail", args=["iran"]),
    "actors:detail/netanyahu": lambda: reverse("actors:detail", args=["benjamin-netanyahu"]),
    "actors:feed/iran": lambda: reverse("actors:feed", args=["iran"]),
    "actors:talks?state": lambda: reverse("actors:talks") + "?state=israel&state=iran",
    "actors:relation/israel-iran": lambda: reverse("actors:relation", args=["israel", "iran"]),
    "api:article-list": lambda: reverse("api:article-list"),
    "api:article-list?q=quokka": lambda: reverse("api:article-list") + "?q=quokka",
    "api:article-detail": lambda: api_url("article-detail"),
    "api:talk-list": lambda: reverse("api:talk-list"),
    "api:talk-list?state": lambda: reverse("api:talk-list") + "?state=israel&state=iran",
    "api:talk-detail": lambda: api_url("talk-detail"),
    "api:actor-detail/iran": lambda: reverse("api:actor-detail", args=["iran"]),
    "api:topic-detail": lambda: api_url("topic-detail"),
}


def normalized(response) -> str:
    """The page, without what changes at every request."""
    text = body(response)
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)
    return re.sub(r"<lastBuildDate>[^<]*</lastBuildDate>", "", text)


def assert_drafts_change_nothing(client, url, without):
    restore = keep_timestamps()
    make_drafts()
    restore()
    with_drafts = client.get(url)
    assert with_drafts.status_code == without.status_code
    assert normalized(with_drafts) == normalized(without)


@pytest.mark.parametrize("name", sorted(DRAFT_PROBES))
@pytest.mark.parametrize("role", DRAFT_ROLES)
def test_a_draft_changes_no_public_answer(visit, role, name):
    client = visit(role)
    url = DRAFT_PROBES[name]()
    assert_drafts_change_nothing(client, url, client.get(url))


def draft_urls(drafts):
    article, talk = drafts.article, drafts.talk
    return {
        "articles:detail": reverse("articles:detail", args=[article.pk, article.slug]),
        "articles:detail-short": reverse("articles:detail-short", args=[article.pk]),
        "actors:talk": reverse("actors:talk", args=[talk.pk]),
        "api:article-detail": reverse("api:article-detail", args=[article.pk]),
        "api:talk-detail": reverse("api:talk-detail", args=[talk.pk]),
    }


def draft_url_cells():
    for name in ["articles:detail", "articles:detail-short", "actors:talk"]:
        for role in ROLES:
            marks = [DRAFT_PREVIEW] if role in {"editor", "superuser"} else []
            yield pytest.param(role, name, marks=marks, id=f"{role}-{name}")
    for name in ["api:article-detail", "api:talk-detail"]:
        for role in ROLES:
            yield pytest.param(role, name, id=f"{role}-{name}")


@pytest.mark.parametrize(("role", "name"), list(draft_url_cells()))
def test_a_draft_has_no_public_url(visit, role, name):
    drafts = make_drafts()
    assert visit(role).get(draft_urls(drafts)[name]).status_code == 404


def test_the_drafts_are_found_where_they_should_be(client):
    """The comparison above means something: the drafts exist, tied to the public records,
    and the admin (the one place they belong) lists them."""
    drafts = make_drafts()
    assert drafts.article in Article.objects.mentioning(Actor.objects.get(slug="iran"))
    assert drafts.article in seed_talk().articles.all()
    assert drafts.talk in seed_article().talks.all()
    client.force_login(get_user_model().objects.create_superuser("boss", password="boss-pass-1"))
    changelist = client.get(reverse("admin:articles_article_changelist"), {"q": "quokka"})
    assert "Quokka draft article" in changelist.content.decode()
