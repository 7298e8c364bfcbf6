"""The audit log in the Django admin: read-only, and only for those `policy.can_browse_audit` admits.

Nobody adds, changes or deletes an entry here, not even a superuser: a log that can be edited proves nothing.
"""

from __future__ import annotations

from django.contrib import admin

from ceptoar.sharing import policy
from ceptoar.sharing.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "user", "organisation", "action", "item_type", "item_id", "tlp")
    list_filter = ("tlp", "action", "item_type")
    search_fields = ("user__username", "organisation__code", "item_type")
    date_hierarchy = "at"
    list_select_related = ("user", "organisation")
    readonly_fields = ("at", "user", "organisation", "action", "item_type", "item_id", "tlp", "detail")
    fields = readonly_fields

    # The policy decides, not model permissions: the demo's "auditors" group holds none for this app.
    def has_module_permission(self, request) -> bool:
        return policy.can_browse_audit(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return policy.can_browse_audit(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
