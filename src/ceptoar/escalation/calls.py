"""The secretariat's call list (架電リスト) and call log (架電記録): the organisations that reached the last
escalation step without confirming receipt, and the calls made to them. A call that reaches someone confirms
receipt (`alerts.services.acknowledgements.acknowledge`), so this module sits with the areas' services, above
the escalation steps of `escalation.services`, which the alerts' publication calls."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils.translation import gettext as _

from ceptoar.accounts import access
from ceptoar.alerts.models import AcknowledgementVia, Recipient, Status
from ceptoar.alerts.services.acknowledgements import acknowledge
from ceptoar.channels.models import BrokenChannel, FailureCause
from ceptoar.escalation.models import (
    Call,
    CallOutcome,
    FollowUp,
    FollowUpState,
    Step,
)
from ceptoar.escalation.services import PHONE_KINDS
from ceptoar.registry.models import Contact, ContactChannel
from ceptoar.registry.services.verification import flag_for_reverification


def call_list(user) -> QuerySet[Recipient]:
    """Organisations this user's organisation sent an alert to that reached the call list step and have
    still not confirmed receipt, oldest alert first, with their phone numbers and earlier calls."""
    if not access.can_send_alerts(user):
        return Recipient.objects.none()
    on_list = FollowUp.objects.filter(recipient=OuterRef("pk"), step=Step.CALL_LIST, state=FollowUpState.DONE)
    phones = ContactChannel.objects.filter(kind__in=PHONE_KINDS, contact__is_active=True).order_by(
        "contact__position", "position", "pk"
    )
    return (
        Recipient.objects.filter(
            alert__origin_organisation_id=user.organisation_id,
            alert__status=Status.PUBLISHED,
            acknowledgement__isnull=True,
        )
        .filter(Exists(on_list))
        .select_related("alert", "organisation")
        .prefetch_related(
            Prefetch(
                "organisation__contacts",
                queryset=Contact.objects.filter(is_active=True)
                .order_by("position", "pk")
                .prefetch_related(Prefetch("channels", queryset=phones.filter(), to_attr="phone_channels")),
                to_attr="active_contacts",
            ),
            "calls",
        )
        .order_by("alert__published_at", "organisation__code")
    )


def _recipient_on_call_list(user, recipient_id: int) -> Recipient:
    recipient = Recipient.objects.select_related("alert").filter(pk=recipient_id).first()
    if (
        recipient is None
        or not access.can_send_alerts(user)
        or (recipient.alert.origin_organisation_id != user.organisation_id)
    ):
        # Same answer whether it does not exist or is someone else's: no probing for other lists.
        raise PermissionDenied
    return recipient


@transaction.atomic
def log_call(
    user, recipient_id: int, channel_id: int | None, number: str, outcome: str, note: str = ""
) -> Call:
    """Record one call from the call list. Reached → receipt confirmed by phone; wrong number → the
    number is flagged broken for the secretariat to correct."""
    recipient = _recipient_on_call_list(user, recipient_id)
    if outcome not in CallOutcome.values:
        raise ValidationError({"outcome": _("Choose what happened on the call.")})
    channel = None
    if channel_id is not None:
        channel = ContactChannel.objects.filter(
            pk=channel_id, contact__organisation_id=recipient.organisation_id, kind__in=PHONE_KINDS
        ).first()
        if channel is None:
            raise ValidationError(
                {"channel": _("That number is not one of this organisation's phone numbers.")}
            )
        number = channel.value
    number = (number or "").strip()
    if not number:
        raise ValidationError({"number": _("Give the number you called.")})
    call = Call.objects.create(
        recipient=recipient, channel=channel, number=number, outcome=outcome, note=note, called_by=user
    )
    if outcome == CallOutcome.REACHED:
        acknowledge(recipient, via=AcknowledgementVia.PHONE, by_user=user, note=note)
    elif (
        outcome == CallOutcome.WRONG_NUMBER
        and channel is not None
        and not BrokenChannel.objects.filter(channel=channel, cleared_at__isnull=True).exists()
    ):
        BrokenChannel.objects.create(
            channel=channel,
            reason=_("Wrong number (call list, %(user)s)") % {"user": user.get_username()},
            cause=FailureCause.WRONG_NUMBER,
        )
        # It shows on the contact freshness page until the member confirms its details.
        flag_for_reverification(
            Contact.objects.filter(pk=channel.contact_id),
            _("Wrong number %(number)s (call list)") % {"number": number},
        )
    return call
