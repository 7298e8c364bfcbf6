"""The intel area in the Django admin: read-only, and never wider than the sharing policy.

Observables are added, removed and retyped on the items' pages, indicator sets and incidents through the
area's services, and imports arrive through `ceptoar import` or the import pages: each of those asks the
policy and keeps its record. A change here would skip both, so nobody adds, changes or deletes anything here.
The admin lists only indicator sets and incidents the person may see, and the ATT&CK techniques (public
reference data); observables and sightings, which would show what other organisations reported, are not
listed at all.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from ceptoar.accounts.access import can_use_admin
from ceptoar.intel.models import Incident, IndicatorSet, Technique
from ceptoar.sharing import policy


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_module_permission(self, request) -> bool:
        return can_use_admin(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return can_use_admin(request.user)

    def has_add_permission(self, request, obj=None) -> bool:
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


@admin.register(IndicatorSet)
class IndicatorSetAdmin(_ReadOnlyAdmin):
    list_display = ("title", "tlp", "status", "origin_organisation", "published_at")
    list_filter = ("status", "tlp")
    exclude = ("audience",)

    def get_queryset(self, request) -> QuerySet:
        return policy.visible_indicator_sets(request.user, super().get_queryset(request))


@admin.register(Incident)
class IncidentAdmin(_ReadOnlyAdmin):
    list_display = ("title", "status", "organisation", "created_at")
    list_filter = ("status",)
    exclude = ("reports",)

    def get_queryset(self, request) -> QuerySet:
        return policy.visible_incidents(request.user, super().get_queryset(request))


@admin.register(Technique)
class TechniqueAdmin(_ReadOnlyAdmin):
    list_display = ("external_id", "name", "domain", "deprecated")
    list_filter = ("domain", "deprecated")
    search_fields = ("external_id", "name")
