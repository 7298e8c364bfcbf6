"""The fan-out's rows: the deliveries of a published alert, or of an escalation step, written in the
publisher's transaction with the send tasks (django-tasks-db rows), so an alert is never committed without
the work that delivers it, nor that work without the alert."""

from __future__ import annotations

from django.db.models import F, QuerySet, Value

from ceptoar.alerts.models import Alert, Recipient
from ceptoar.channels import registry
from ceptoar.channels.models import Delivery, DeliveryKind
from ceptoar.channels.services.queue import enqueue_sends
from ceptoar.registry.models import POC_ROLES
from ceptoar.sharing.models import Tlp
from ceptoar.utilities.bulk import insert_from_select

# Escalation contacts (backup, head) are written by escalation's steps; voice and fax channels are called
# from the call list, not sent to: only the kinds in `channels.registry` get rows.


def create_contact_deliveries(recipients: QuerySet[Recipient], roles, escalation_step: str = "") -> list[int]:
    """Write one pending delivery per e-mail, webhook and chat channel of the active contacts in `roles`
    of each of `recipients`; returns the new ids, in the order the contacts are listed.

    One statement whatever the fan-out (`INSERT … SELECT`): the benchmark's relay tree writes ~7,400 rows.
    """
    contact = "organisation__contacts"
    channel = f"{contact}__channels"
    source = recipients.filter(
        **{
            f"{contact}__is_active": True,
            f"{contact}__role__in": list(roles),
            f"{channel}__kind__in": list(registry.kinds()),
        }
    ).order_by(
        "alert_id",
        "organisation_id",
        f"{contact}__position",
        f"{contact}__id",
        f"{channel}__position",
        f"{channel}__id",
    )
    return insert_from_select(
        Delivery,
        source,
        {
            "alert": F("alert_id"),
            "recipient": F("pk"),
            "contact": F(f"{contact}__id"),
            "channel": F(f"{channel}__id"),
            # Delivery kinds are named after the channel kinds they send through (channels.registry).
            "kind": F(f"{channel}__kind"),
            "address": F(f"{channel}__value"),
            "escalation_step": Value(escalation_step),
        },
    )


def create_deliveries(alert: Alert) -> int:
    """Write the deliveries of a just-published alert and enqueue their sending; returns how many.

    For each recipient organisation: every e-mail, webhook and chat channel of its active primary and
    24/7 points of contact. Its portal inbox needs no row of its own: the recipient row written with the
    publication is the inbox entry, shown through the sharing policy from the moment it commits. A TLP:RED
    alert has no recipient organisations; each named person gets a notice at their account's address.
    """
    pending = create_contact_deliveries(Recipient.objects.filter(alert=alert), POC_ROLES)
    if alert.tlp == Tlp.RED:
        notices = [
            Delivery(alert=alert, person_id=person_id, kind=DeliveryKind.EMAIL, address=email)
            for person_id, email in alert.audience.people.filter(is_active=True)
            .exclude(email="")
            .values_list("pk", "email")
        ]
        Delivery.objects.bulk_create(notices)
        pending += [notice.pk for notice in notices]
    enqueue_sends(pending)
    return len(pending)
