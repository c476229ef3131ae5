"""Five wrong passwords for one username from one address lock that pair out of the admin.

django-axes keeps the attempts in the database (its database handler), so each test's
rollback clears them; the autouse fixture checks that nothing is left from another test.
The address is REMOTE_ADDR: a header a client sets cannot move it.
"""

import base64
import datetime
import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
HERE, ELSEWHERE = "203.0.113.7", "198.51.100.20"
EDITOR_PASSWORD = "editor-pass-1"  # the ``editor`` fixture's


@pytest.fixture(autouse=True)
def clean_axes_state(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Attempts held in a cache would outlive the rollback and need clearing here.
    assert settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"
    assert not AccessAttempt.objects.exists()


@pytest.fixture(scope="module")
def module_client():
    # Each new client loads the middleware again, and WhiteNoise's then scans the static
    # files: a tenth of a second per client.
    return Client()


@pytest.fixture
def client(module_client):
    module_client.cookies.clear()
    return module_client


@pytest.fixture
def sign_in(client):
    """Post the admin's login form from ``address``, each time as a new browser would."""

    def post(username, password, address=HERE, **headers):
        client.cookies.clear()
        data = {"username": username, "password": password, "next": "/admin/"}
        return client.post(LOGIN, data, REMOTE_ADDR=address, **headers)

    return post


def signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def lock_out(sign_in, username="ed"):
    """The five wrong passwords; the fifth already answers with the lockout."""
    answers = [sign_in(username, f"wrong-{n}") for n in range(settings.AXES_FAILURE_LIMIT)]
    assert [a.status_code for a in answers] == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    return answers


def without_csrf_token(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def assert_locked_out(response):
    assert response.status_code == 429
    page = response.content.decode()
    assert "Sign-in locked" in page
    assert f"After {settings.AXES_FAILURE_LIMIT} wrong passwords" in page
    assert 'name="password"' not in page
    assert "_auth_user_id" not in response.wsgi_request.session


def test_five_wrong_passwords_lock_the_sixth_attempt_even_with_the_right_one(editor, sign_in):
    first, *_, fifth = lock_out(sign_in)
    assert "Please enter the correct username and password" in first.content.decode()
    assert_locked_out(fifth)

    right = sign_in("ed", EDITOR_PASSWORD)
    wrong = sign_in("ed", "wrong-again")
    assert_locked_out(right)
    assert_locked_out(wrong)
    # The answer says nothing of whether the password was right.
    assert without_csrf_token(right) == without_csrf_token(wrong)
    attempt = AccessAttempt.objects.get(username="ed", ip_address=HERE)
    assert attempt.failures_since_start >= settings.AXES_FAILURE_LIMIT


def test_another_username_from_the_same_address_is_not_locked(editor, staff_without_group, sign_in):
    lock_out(sign_in)
    assert signed_in(sign_in("staffer", "x-pass-1", HERE))


def test_the_locked_username_from_another_address_is_not_locked(editor, sign_in):
    lock_out(sign_in)
    assert signed_in(sign_in("ed", EDITOR_PASSWORD, ELSEWHERE))


def test_a_forwarded_for_header_does_not_change_the_address(editor, sign_in):
    lock_out(sign_in)
    for header in ["HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED"]:
        assert_locked_out(sign_in("ed", EDITOR_PASSWORD, HERE, **{header: ELSEWHERE}))


def test_a_successful_sign_in_before_the_limit_resets_the_count(editor, sign_in):
    below = settings.AXES_FAILURE_LIMIT - 1
    for _round in range(2):
        answers = [sign_in("ed", f"wrong-{n}") for n in range(below)]
        assert [a.status_code for a in answers] == [200] * below
        assert signed_in(sign_in("ed", EDITOR_PASSWORD))
        assert not AccessAttempt.objects.filter(username="ed").exists()
    # Without the reset, the 2 × 4 failures above would have locked the pair.
    assert signed_in(sign_in("ed", EDITOR_PASSWORD))


def test_a_superuser_unlocks_from_the_admin(client, editor, superuser, sign_in):
    lock_out(sign_in)
    attempt = AccessAttempt.objects.get(username="ed", ip_address=HERE)
    admin = client
    admin.force_login(superuser)

    listing = admin.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200
    page = listing.content.decode()
    assert reverse("admin:axes_accessattempt_change", args=[attempt.pk]) in page
    assert HERE in page and "Locked Out" in page
    delete_url = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert admin.get(delete_url).status_code == 200
    assert admin.post(delete_url, {"post": "yes"}).status_code == 302

    assert not AccessAttempt.objects.exists()
    assert signed_in(sign_in("ed", EDITOR_PASSWORD))


def test_an_editor_cannot_unlock(client, editor, sign_in):
    lock_out(sign_in, "staffer")
    attempt = AccessAttempt.objects.get(username="staffer")
    delete_url = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    client.force_login(editor)
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()


def test_the_lock_lifts_after_the_cool_off(editor, sign_in):
    lock_out(sign_in)
    cool_off = datetime.timedelta(hours=settings.AXES_COOLOFF_TIME)
    attempt = AccessAttempt.objects.get(username="ed")
    attempt.attempt_time -= cool_off + datetime.timedelta(minutes=1)
    attempt.save(update_fields=["attempt_time"])
    assert signed_in(sign_in("ed", EDITOR_PASSWORD))


def test_the_login_page_still_renders_for_a_locked_out_user(client, editor, sign_in):
    lock_out(sign_in)
    for url in [LOGIN, f"{LOGIN}?next=/admin/articles/article/"]:
        response = client.get(url, REMOTE_ADDR=HERE)
        assert response.status_code == 200
        assert 'name="password"' in response.content.decode()


@pytest.mark.parametrize("route", ["api:api-root", "api:schema", "api:article-list"])
def test_no_other_door_tells_a_locked_out_pair_whether_a_password_is_right(
    client, editor, route, sign_in
):
    """The API never signs anyone in; where DRF still reads HTTP Basic credentials (the
    schema view), the lock holds: the right and a wrong password get the same answer."""
    lock_out(sign_in)
    answers = {
        password: client.get(
            reverse(route),
            REMOTE_ADDR=HERE,
            HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"ed:{password}".encode()).decode(),
        )
        for password in [EDITOR_PASSWORD, "wrong-password"]
    }
    right, wrong = answers.values()
    assert (right.status_code, right.content) == (wrong.status_code, wrong.content)
