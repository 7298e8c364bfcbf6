"""Sharing agreements (情報共有に関する協定): what may flow, each way, between organisations that agreed to it.

The seeds' second function of a CEPTOAR: where it and related bodies or other sectors' CEPTOARs mutually agree,
it shares with them directly, on the basis of that agreement. An agreement is a first-class record because
the anchors' failures came from sharing that had no such record: MISP's sharing groups leaked when a group
was empty (it reached every remote organisation), and OpenCTI's feeds carried what their cap forbade. Here:

- nothing flows without a term that names its source and its receiver: there is no empty "everyone";
- a term lists what it covers (kinds, categories, the highest TLP); an empty list covers nothing;
- what flows is read from the agreement's status *and* its dates at the moment of the flow
  (`agreements.flows`), so an agreement that is suspended, revoked or past its end date stops every flow at
  once, whether or not the nightly step has yet marked it expired.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ceptoar.sharing.models import Tlp


class AgreementStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    IN_FORCE = "in_force", _("In force")
    SUSPENDED = "suspended", _("Suspended")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")


# Statuses an agreement never leaves: a new version is a new agreement that supersedes it.
FINAL_STATUSES = frozenset({AgreementStatus.EXPIRED, AgreementStatus.REVOKED})


class FlowKind(models.TextChoices):
    """The kinds of item an agreement may let flow."""

    ALERT = "alert", _("Alerts")
    CASE = "case", _("Failure cases")
    REPORT_FOR_ANALYSIS = "report_for_analysis", _("Incident reports for analysis")
    SITUATION = "situation", _("Situation summaries")
    INDICATOR = "indicator", _("Indicators")


class OriginatorDisclosure(models.TextChoices):
    NAMED = "named", _("Named")
    ANONYMISED = "anonymised", _("Anonymised")


class Agreement(models.Model):
    """One version of an agreement among two or more parties."""

    code = models.SlugField(_("agreement code"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("agreed text"))
    version = models.PositiveIntegerField(_("version"), default=1)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=AgreementStatus.choices, default=AgreementStatus.PROPOSED
    )
    # A new version names the one it replaces; when it comes into force the old one ends (it wins).
    supersedes = models.ForeignKey(
        "self",
        verbose_name=_("supersedes"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
    )
    proposed_by = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="agreements_proposed",
    )
    proposed_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    in_force_at = models.DateTimeField(_("in force since"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sharing agreement")
        verbose_name_plural = _("sharing agreements")
        ordering = ["code"]
        indexes = [models.Index(fields=["status", "valid_from", "valid_to"])]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class AgreementParty(models.Model):
    """An organisation bound by an agreement, and its acceptance by an authorised person."""

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="parties"
    )
    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("party"),
        on_delete=models.PROTECT,
        related_name="agreement_parties",
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("agreement party")
        verbose_name_plural = _("agreement parties")
        ordering = ["agreement", "organisation__code"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "organisation"], name="unique_agreement_party")
        ]

    def __str__(self) -> str:
        return f"{self.agreement} — {self.organisation}"


class AgreementTerm(models.Model):
    """What may flow in one direction, from `source` to `receiver`, under the agreement."""

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="terms"
    )
    source = models.ForeignKey(
        "registry.Organisation", verbose_name=_("from"), on_delete=models.PROTECT, related_name="+"
    )
    receiver = models.ForeignKey(
        "registry.Organisation", verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    kinds = models.JSONField(_("kinds that may flow"), default=list)
    categories = models.JSONField(_("categories"), default=list)
    highest_tlp = models.CharField(_("highest TLP"), max_length=20, choices=Tlp.choices, default=Tlp.GREEN)
    may_relay = models.BooleanField(_("the receiver may relay to its members"), default=False)
    originator = models.CharField(
        _("originator by default"),
        max_length=20,
        choices=OriginatorDisclosure.choices,
        default=OriginatorDisclosure.ANONYMISED,
    )

    class Meta:
        verbose_name = _("agreement term")
        verbose_name_plural = _("agreement terms")
        ordering = ["agreement", "source__code", "receiver__code"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "source", "receiver"], name="unique_agreement_term")
        ]

    def __str__(self) -> str:
        return f"{self.source} → {self.receiver}"


class AgreementEvent(models.Model):
    """One change in an agreement's life: proposed, accepted by a party, in force, suspended, resumed,
    expired, revoked, superseded. Kept for ever: the history a register and an auditor read."""

    class Action(models.TextChoices):
        PROPOSED = "proposed", pgettext_lazy("agreement event", "Proposed")
        ACCEPTED = "accepted", _("Accepted by a party")
        IN_FORCE = "in_force", _("Came into force")
        SUSPENDED = "suspended", pgettext_lazy("agreement event", "Suspended")
        RESUMED = "resumed", _("Resumed")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")
        SUPERSEDED = "superseded", _("Superseded by a new version")

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    status_after = models.CharField(_("status after"), max_length=20, choices=AgreementStatus.choices)
    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("for organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("agreement history entry")
        verbose_name_plural = _("agreement history")
        ordering = ["agreement", "at", "id"]

    def __str__(self) -> str:
        return f"{self.agreement}: {self.get_action_display()}"
