import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from actors.models import Actor, Alias, Role, Talk, TalkParticipant

pytestmark = pytest.mark.django_db


def actor(slug):
    return Actor.objects.get(slug=slug)


def new_talk(**fields):
    values = {
        "slug": "test-talk",
        "kind": Talk.Kind.PHONE_CALL,
        "state_a": actor("israel"),
        "state_b": actor("united-states"),
        "date": datetime.date(2024, 3, 1),
    }
    values.update(fields)
    return Talk(**values)


def test_database_rejects_a_talk_of_a_state_with_itself():
    with pytest.raises(IntegrityError), transaction.atomic():
        new_talk(state_b=actor("israel")).save()


def test_validation_rejects_a_talk_of_a_state_with_itself():
    with pytest.raises(ValidationError, match="two different states"):
        new_talk(state_b=actor("israel")).full_clean()


def test_talk_fills_its_cameo_code_from_its_kind():
    talk = new_talk(kind=Talk.Kind.VISIT)
    talk.save()
    assert talk.cameo_code == "042"


def test_talk_date_with_month_precision_is_the_first_of_the_month():
    with pytest.raises(ValidationError, match="first day"):
        new_talk(date=datetime.date(2024, 3, 14), date_precision="month").full_clean()
    talk = new_talk(date=datetime.date(2024, 3, 1), date_precision="month")
    talk.full_clean()
    assert talk.display_date == "2024-03"


def test_participant_represents_one_of_the_talks_states():
    talk = new_talk()
    talk.save()
    participant = TalkParticipant(
        talk=talk, person=actor("antony-blinken"), represents=actor("iran")
    )
    with pytest.raises(ValidationError, match="one of the talk's states"):
        participant.full_clean()


def test_alias_is_unique_per_actor_and_language_whatever_the_case():
    blinken = actor("antony-blinken")
    Alias.objects.create(actor=blinken, name="Tony B.", language="en")
    Alias.objects.create(actor=blinken, name="Tony B.", language="fr")
    with pytest.raises(IntegrityError), transaction.atomic():
        Alias.objects.create(actor=blinken, name="TONY B.", language="en")


def test_alias_language_must_be_iso_639_1():
    alias = Alias(actor=actor("iran"), name="Iran", language="xx")
    with pytest.raises(ValidationError, match="ISO 639-1"):
        alias.full_clean()


def test_role_ends_after_it_starts():
    role = Role(
        person=actor("antony-blinken"),
        position=Role.Position.ENVOY,
        organization=actor("united-states"),
        start_date=datetime.date(2020, 1, 2),
        end_date=datetime.date(2020, 1, 1),
    )
    with pytest.raises(ValidationError):
        role.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        role.save()


def test_roles_resolve_who_held_a_position_on_a_date():
    def holder(position, state, date):
        return {
            role.person.slug
            for role in Role.objects.held_on(date).filter(
                position=position, organization__slug=state
            )
        }

    june_2023 = datetime.date(2023, 6, 8)
    assert holder("head_of_government", "israel", june_2023) == {"benjamin-netanyahu"}
    assert holder("foreign_minister", "united-states", june_2023) == {"antony-blinken"}
    assert holder("head_of_government", "israel", datetime.date(2022, 1, 1)) == {"naftali-bennett"}
    assert "matthew-miller" in {
        role.person.slug
        for role in Role.objects.held_on(june_2023).filter(
            position="spokesperson", organization__slug="us-department-of-state"
        )
    }


def test_a_state_cannot_belong_to_a_state():
    israel = actor("israel")
    israel.state = actor("united-states")
    with pytest.raises(ValidationError):
        israel.full_clean()


def test_wikidata_id_is_unique_when_set():
    first, second = actor("qatar"), actor("oman")
    Actor.objects.filter(pk=first.pk).update(wikidata_id="Q999999991")
    with pytest.raises(IntegrityError), transaction.atomic():
        Actor.objects.filter(pk=second.pk).update(wikidata_id="Q999999991")
    # Blank ids do not collide.
    Actor.objects.filter(pk__in=[first.pk, second.pk]).update(wikidata_id="")
