"""Channels are plug-ins: the registry names each kind's channel, which declares one of the two interfaces
and what the sharing policy needs to know of it; a wrong entry stops the site when it starts."""

from __future__ import annotations

from ceptoar.channels import checks, registry
from ceptoar.channels.base import Channel, PipelinedChannel
from ceptoar.channels.models import DeliveryKind
from ceptoar.channels.services.queue import SEND_TASK
from ceptoar.channels.tasks import send_deliveries
from ceptoar.sharing.policy import Disclosure


def test_the_shipped_registry_passes_its_check():
    assert checks.check_channel_registry() == []


def test_each_kind_declares_its_interface_and_its_trust():
    assert issubclass(registry.channel_class("email"), PipelinedChannel)
    for kind in ("webhook", "chat"):
        assert issubclass(registry.channel_class(kind), Channel)
        assert not issubclass(registry.channel_class(kind), PipelinedChannel)
    assert registry.trust("email").most == Disclosure.FULL
    assert registry.trust("chat").third_party_chat
    assert not registry.trust("webhook").third_party_chat
    assert registry.trust("fax").most == Disclosure.NOTICE  # no channel sends faxes


def test_delivery_kinds_are_the_registry_s():
    assert DeliveryKind.values == list(registry.CHANNELS)
    assert DeliveryKind.EMAIL == "email"


def test_the_queue_names_the_send_task_by_its_path():
    assert send_deliveries.module_path == SEND_TASK


def test_a_wrong_entry_is_reported(monkeypatch):
    channels = dict(registry.CHANNELS)
    channels["sms"] = registry.Entry("ceptoar.channels.nowhere.SmsChannel", "SMS")
    channels["chat"] = registry.Entry("ceptoar.sharing.policy.ChannelTrust", "Chat")
    monkeypatch.setattr(registry, "CHANNELS", channels)
    registry.channel_class.cache_clear()
    try:
        ids = sorted(error.id for error in checks.check_channel_registry())
    finally:
        registry.channel_class.cache_clear()
    assert ids == ["channels.E001", "channels.E002", "channels.E003"]
