"""Broken channels, for the secretariat: the open breakages of its members' contact channels, and clearing
one once the address is checked. Sending records them (`sending._record_failed`)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from ceptoar.channels.models import BrokenChannel
from ceptoar.registry.models import ContactChannel, Organisation


def broken_channels_for(organisations: QuerySet[Organisation] | list) -> QuerySet[BrokenChannel]:
    """Open breakages of the channels of these organisations' contacts, newest first."""
    return (
        BrokenChannel.objects.filter(
            cleared_at__isnull=True, channel__contact__organisation__in=organisations
        )
        .select_related("channel__contact__organisation", "delivery")
        .order_by("-since")
    )


def clear_broken_channel(channel: ContactChannel) -> int:
    """The secretariat has checked the address: stop showing it as broken."""
    return BrokenChannel.objects.filter(channel=channel, cleared_at__isnull=True).update(
        cleared_at=timezone.now()
    )
