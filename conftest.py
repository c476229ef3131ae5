"""Fixtures shared by every app's tests."""

import pytest
from django.contrib.auth import get_user_model

from articles.caching import clear_cache
from articles.permissions import ensure_editors_group
from articles.seeds import load_seeds


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the curated seeds once into the test database; each test rolls back on top."""
    with django_db_blocker.unblock():
        load_seeds()


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: the database it cached from was rolled back."""
    clear_cache()


@pytest.fixture(autouse=True)
def pages_computed(settings):
    """Pages are computed for each request, as the tests of their content and queries
    expect; articles/tests/test_page_cache.py turns the whole-page cache back on."""
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    # And figures are counted again after every change: articles/tests/test_caching.py
    # turns the window of stale figures back on where it is tested.
    settings.ARCHIVE_FIGURES_STALE_SECONDS = 0


@pytest.fixture
def editor(db):
    user = get_user_model().objects.create_user("ed", password="editor-pass-1", is_staff=True)
    user.groups.add(ensure_editors_group())
    return user


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def staff_without_group(db):
    return get_user_model().objects.create_user("staffer", password="x-pass-1", is_staff=True)


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", password="root-pass-1")
