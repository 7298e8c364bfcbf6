"""User accounts in the Django admin. allauth registers its own models (e-mail addresses, authenticators).

Access follows the registry admin (`AccessControlledAdmin`): an account is seen by those who may see its
organisation's points of contact and changed by those who keep that organisation. On top of that, nobody
but a superuser touches superusers, permissions or groups, and a secretariat or member POC may hand out,
and edit accounts holding, only the roles `access.roles_grantable_by` allows it.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import BLANK_CHOICE_DASH
from django.utils.translation import gettext_lazy as _

from ceptoar.accounts import access
from ceptoar.accounts.models import RoleGrant, User
from ceptoar.registry.admin import AccessControlledAdmin, AccessControlledInline

# Fields that change what an account may do beyond its roles: superusers only.
SUPERUSER_ONLY_FIELDS = ("is_superuser", "groups", "user_permissions", "is_demo")


class RoleGrantInline(AccessControlledInline, admin.TabularInline):
    model = RoleGrant
    extra = 1
    verbose_name = _("role")
    verbose_name_plural = _("roles")

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not request.user.is_superuser:
            grantable = access.roles_grantable_by(request.user)
            kwargs["choices"] = BLANK_CHOICE_DASH + [
                (value, label) for value, label in db_field.choices if value in grantable
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


@admin.register(User)
class UserAdmin(AccessControlledAdmin, BaseUserAdmin):
    list_display = [
        "username",
        "display_name",
        "organisation",
        "email",
        "role_list",
        "is_staff",
        "is_active",
        "last_login",
    ]
    list_filter = ["is_staff", "is_active", "is_superuser", "role_grants__role", "organisation__kind"]
    search_fields = [
        "username",
        "display_name",
        "email",
        "first_name",
        "last_name",
        "organisation__code",
        "organisation__name",
    ]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]
    inlines = [RoleGrantInline]
    fieldsets = [
        *BaseUserAdmin.fieldsets[:2],
        (_("Organisation"), {"fields": ["organisation", "display_name", "is_demo"]}),
        *BaseUserAdmin.fieldsets[2:],
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": [
                    "username",
                    "organisation",
                    "display_name",
                    "email",
                    "usable_password",
                    "password1",
                    "password2",
                ],
            },
        ),
    ]
    visible_through = "organisation"
    maintained_through = ("organisation",)
    maintained_choices = {"organisation": ""}

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("role_grants")

    @admin.display(description=_("roles"))
    def role_list(self, obj: User) -> str:
        return ", ".join(grant.get_role_display() for grant in obj.role_grants.all())

    def can_maintain(self, request, obj) -> bool:
        editor = request.user
        if editor.is_superuser:
            return True
        if obj.is_superuser:
            return False
        if obj.organisation_id is None:
            return access.can_edit_structure(editor)
        if not obj.roles <= access.roles_grantable_by(editor):
            return False  # e.g. a secretariat may not reset the password of hub staff at its CEPTOAR
        return super().can_maintain(request, obj)

    def can_see(self, request, obj) -> bool:
        if obj.organisation_id is None:
            return access.sees_everything(request.user)
        return super().can_see(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not request.user.is_superuser:
            fields += SUPERUSER_ONLY_FIELDS
            if not access.can_edit_structure(request.user):
                fields.append("is_staff")
        return fields


class _SuperuserOnly:
    """allauth's own screens list every account's e-mail address and second factors, unfiltered by
    organisation: only superusers may open them, whatever model permissions a staff account holds."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    has_change_permission = has_delete_permission = has_view_permission

    def has_add_permission(self, request, *args):
        return request.user.is_active and request.user.is_superuser


def _restrict_allauth_admin() -> None:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    for model in (EmailAddress, Authenticator):
        registered = admin.site._registry.get(model)
        if registered is None:
            continue
        admin.site.unregister(model)
        admin.site.register(
            model, type(f"Restricted{type(registered).__name__}", (_SuperuserOnly, type(registered)), {})
        )


_restrict_allauth_admin()
