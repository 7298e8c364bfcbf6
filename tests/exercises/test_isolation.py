"""Exercise isolation: no exercise message reaches a non-participant, by any path (recipients, deliveries,
escalation, the inbox, the policy), and no exercise figure appears in the live situation page."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ceptoar.alerts.models import Alert, Recipient, RelayRule
from ceptoar.alerts.services import publication
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.channels.models import Delivery
from ceptoar.escalation.models import FollowUp
from ceptoar.exercises.models import MARK, Participant
from ceptoar.registry.models import Organisation
from ceptoar.sharing import policy
from tests.exercises.support import run

pytestmark = pytest.mark.django_db

PARTICIPANTS = ["banks-0001", "banks-0002", "banks-0003"]


def test_a_ceptoar_drill_reaches_its_participants_and_no_other_member(demo_user):
    exercise = run(demo_user("demo-secretariat"), organisations=PARTICIPANTS)
    alert = exercise.injects.get().alert
    assert alert.title.startswith(MARK) and MARK in alert.body
    assert alert.exercise_id == exercise.pk
    reached = set(
        Recipient.objects.filter(alert__exercise=exercise).values_list("organisation__code", flat=True)
    )
    assert reached == set(PARTICIPANTS)
    delivered_to = set(
        Delivery.objects.filter(alert__exercise=exercise).values_list(
            "recipient__organisation__code", flat=True
        )
    )
    assert delivered_to == set(PARTICIPANTS)
    assert set(
        FollowUp.objects.filter(recipient__alert__exercise=exercise).values_list(
            "recipient__organisation__code", flat=True
        )
    ) == set(PARTICIPANTS)
    assert policy.may_see(demo_user("demo-member2"), alert)  # banks-0002 takes part
    outsider = demo_user("demo-member2")
    outsider.organisation = Organisation.objects.get(code="banks-0004")
    assert not policy.may_see(outsider, alert)


def test_a_hub_exercise_relays_only_within_its_participants(demo_user, django_capture_on_commit_callbacks):
    RelayRule.objects.create(
        organisation=Organisation.objects.get(code="fsa"),
        created_by=demo_user("demo-ministry"),
        from_organisation_kinds=["hub"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        exercise = run(demo_user("demo-hub"), kind="cross_sector", organisations=PARTICIPANTS)
    ministry_relay = Alert.objects.get(exercise=exercise, origin_organisation__code="fsa")
    assert ministry_relay.relayed_automatically
    secretariat = demo_user("demo-secretariat")
    # Relaying "to all our members" is refused: it would reach members outside the exercise.
    with pytest.raises(ValidationError):
        publication.relay(ministry_relay, secretariat, audience=AudienceSpec(ceptoars=["banks"]))
    publication.relay(ministry_relay, secretariat, note="訓練です")
    tree = Alert.objects.filter(exercise=exercise)
    assert tree.count() == 3 and all(node.title.startswith(MARK) for node in tree)
    allowed = set(Participant.objects.filter(exercise=exercise).values_list("organisation_id", flat=True))
    reached = set(
        Recipient.objects.filter(alert__exercise=exercise).values_list("organisation_id", flat=True)
    )
    assert reached <= allowed
    members = set(
        Recipient.objects.filter(alert__exercise=exercise, organisation__kind="member").values_list(
            "organisation__code", flat=True
        )
    )
    assert members == set(PARTICIPANTS)
    outsiders = Organisation.objects.filter(memberships__ceptoar__code="banks").exclude(code__in=PARTICIPANTS)
    assert outsiders.count() > 100
    assert not Delivery.objects.filter(
        alert__exercise=exercise, recipient__organisation__in=outsiders
    ).exists()
    outsider = demo_user("demo-member2")
    outsider.organisation = outsiders.first()
    assert not policy.visible_alerts(outsider).filter(exercise=exercise).exists()


def test_the_inbox_of_a_non_participant_does_not_show_it(client_as, demo_user):
    run(demo_user("demo-secretariat"), organisations=["banks-0001"])
    page = client_as("demo-member2").get(reverse("alerts:inbox")).content.decode()
    assert MARK not in page
    page = client_as("demo-member").get(reverse("alerts:inbox")).content.decode()
    assert MARK in page


def test_exercise_alerts_stay_off_the_live_situation_page(client_as, demo_user):
    exercise = run(demo_user("demo-secretariat"), organisations=PARTICIPANTS)
    alert = exercise.injects.get().alert
    page = client_as("demo-secretariat").get(reverse("analysis:situation")).content.decode()
    assert alert.title not in page and MARK not in page
