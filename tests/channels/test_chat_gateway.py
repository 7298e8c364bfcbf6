"""Chat channels go through Apprise: a real json:// notification to a loopback receiver."""

from __future__ import annotations

import pytest

from ceptoar.channels.models import BrokenChannel, Delivery, DeliveryStatus
from ceptoar.registry.models import ChannelKind

from .helpers import add_channel, publish, run_due_tasks

pytestmark = pytest.mark.django_db


def test_chat_url_gets_headline_and_link_but_not_the_body(demo_user, webhook_receiver, smtp_server):
    url = webhook_receiver.url("/ok").replace("http://", "json://")
    channel = add_channel("meti", ChannelKind.CHAT, url)
    alert = publish(demo_user("demo-hub"))
    run_due_tasks()
    assert Delivery.objects.get(alert=alert, channel=channel).status == DeliveryStatus.SENT
    [posted] = webhook_receiver.bodies("/ok")
    assert alert.title in posted["title"] and f"/alerts/{alert.pk}/" in posted["message"]
    assert "不審な通信" not in str(posted)


def test_url_apprise_cannot_use_is_permanent(demo_user, smtp_server):
    channel = add_channel("meti", ChannelKind.CHAT, "nosuchservice://whatever")
    alert = publish(demo_user("demo-hub"))
    run_due_tasks()
    assert Delivery.objects.get(alert=alert, channel=channel).status == DeliveryStatus.FAILED_PERMANENT
    assert BrokenChannel.objects.filter(channel=channel).exists()
