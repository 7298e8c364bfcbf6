"""Checks run when the site starts: every path in the channel registry leads to what it should, so a
channel added wrongly stops the site at once rather than failing its first delivery."""

from __future__ import annotations

from django.core import checks

from ceptoar.channels import registry
from ceptoar.channels.base import Channel, Content
from ceptoar.registry.models import ChannelKind
from ceptoar.sharing.policy import ChannelTrust


@checks.register()
def check_channel_registry(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    for kind, entry in registry.CHANNELS.items():
        if kind not in ChannelKind.values:
            errors.append(
                checks.Error(f"channel kind {kind!r} is not a contact channel kind", id="channels.E001")
            )
        try:
            found = registry.channel_class(kind)
        except ImportError as error:
            errors.append(checks.Error(f"{entry.path}: {error}", id="channels.E002"))
            continue
        if not (isinstance(found, type) and issubclass(found, Channel)):
            errors.append(checks.Error(f"{entry.path} is not a channels.base.Channel", id="channels.E003"))
        elif not isinstance(getattr(found, "trust", None), ChannelTrust):
            errors.append(
                checks.Error(f"{entry.path} declares no trust (a ChannelTrust)", id="channels.E004")
            )
    try:
        composer = registry.composer()
    except ImportError as error:
        errors.append(checks.Error(f"{registry.COMPOSER}: {error}", id="channels.E005"))
    else:
        if not (isinstance(composer, type) and issubclass(composer, Content)):
            errors.append(
                checks.Error(f"{registry.COMPOSER} is not a channels.base.Content class", id="channels.E006")
            )
    return errors
