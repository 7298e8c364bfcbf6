"""Everything an exercise sends or shows is marked 【訓練/EXERCISE】: the mail's subject and body (also a
notice without content), the alert page, and every relay."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ceptoar.alerts import messages
from ceptoar.alerts.messages import Outgoing
from ceptoar.exercises.models import MARK
from ceptoar.sharing.policy import Disclosure
from tests.exercises.support import run

pytestmark = pytest.mark.django_db


@pytest.fixture
def exercise_alert(demo_user):
    return run(demo_user("demo-secretariat"), organisations=["banks-0001", "banks-0002"]).injects.get().alert


def _outgoing(alert, with_content: bool) -> Outgoing:
    return Outgoing(
        delivery_id=1,
        address="poc@example.jp",
        alert=alert,
        disclosure=Disclosure.FULL if with_content else Disclosure.NOTICE,
        portal_url="http://x/",
    )


def test_the_mail_is_marked_in_subject_and_body(exercise_alert):
    outgoing = _outgoing(exercise_alert, with_content=True)
    assert messages.subject(outgoing).count(MARK) == 1
    body = messages.text(outgoing)
    assert body.count(MARK) >= 2, "at the top and at the end of the message"
    assert "訓練" in body


def test_a_notice_without_content_is_marked_too(exercise_alert):
    outgoing = _outgoing(exercise_alert, with_content=False)
    assert MARK in messages.subject(outgoing)
    assert messages.text(outgoing).startswith(MARK)


def test_an_envelope_for_a_hop_is_marked_too(exercise_alert):
    from dataclasses import replace

    outgoing = replace(_outgoing(exercise_alert, with_content=False), disclosure=Disclosure.ENVELOPE)
    assert MARK in messages.subject(outgoing)
    assert messages.text(outgoing).startswith(MARK)
    assert exercise_alert.title not in messages.text(outgoing)


def test_a_live_alert_carries_no_mark(demo_user):
    from tests.channels.helpers import publish

    alert = publish(demo_user("demo-secretariat"), ceptoars=["banks"])
    assert MARK not in messages.subject(_outgoing(alert, with_content=False))
    assert MARK not in messages.text(_outgoing(alert, with_content=True))


def test_the_alert_page_shows_the_mark(client_as, exercise_alert):
    page = client_as("demo-member").get(reverse("alerts:detail", args=[exercise_alert.pk])).content.decode()
    assert MARK in page
