"""Personal API tokens: how a machine (a member's SOC tooling, a ticket system) calls the API as a person.

The key itself is never stored: only its SHA-256 hash, to find it again, and a short prefix, so that its
owner can tell their tokens apart on the tokens page and an auditor can tell which one read what. A
random key of 256 bits needs no slow password hash: nobody can guess it from its hash.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiTokenScope(models.TextChoices):
    """What a token may do. Every token reads (what its owner may see); confirming receipt is a write in
    the organisation's name, so a tool that only reads is given a token that cannot."""

    READ = "read", _("Read alerts")
    READ_ACKNOWLEDGE = "read_acknowledge", _("Read alerts and confirm receipt")

    @property
    def may_acknowledge(self) -> bool:
        return self is ApiTokenScope.READ_ACKNOWLEDGE


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What the token is for, e.g. “SOC ticket system”.")
    )
    key_hash = models.CharField(_("SHA-256 of the key"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("key prefix"), max_length=16, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    # Tokens made before scopes existed could do both; they keep doing so.
    scope = models.CharField(
        _("scope"), max_length=20, choices=ApiTokenScope.choices, default=ApiTokenScope.READ_ACKNOWLEDGE
    )
    expires_at = models.DateTimeField(
        _("expires at"), null=True, blank=True, help_text=_("Empty: the token does not expire.")
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def may_acknowledge(self) -> bool:
        return ApiTokenScope(self.scope).may_acknowledge
