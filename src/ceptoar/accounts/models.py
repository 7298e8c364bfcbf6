"""People: each user belongs to one organisation and holds one or more roles."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    HUB_STAFF = "hub_staff", _("National hub staff")
    MINISTRY_LIAISON = "ministry_liaison", _("Ministry liaison")
    SECRETARIAT = "secretariat", _("CEPTOAR secretariat")
    COORDINATOR = "coordinator", _("Coordinator")
    MEMBER_POC = "member_poc", _("Member point of contact")
    MEMBER_ANALYST = "member_analyst", _("Member analyst")
    AUDITOR = "auditor", _("Auditor")


# Staff roles: their accounts see many organisations' contacts and items (the auditor reads the whole
# registry and the audit log), so a stolen password is not enough. Members' points of contact and analysts
# sign in with a password alone; an account that may open the admin needs the second factor whatever its roles.
MFA_REQUIRED_ROLES = frozenset(
    {Role.HUB_STAFF, Role.MINISTRY_LIAISON, Role.SECRETARIAT, Role.COORDINATOR, Role.AUDITOR}
)


class User(AbstractUser):
    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    # Demo accounts may have their current TOTP code printed by `ceptoar totp`; real ones never.
    is_demo = models.BooleanField(_("demo account"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def roles(self) -> frozenset[str]:
        cached = getattr(self, "_roles_cache", None)
        if cached is None:
            cached = frozenset(self.role_grants.values_list("role", flat=True)) if self.pk else frozenset()
            self._roles_cache = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def requires_mfa(self) -> bool:
        return self.is_staff or self.is_superuser or self.has_role(*MFA_REQUIRED_ROLES)


class RoleGrant(models.Model):
    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="role_grants"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="unique_role_grant")]

    def __str__(self) -> str:
        return self.get_role_display()
