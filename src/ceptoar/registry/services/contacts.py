"""Keeping points of contact: the organisation page's add, edit and deactivate, all or nothing, never
leaving a CEPTOAR or member without an emergency point of contact."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.registry.models import POC_ROLES, Contact, ContactChannel, Organisation
from ceptoar.registry.queries import next_contact_position, organisations_lacking_poc

logger = logging.getLogger(__name__)

CONTACT_FIELDS = ("name", "kind", "title", "role", "availability", "hours_note", "position")


@dataclass(frozen=True)
class ChannelInput:
    """One channel of a contact as the person typed it; `pk` names an existing channel to keep its row."""

    kind: str
    value: str
    pk: int | None = None
    in_house: bool = False


class ContactChangeRefused(ValidationError):
    """A contact change that was not made, and why.

    Errors are kept where the form shows them: by contact field, by channel (the index in the list
    given to the service, with the channel field inside), about the list of channels as a whole, and
    about the change as a whole.
    """

    def __init__(
        self,
        fields: dict[str, list[str]] | None = None,
        channels: dict[int, dict[str, list[str]]] | None = None,
        channel_list: list[str] | None = None,
        general: list[str] | None = None,
    ):
        self.field_errors = fields or {}
        self.channel_errors = channels or {}
        self.channel_list_errors = channel_list or []
        self.general_errors = general or []
        messages = list(self.general_errors) + list(self.channel_list_errors)
        messages += [m for ms in self.field_errors.values() for m in ms]
        messages += [m for row in self.channel_errors.values() for ms in row.values() for m in ms]
        super().__init__(messages)


def _lacks_poc(organisation: Organisation) -> bool:
    return organisations_lacking_poc(Organisation.objects.filter(pk=organisation.pk)).exists()


def _lock(organisation: Organisation) -> None:
    # Serialises changes to one organisation's contacts, so two people demoting its last two emergency
    # POCs at the same moment cannot both succeed (a no-op on SQLite, which locks the whole file).
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()


def _last_poc_message(organisation: Organisation) -> str:
    return _(
        "%(organisation)s must keep at least one active primary POC or 24/7 desk with a channel. "
        "Add or promote another one first."
    ) % {"organisation": organisation.name}


ChannelErrors = dict[int, dict[str, list[str]]]


def _check_channels(channels: list[ChannelInput]) -> tuple[list[ContactChannel], ChannelErrors]:
    built: list[ContactChannel] = []
    errors: ChannelErrors = {}
    for index, given in enumerate(channels):
        channel = ContactChannel(
            kind=given.kind or "",
            value=(given.value or "").strip(),
            position=index + 1,
            in_house=bool(given.in_house),
        )
        if not channel.value:
            errors[index] = {"value": [_("An address is required.")]}
        else:
            try:
                # full_clean checks the kind and length; the model's clean() applies validate_channel_value.
                channel.full_clean(exclude=["contact"])
            except ValidationError as error:
                errors[index] = error.message_dict
        built.append(channel)
    return built, errors


def check_channels(channels: list[ChannelInput]) -> ChannelErrors:
    """What is wrong with each channel, by index: lets a form show every problem at once, not one round at a time."""
    return _check_channels(channels)[1]


def save_contact(
    organisation: Organisation,
    contact: Contact | None,
    fields: dict,
    channels: list[ChannelInput],
    by_user=None,
    today: datetime.date | None = None,
) -> Contact:
    """Add a point of contact (`contact` None) or change one, with its channels in the order given.

    The person saving has just checked the contact, so it counts as verified today. Either everything
    is written or nothing: any invalid field or channel, a primary POC or 24/7 desk without a channel,
    or a change that would leave a CEPTOAR or member without an emergency POC raises
    ContactChangeRefused and leaves the database as it was.
    """
    with transaction.atomic():
        _lock(organisation)
        if contact is not None:
            # Work on a fresh copy so that a refused change does not leave the caller's object half edited.
            contact = Contact.objects.select_for_update().get(pk=contact.pk)
            if contact.organisation_id != organisation.pk:
                message = _("This point of contact belongs to another organisation.")
                raise ContactChangeRefused(general=[message])
        lacked_before = _lacks_poc(organisation)
        target = contact or Contact(organisation=organisation)
        for name in CONTACT_FIELDS:
            if name in fields:
                value = fields[name]
                setattr(target, name, value.strip() if isinstance(value, str) else value)
        if contact is None and fields.get("position") is None:
            target.position = next_contact_position(organisation)
        target.last_verified_on = today or timezone.localdate()
        target.reverification_reason, target.reverification_requested_at = "", None

        field_errors: dict[str, list[str]] = {}
        try:
            target.full_clean()
        except ValidationError as error:
            field_errors = error.message_dict
        built, channel_errors = _check_channels(channels)
        channel_list_errors: list[str] = []
        if target.is_active and target.role in POC_ROLES and not channels:
            channel_list_errors.append(
                _("A %(role)s needs at least one channel: add an e-mail address or a telephone number.")
                % {"role": target.get_role_display()}
            )
        if field_errors or channel_errors or channel_list_errors:
            raise ContactChangeRefused(field_errors, channel_errors, channel_list_errors)

        target.save()
        existing = {channel.pk: channel for channel in target.channels.all()} if contact is not None else {}
        kept: list[int] = []
        for given, channel in zip(channels, built, strict=True):
            # An existing row is updated in place (its id may be referred to by deliveries); an unknown
            # or repeated id is treated as a new channel, never as someone else's.
            old = existing.pop(given.pk, None) if given.pk is not None else None
            if old is not None:
                old.kind, old.value, old.position = channel.kind, channel.value, channel.position
                old.in_house = channel.in_house
                old.save(update_fields=["kind", "value", "position", "in_house"])
                kept.append(old.pk)
            else:
                channel.contact = target
                channel.save()
                kept.append(channel.pk)
        target.channels.exclude(pk__in=kept).delete()

        if not lacked_before and _lacks_poc(organisation):
            # Raising inside the atomic block undoes the writes above.
            message = _last_poc_message(organisation)
            if target.role not in POC_ROLES:
                raise ContactChangeRefused(fields={"role": [message]})
            raise ContactChangeRefused(general=[message])
    logger.info(
        "contact %s of %s %s by %s", target.pk, organisation.code, "changed" if contact else "added", by_user
    )
    return target


def deactivate_contact(contact: Contact, by_user=None) -> Contact:
    """Take a point of contact out of use, keeping it for the record (is_active=False).

    Refused (ContactChangeRefused, nothing changed) when it is the last emergency POC of an
    organisation that must have one.
    """
    organisation = contact.organisation
    with transaction.atomic():
        _lock(organisation)
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        if not contact.is_active:
            return contact
        lacked_before = _lacks_poc(organisation)
        contact.is_active = False
        contact.save(update_fields=["is_active"])
        if not lacked_before and _lacks_poc(organisation):
            raise ContactChangeRefused(general=[_last_poc_message(organisation)])
    logger.info("contact %s of %s deactivated by %s", contact.pk, organisation.code, by_user)
    return contact
