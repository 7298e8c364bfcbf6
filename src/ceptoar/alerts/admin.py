"""Alerts in the Django admin: read-mostly, and never wider than the visibility policy.

Alerts are sent, relayed and closed on the alert pages (through `services`), never edited here: an
alert that went out must stay as it went out. The admin lists what `sharing.policy` lets the user see,
so a staff account reads no alert here that it could not read on the site.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from ceptoar.accounts import access
from ceptoar.alerts.models import Acknowledgement, Alert, AlertAttachment, RelayRule
from ceptoar.sharing import policy


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_module_permission(self, request) -> bool:
        return access.can_use_admin(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return access.can_use_admin(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_object(self, request, object_id, from_field=None):
        # A row hidden from the user answers exactly like one that does not exist.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("No such record, or not one you may see."))
        return obj


class AlertAttachmentInline(admin.TabularInline):
    model = AlertAttachment
    fields = ["name", "content_type", "size", "sha256"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["title", "tlp", "severity", "category", "status", "origin_organisation", "published_at"]
    list_filter = ["status", "tlp", "severity", "category", "relayed_automatically"]
    search_fields = ["title", "origin_organisation__code", "origin_organisation__name"]
    list_select_related = ["origin_organisation"]
    date_hierarchy = "published_at"
    inlines = [AlertAttachmentInline]
    fields = [
        "title",
        "body",
        "category",
        "severity",
        "tlp",
        "audience",
        "no_onward_relay",
        "relay_needs_originator_approval",
        "references",
        "origin_organisation",
        "author",
        "status",
        "requires_approval",
        "approved_by",
        "approved_at",
        "created_at",
        "published_at",
        "closed_at",
        "parent",
        "root",
        "relay_note",
        "relayed_automatically",
    ]
    readonly_fields = fields

    def get_queryset(self, request) -> QuerySet:
        # The admin shows titles and bodies: only alerts whose content the user may read, not the envelopes
        # an intermediate hop passes on (the alert pages show those as envelopes).
        return policy.readable_alerts(request.user, super().get_queryset(request))


@admin.register(AlertAttachment)
class AlertAttachmentAdmin(ReadOnlyAdmin):
    list_display = ["name", "alert", "content_type", "size"]
    search_fields = ["name", "sha256", "alert__title"]
    list_select_related = ["alert"]
    fields = ["alert", "name", "content_type", "size", "sha256"]
    readonly_fields = fields

    def get_queryset(self, request) -> QuerySet:
        return (
            super().get_queryset(request).filter(alert__in=policy.readable_alerts(request.user).values("pk"))
        )


@admin.register(RelayRule)
class RelayRuleAdmin(admin.ModelAdmin):
    """Relay rules of the user's own organisation (all of them for a superuser); kept on the relay-rules
    page, switched off here if need be."""

    list_display = [
        "organisation",
        "categories",
        "from_organisation_kinds",
        "minimum_severity",
        "is_active",
        "created_by",
    ]
    list_filter = ["is_active", "minimum_severity"]
    search_fields = ["organisation__code", "organisation__name", "note"]
    list_select_related = ["organisation", "created_by"]
    fields = [
        "organisation",
        "from_organisation_kinds",
        "categories",
        "minimum_severity",
        "note",
        "is_active",
        "created_by",
    ]
    readonly_fields = [
        "organisation",
        "from_organisation_kinds",
        "categories",
        "minimum_severity",
        "created_by",
    ]

    def get_queryset(self, request) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return (
            queryset.filter(organisation_id=request.user.organisation_id)
            if request.user.organisation_id
            else queryset.none()
        )

    def has_module_permission(self, request) -> bool:
        return access.can_use_admin(request.user) and super().has_module_permission(request)

    def has_add_permission(self, request) -> bool:
        # Rules are set up on the relay-rules page, which records who answers for them.
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        if not (access.can_use_admin(request.user) and super().has_change_permission(request, obj)):
            return False
        return (
            obj is None
            or request.user.is_superuser
            or (access.can_send_alerts(request.user) and obj.organisation_id == request.user.organisation_id)
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("No such record, or not one you may see."))
        return obj


@admin.register(Acknowledgement)
class AcknowledgementAdmin(ReadOnlyAdmin):
    list_display = ["recipient", "acknowledged_at", "via", "by_user", "by_contact"]
    list_filter = ["via"]
    search_fields = ["recipient__organisation__code", "recipient__alert__title"]
    list_select_related = ["recipient__alert", "recipient__organisation", "by_user", "by_contact"]

    def get_queryset(self, request) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            # Rows name their alert by its title: only alerts whose content the user may read.
            .filter(recipient__alert__in=policy.readable_alerts(request.user).values("pk"))
        )
