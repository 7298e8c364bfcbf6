"""Deliveries (配信): one row per address an alert is sent to, kept whatever becomes of the sending."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ceptoar.alerts.models import FANOUT_FK
from ceptoar.channels.registry import CHANNELS

# One delivery kind per channel kind sent to, named after it (EMAIL = "email"), as the registry lists them:
# a new channel needs no line here.
DeliveryKind = models.TextChoices(
    "DeliveryKind", [(kind.upper(), (kind, entry.label)) for kind, entry in CHANNELS.items()], module=__name__
)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    RETRYING = "retrying", _("Failed for now; will retry")
    FAILED_PERMANENT = "failed_permanent", _("Failed")


class FailureCause(models.TextChoices):
    """What went wrong with a delivery, in words anyone may read. The technical text next to it
    (`Delivery.last_error`, `BrokenChannel.reason`) names addresses, ports and the receiver's or the
    operating system's own words: it is for the platform's operators and the secretariats who fix channels
    (`accounts.access.sees_delivery_details`), never for members."""

    ADDRESS_REFUSED = (
        "address_refused",
        _("The address is not a public internet address, and alerts are not sent there."),
    )
    ADDRESS_UNUSABLE = "address_unusable", _("The address is not one alerts can be sent to.")
    UNREACHABLE = "unreachable", _("The receiver could not be reached.")
    TLS = "tls", _("The receiver's TLS certificate was not accepted.")
    REJECTED = "rejected", _("The receiver refused the message.")
    RECEIVER_ERROR = "receiver_error", _("The receiver did not take the message.")
    MAILBOX_REFUSED = "mailbox_refused", _("The mail server refused the address.")
    MAIL_DEFERRED = "mail_deferred", _("The mail server deferred the message.")
    MAIL_RELAY = "mail_relay", _("The platform's mail server did not take the message.")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    OTHER = "other", _("The delivery failed.")


# Deliveries a worker may pick up (a retrying one only once its next attempt is due).
CLAIMABLE_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)


class Delivery(models.Model):
    alert = models.ForeignKey(
        "alerts.Alert",
        verbose_name=_("alert"),
        on_delete=models.CASCADE,
        related_name="deliveries",
        **FANOUT_FK,
    )
    # Empty for a TLP:RED notice, which goes to a named person rather than to an organisation.
    recipient = models.ForeignKey(
        "alerts.Recipient",
        verbose_name=_("recipient organisation"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        **FANOUT_FK,
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("named person"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        **FANOUT_FK,
    )
    # A contact or channel edited away later must not erase the record of what was sent where.
    contact = models.ForeignKey(
        "registry.Contact",
        verbose_name=_("point of contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        **FANOUT_FK,
    )
    channel = models.ForeignKey(
        "registry.ContactChannel",
        verbose_name=_("contact channel"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        **FANOUT_FK,
    )
    kind = models.CharField(_("kind"), max_length=20, choices=DeliveryKind.choices)
    # Empty for the first round; "backup" or "head" for a message sent by an escalation step.
    escalation_step = models.CharField(_("escalation step"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    cause = models.CharField(_("cause"), max_length=20, choices=FailureCause.choices, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    claimed_by = models.CharField(_("claimed by worker"), max_length=64, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["alert", "id"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "channel"], name="unique_delivery_per_channel"),
            models.UniqueConstraint(
                fields=["alert", "person"],
                condition=Q(person__isnull=False),
                name="unique_delivery_per_person",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "claimed_at"]),
            models.Index(fields=["alert", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.alert_id} → {self.get_kind_display()} {self.address}"


class BrokenChannel(models.Model):
    """A contact channel that refused a delivery for good (unknown mailbox, webhook answering 4xx…).

    Kept here rather than on the registry's channel so that the registry stays the secretariat's record
    of what members told it; clearing it (after the member fixes the address) keeps the history.
    """

    channel = models.ForeignKey(
        "registry.ContactChannel",
        verbose_name=_("contact channel"),
        on_delete=models.CASCADE,
        related_name="breakages",
    )
    since = models.DateTimeField(_("broken since"), auto_now_add=True)
    reason = models.TextField(_("reason"))
    cause = models.CharField(_("cause"), max_length=20, choices=FailureCause.choices, blank=True)
    delivery = models.ForeignKey(
        Delivery,
        verbose_name=_("delivery that found it"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)

    class Meta:
        verbose_name = _("broken contact channel")
        verbose_name_plural = _("broken contact channels")
        ordering = ["-since"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel"], condition=Q(cleared_at__isnull=True), name="one_open_breakage_per_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel}: {self.reason}"

    @property
    def public_reason(self) -> str:
        """What anyone who sees the breakage may read: the kind of failure, never the technical text."""
        return self.get_cause_display() if self.cause else str(FailureCause.OTHER.label)
