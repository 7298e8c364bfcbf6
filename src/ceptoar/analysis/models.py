"""Situation summaries (情勢判断): the coordinator's written judgement of the situation, drafted inside its
organisation and published as an alert to its audience."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ceptoar.sharing.models import Tlp

# The alert's title is 【情勢判断】 followed by the summary's title, and must fit the alert's title field.
TITLE_PREFIX = "【情勢判断】"
TITLE_MAX_LENGTH = 300 - len(TITLE_PREFIX)


class SummaryStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", pgettext_lazy("status", "Published")


class SituationSummary(models.Model):
    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="situation_summaries",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    body = models.TextField(_("body (Markdown)"))
    tlp = models.CharField(_("TLP"), max_length=20, choices=Tlp.choices, default=Tlp.AMBER)
    status = models.CharField(
        _("status"), max_length=20, choices=SummaryStatus.choices, default=SummaryStatus.DRAFT
    )
    published_alert = models.ForeignKey(
        "alerts.Alert",
        verbose_name=_("published as alert"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("situation summary")
        verbose_name_plural = _("situation summaries")
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["organisation", "updated_at"])]

    def __str__(self) -> str:
        return self.title
