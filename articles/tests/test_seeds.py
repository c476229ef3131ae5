import io
import shutil

import pytest
import yaml
from django.apps import apps
from django.core.management import CommandError, call_command

from actors.models import Actor, Alias, Role, Talk, TalkParticipant, TalkReport, TalkTopic
from actors.seeds import SeedError
from articles.models import Article, ArticleActor, Outlet, Quote, SeedEntry, Topic
from articles.seeds import SEEDS_DIR, load_seeds

pytestmark = pytest.mark.django_db

CURATED = [
    Actor, Alias, Role, Talk, TalkParticipant, TalkTopic, TalkReport,
    Outlet, Topic, Article, ArticleActor, Quote,
]  # fmt: skip


def row_counts():
    return {model.__name__: model.objects.count() for model in CURATED}


def history_counts():
    return {model.__name__: model.history.count() for model in CURATED}


def empty_archive():
    for model in [Quote, ArticleActor, TalkReport, TalkTopic, TalkParticipant, Talk, Article]:
        model.objects.all().delete()
    Outlet.objects.all().delete()
    Topic.objects.all().delete()
    Role.objects.all().delete()
    Alias.objects.all().delete()
    Actor.objects.exclude(kind=Actor.Kind.STATE).delete()
    Actor.objects.all().delete()
    SeedEntry.objects.all().delete()


@pytest.fixture
def seed_copy(tmp_path):
    directory = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, directory)
    return directory


def test_curated_base_is_broad():
    assert Actor.objects.count() >= 80
    assert Actor.objects.persons().count() >= 60
    for kind in Actor.Kind.values:
        assert Actor.objects.filter(kind=kind).exists(), kind
    assert Role.objects.count() >= 60


def test_loading_into_an_empty_database_then_again_changes_nothing():
    empty_archive()
    assert row_counts() == dict.fromkeys(row_counts(), 0)

    load_seeds()
    first = row_counts()
    first_history = history_counts()
    assert all(count > 0 for count in first.values()), first

    ledger = load_seeds()
    assert row_counts() == first
    assert history_counts() == first_history
    assert not any(label.endswith(("created", "updated")) for label in ledger.counts)

    load_seeds(force=True)
    assert row_counts() == first
    assert history_counts() == first_history


def test_edited_entry_updates_rows_instead_of_duplicating(seed_copy):
    before = row_counts()
    people = seed_copy / "actors" / "people.yaml"
    entries = yaml.safe_load(people.read_text(encoding="utf-8"))
    blinken = next(entry for entry in entries if entry["slug"] == "antony-blinken")
    blinken["description"] = "Edited description."
    blinken["aliases"].append({"name": "Tony Blinken", "lang": "en", "kind": "short"})
    people.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")

    load_seeds(seed_copy)

    actor = Actor.objects.get(slug="antony-blinken")
    assert actor.description == "Edited description."
    assert actor.aliases.filter(name="Tony Blinken", language="en").exists()
    after = row_counts()
    assert after["Actor"] == before["Actor"]
    assert after["Alias"] == before["Alias"] + 1


def test_editor_correction_survives_the_next_load():
    actor = Actor.objects.get(slug="matthew-miller")
    actor.description = "Corrected by an editor."
    actor.save()

    call_command("load_seeds", stdout=io.StringIO())

    actor.refresh_from_db()
    assert actor.description == "Corrected by an editor."


def test_editor_decision_on_a_seed_link_survives_a_forced_load():
    link = ArticleActor.objects.get(actor__slug="middle-east")
    link.status = ArticleActor.Status.REJECTED
    link.save()

    load_seeds(force=True)

    link.refresh_from_db()
    assert link.status == ArticleActor.Status.REJECTED


def test_malformed_file_writes_nothing(seed_copy):
    before = row_counts()
    topics = seed_copy / "topics.yaml"
    topics.write_text(
        topics.read_text(encoding="utf-8") + "- slug: brand-new\n  name: New topic\n",
        encoding="utf-8",
    )
    (seed_copy / "talks.yaml").write_text("- slug: [unclosed\n", encoding="utf-8")

    with pytest.raises(SeedError, match=r"talks\.yaml"):
        load_seeds(seed_copy)

    assert row_counts() == before
    assert not Topic.objects.filter(slug="brand-new").exists()


def test_talk_of_a_state_with_itself_is_refused_with_its_entry_named(seed_copy):
    talks = seed_copy / "talks.yaml"
    entries = yaml.safe_load(talks.read_text(encoding="utf-8"))
    entries.append({**entries[0], "slug": "self-talk", "states": ["israel", "israel"]})
    talks.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")

    with pytest.raises(CommandError, match=r"talks.yaml entry 2 \(self-talk\).*two different"):
        call_command("load_seeds", directory=seed_copy)
    assert not Talk.objects.filter(slug="self-talk").exists()


def test_unknown_reference_is_reported(seed_copy):
    articles = seed_copy / "articles.yaml"
    entries = yaml.safe_load(articles.read_text(encoding="utf-8"))
    entries[0]["actors"].append({"actor": "nobody-at-all"})
    articles.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")

    with pytest.raises(SeedError, match="unknown actor 'nobody-at-all'"):
        load_seeds(seed_copy)


def test_every_curated_model_keeps_history():
    for model in CURATED:
        assert hasattr(model, "history"), model
    assert apps.get_model("articles", "HistoricalArticle").objects.exists()
