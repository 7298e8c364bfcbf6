"""Markings, audiences and the audit of sensitive reads (DESIGN.md §3).

Every shareable item carries a TLP 2.0 marking, an audience and optional caveats. Who may see an
item is decided only in `ceptoar.sharing.policy`; this module holds the data it decides on.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Tlp(models.TextChoices):
    """FIRST Traffic Light Protocol 2.0."""

    CLEAR = "clear", "TLP:CLEAR"
    GREEN = "green", "TLP:GREEN"
    AMBER = "amber", "TLP:AMBER"
    AMBER_STRICT = "amber_strict", "TLP:AMBER+STRICT"
    RED = "red", "TLP:RED"


# Higher is more restrictive. A relay may keep or raise the rank, never lower it.
TLP_RANK = {Tlp.CLEAR: 0, Tlp.GREEN: 1, Tlp.AMBER: 2, Tlp.AMBER_STRICT: 3, Tlp.RED: 4}
# Markings that reach only organisations that accepted their CEPTOAR's current handling rules.
RULES_REQUIRED_TLPS = frozenset({Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED})
# Markings whose every read is written to the audit log.
AUDITED_TLPS = frozenset({Tlp.AMBER_STRICT, Tlp.RED})


class Audience(models.Model):
    """Who an item is for. The union of its parts; RED items use only `people`."""

    community = models.BooleanField(_("the whole community"), default=False)
    sectors = models.ManyToManyField(
        "registry.Sector", verbose_name=_("sectors"), blank=True, related_name="+"
    )
    ceptoars = models.ManyToManyField(
        "registry.Organisation",
        verbose_name=_("CEPTOARs and their members"),
        blank=True,
        related_name="+",
        limit_choices_to={"kind": "ceptoar"},
    )
    subgroups = models.ManyToManyField(
        "registry.Organisation",
        verbose_name=_("sub-groups and the members they relay to"),
        blank=True,
        related_name="+",
        limit_choices_to={"kind": "subgroup"},
    )
    organisations = models.ManyToManyField(
        "registry.Organisation", verbose_name=_("organisations"), blank=True, related_name="+"
    )
    people = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("named people"), blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("audience")
        verbose_name_plural = _("audiences")

    def __str__(self) -> str:
        return f"audience #{self.pk}"


class AuditEntry(models.Model):
    """One read of AMBER+STRICT or RED content, or another act an auditor must be able to trace."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=40)
    item_type = models.CharField(_("item type"), max_length=40)
    item_id = models.PositiveBigIntegerField(_("item id"))
    tlp = models.CharField(_("TLP"), max_length=20, choices=Tlp.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["item_type", "item_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.item_type}#{self.item_id}"
