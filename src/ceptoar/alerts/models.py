"""Alerts (情報提供): what the hub, a ministry or a CEPTOAR sends down, and each relay of it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ceptoar.sharing.models import Audience, Tlp


class Category(models.TextChoices):
    VULNERABILITY = "vulnerability", _("Vulnerability")
    MALWARE = "malware", _("Malware")
    IT_FAILURE = "it_failure", _("IT failure")
    ATTACK_PRECURSOR = "attack_precursor", _("Attack precursor")
    FINANCIAL_CRIME = "financial_crime", _("Financial crime")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    PUBLISHED = "published", pgettext_lazy("status", "Published")
    CLOSED = "closed", _("Closed")


# Put before the title of a correction (訂正版) when it is written, so every page, list, e-mail subject and
# relay of it says so without each of them knowing about corrections (as an exercise's mark does).
CORRECTION_MARK = "【訂正】"


class Alert(models.Model):
    """One alert as one organisation sends it. A relay is a new Alert whose `parent` is what it relays."""

    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("body (Markdown)"), blank=True)
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    severity = models.CharField(
        _("severity"), max_length=20, choices=Severity.choices, default=Severity.MEDIUM
    )
    tlp = models.CharField(_("TLP"), max_length=20, choices=Tlp.choices, default=Tlp.AMBER)
    audience = models.OneToOneField(
        Audience, verbose_name=_("audience"), on_delete=models.PROTECT, related_name="+"
    )
    no_onward_relay = models.BooleanField(_("no onward relay"), default=False)
    relay_needs_originator_approval = models.BooleanField(
        _("originator approval needed to relay"), default=False
    )
    references = models.JSONField(_("references"), default=list, blank=True)

    origin_organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("sent by"),
        on_delete=models.PROTECT,
        related_name="alerts_sent",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    requires_approval = models.BooleanField(_("a second person approves before publishing"), default=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    # Lineage: the alert this one relays, and the original at the top of the chain.
    parent = models.ForeignKey(
        "self",
        verbose_name=_("relays"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="relays",
    )
    root = models.ForeignKey(
        "self",
        verbose_name=_("original alert"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="descendants",
    )
    relay_note = models.TextField(_("relay note"), blank=True)
    relayed_automatically = models.BooleanField(_("relayed by a relay rule"), default=False)
    # A correction (訂正版): a new alert replacing a published one of the same sender, delivered to the
    # organisations that one went to (`alerts.services.corrections`).
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrects"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
    )
    correction_note = models.TextField(_("what was corrected"), blank=True)
    # Set on an exercise's injects and inherited by every relay of them: exercise traffic is kept apart
    # from live figures and reaches only the exercise's participants.
    exercise = models.ForeignKey(
        "exercises.Exercise",
        verbose_name=_("exercise"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alerts",
    )

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["status", "published_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_correction(self) -> bool:
        """A correction (訂正版) or a relay of one: its title carries the mark (relays copy the title)."""
        return self.title.startswith(CORRECTION_MARK)

    @property
    def hop(self) -> int:
        """0 for an original, 1 for its first relay, and so on."""
        depth, node = 0, self
        while node.parent_id is not None:
            depth, node = depth + 1, node.parent
        return depth


class AlertAttachment(models.Model):
    alert = models.ForeignKey(
        Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="alerts/%Y/%m/")
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class RelayRule(models.Model):
    """ "Hub alerts of these categories go straight to all our members": a standing relay decision."""

    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("relaying organisation"),
        on_delete=models.CASCADE,
        related_name="relay_rules",
    )
    from_organisation_kinds = models.JSONField(
        _("relay alerts from organisations of these kinds"), default=list, blank=True
    )
    categories = models.JSONField(_("categories"), default=list, blank=True)
    minimum_severity = models.CharField(
        _("minimum severity"), max_length=20, choices=Severity.choices, default=Severity.LOW
    )
    note = models.CharField(_("note added to each relay"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Automatic relays are sent in this person's name: someone answers for every alert that goes out.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("set up by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("relay rule")
        verbose_name_plural = _("relay rules")

    def __str__(self) -> str:
        return f"{self.organisation}: {', '.join(self.categories) or '*'}"


# Fan-out rows (recipients, deliveries, follow-ups) carry no database foreign-key constraints: a relay tree
# writes ~20,000 of them, and PostgreSQL checks and row-locks every referenced row at commit, which took
# longer than all the rest of a publication. They are written only by INSERT … SELECT from the rows they
# point to, in the same transaction, and deletions go through Django, which cascades, nulls or protects as
# `on_delete` says; `tests/site/test_fanout_integrity.py` checks both.
FANOUT_FK = {"db_constraint": False}


class Recipient(models.Model):
    """An organisation an alert went to directly at its hop (the next one down the chain).

    Written with the publication, in the same transaction: the record of who was sent what, from which
    receipts, escalation and the confirmed-receipt rate of each hop are counted.
    """

    alert = models.ForeignKey(
        Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="recipients", **FANOUT_FK
    )
    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="+",
        **FANOUT_FK,
    )
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("recipient organisation")
        verbose_name_plural = _("recipient organisations")
        constraints = [
            models.UniqueConstraint(fields=["alert", "organisation"], name="unique_alert_recipient")
        ]
        indexes = [models.Index(fields=["organisation", "alert"])]

    def __str__(self) -> str:
        return f"{self.alert} → {self.organisation}"


class AcknowledgementVia(models.TextChoices):
    EMAIL_LINK = "email_link", _("Link in the e-mail")
    PORTAL = "portal", _("Portal")
    API = "api", _("API")
    PHONE = "phone", _("Telephone")


class Acknowledgement(models.Model):
    """Receipt confirmed by a recipient organisation: one per organisation and alert, by whichever of its
    points of contact confirms first. Unacknowledged recipients are what escalation chases."""

    recipient = models.OneToOneField(
        Recipient,
        verbose_name=_("recipient organisation"),
        on_delete=models.CASCADE,
        related_name="acknowledgement",
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), default=timezone.now, db_index=True)
    via = models.CharField(_("acknowledged via"), max_length=20, choices=AcknowledgementVia.choices)
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by (user)"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The point of contact whose e-mail link was used; kept even if the contact is later edited away.
    by_contact = models.ForeignKey(
        "registry.Contact",
        verbose_name=_("acknowledged by (point of contact)"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("acknowledgement of receipt")
        verbose_name_plural = _("acknowledgements of receipt")

    def __str__(self) -> str:
        return f"{self.recipient}: {self.get_via_display()} {self.acknowledged_at:%Y-%m-%d %H:%M}"


class RelayApprovalStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the originator")
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")


class RelayApproval(models.Model):
    """A request to relay an alert marked "originator approval needed to relay", and the originator's answer.

    The asking organisation says what it would send (note, marking, audience); the originator grants or
    refuses with a reason. A grant sends that relay at once, in the asker's name (`relay`), so what the
    originator approved is exactly what goes out. Both steps stay on record.
    """

    parent = models.ForeignKey(
        Alert, verbose_name=_("alert to relay"), on_delete=models.CASCADE, related_name="relay_approvals"
    )
    asking_organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("asking organisation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("asked by"), on_delete=models.PROTECT, related_name="+"
    )
    asked_at = models.DateTimeField(_("asked at"), default=timezone.now)
    note = models.TextField(_("relay note"), blank=True)
    tlp = models.CharField(_("TLP of the relay"), max_length=20, choices=Tlp.choices)
    # The relay's audience as `alerts.services.audience.AudienceSpec` names it (codes and user names): kept
    # as asked, so the originator approves exactly that.
    audience_spec = models.JSONField(_("audience of the relay"), default=dict)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=RelayApprovalStatus.choices,
        default=RelayApprovalStatus.PENDING,
        db_index=True,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    relay = models.OneToOneField(
        Alert,
        verbose_name=_("relay sent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approval",
    )

    class Meta:
        verbose_name = _("relay approval")
        verbose_name_plural = _("relay approvals")
        ordering = ["-asked_at", "-id"]
        constraints = [
            # One open request per alert and organisation; a refused one may be followed by a new request.
            models.UniqueConstraint(
                fields=["parent", "asking_organisation"],
                condition=models.Q(status="pending"),
                name="unique_pending_relay_approval",
            )
        ]

    def __str__(self) -> str:
        return f"{self.asking_organisation} → {self.parent}: {self.get_status_display()}"
