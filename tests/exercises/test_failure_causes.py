"""An exercise's scoreboard and after-action report (page and PDF) say what kind of failure a delivery
met, never its technical text: the report travels beyond those who fix channels."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from ceptoar.channels.models import Delivery, FailureCause
from ceptoar.channels.services.sending import send_batch
from ceptoar.exercises import measures
from ceptoar.exercises.services import running
from ceptoar.registry.models import ChannelKind
from tests.channels.helpers import add_channel
from tests.exercises.support import run
from tests.exercises.test_report_support import pdf_text
from tests.fake_dns import fake_dns_fixture  # noqa: F401 - the fake_dns fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

LABEL = "The address is not a public internet address, and alerts are not sent there."


def test_a_refused_webhook_shows_as_its_cause_on_the_scoreboard_and_in_the_report(
    demo_user, client_as, fake_dns
):
    fake_dns.add("hooks.banks-0004.example.jp", "10.9.8.7")
    channel = add_channel("banks-0004", ChannelKind.WEBHOOK, "http://hooks.banks-0004.example.jp/drill")
    secretariat = demo_user("demo-secretariat")
    exercise = run(secretariat, name="Drill with a refused webhook", organisations=["banks-0004"])
    delivery = Delivery.objects.get(alert__exercise=exercise, channel=channel)
    send_batch([delivery.pk])
    delivery.refresh_from_db()
    assert delivery.cause == FailureCause.ADDRESS_REFUSED and "10.9.8.7" in delivery.last_error

    live = measures.compute(exercise)
    assert "10.9.8.7" not in json.dumps(live) and "resolves to" not in json.dumps(live)
    [wrong] = live["wrong_contacts"]
    assert (wrong["address"], wrong["cause"]) == (channel.value, FailureCause.ADDRESS_REFUSED)
    client = client_as("demo-secretariat")
    board = client.get(reverse("exercises:detail", args=[exercise.pk])).content.decode()
    assert board.count(LABEL) == 2  # the contacts tried, and the contacts found wrong
    assert "10.9.8.7" not in board

    running.finish(exercise, secretariat)
    report = client.get(reverse("exercises:report", args=[exercise.pk])).content.decode()
    assert report.count(LABEL) == 2 and "10.9.8.7" not in report
    pdf = pdf_text(client.get(reverse("exercises:report_pdf", args=[exercise.pk])).content)
    assert LABEL in " ".join(pdf.split()) and "10.9.8.7" not in pdf  # table cells wrap their text
