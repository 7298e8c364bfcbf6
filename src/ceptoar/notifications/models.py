"""Notifications (通知): a row per person and event that the portal lists (read or unread, with a link to the
item), each person's choice per kind of event of how it also comes by e-mail (at once, in the daily digest,
or not at all), and the e-mails themselves, one row each, sent and retried by the worker.

A notification names the item by its reference and links to it; it never carries the item's content (an
e-mail may pass servers the platform does not run, and an AMBER+STRICT or RED alert's content never leaves
the platform). Who is told is decided when the event happens, asking the sharing policy per person."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    ALERT_APPROVAL = "alert_approval", _("An alert waits for your approval")
    CASE_APPROVAL = "case_approval", _("A failure case waits for your approval")
    REPORT_COMMENT = "report_comment", _("A comment or request for information on a report")
    REPORT_ARRIVED = "report_arrived", _("A report or follow-up reached your organisation")
    CASE_PUBLISHED = "case_published", _("A failure case you may see was published")
    RULES_TO_ACCEPT = "rules_to_accept", _("Handling rules wait for acceptance")
    RELAY_APPROVAL = "relay_approval", _("A relay approval asked for or answered")


class MailChoice(models.TextChoices):
    IMMEDIATE = "immediate", _("E-mail at once")
    DIGEST = "digest", _("In the daily digest")
    OFF = "off", _("No e-mail (portal only)")


# What a person gets before choosing: work waiting for them comes at once; the library's news once a day.
DEFAULT_MAIL_CHOICE = {event: MailChoice.IMMEDIATE for event in Event} | {
    Event.CASE_PUBLISHED: MailChoice.DIGEST
}


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    event = models.CharField(_("event"), max_length=32, choices=Event.choices)
    # The event's own name ("report-comment:42"): the same event never tells one person twice.
    key = models.CharField(_("event key"), max_length=120)
    title = models.CharField(_("title"), max_length=300)
    url = models.CharField(_("link"), max_length=500)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Waits for the person's daily digest (their choice when it was written); the digest job reads only these.
    in_digest = models.BooleanField(_("in the daily digest"), default=False)
    # The e-mail that carried it (at once or in a digest); empty while none has.
    mail = models.ForeignKey(
        "NotificationMail",
        verbose_name=_("e-mail"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_event")]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_unread"),
            models.Index(fields=["in_digest", "created_at"], name="notification_digest_waiting"),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    event = models.CharField(_("event"), max_length=32, choices=Event.choices)
    mail = models.CharField(_("e-mail"), max_length=16, choices=MailChoice.choices)

    class Meta:
        verbose_name = _("notification setting")
        verbose_name_plural = _("notification settings")
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="notification_preference_once")]

    def __str__(self) -> str:
        return f"{self.user}: {self.event} → {self.mail}"


class MailStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Sending")
    RETRYING = "retrying", _("Waiting to retry")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


CLAIMABLE_MAIL_STATUSES = (MailStatus.PENDING, MailStatus.RETRYING)


class NotificationMail(models.Model):
    """One e-mail to one address. `key` makes it once only: a notification and an address, a person's digest
    of one day, or an organisation's points of contact for one event."""

    key = models.CharField(_("key"), max_length=200, unique=True)
    address = models.EmailField(_("address"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"))
    status = models.CharField(
        _("status"), max_length=16, choices=MailStatus.choices, default=MailStatus.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    claimed_by = models.CharField(_("claimed by"), max_length=32, blank=True, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("notification e-mail")
        verbose_name_plural = _("notification e-mails")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.address}: {self.subject}"
