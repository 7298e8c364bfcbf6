"""Sharing agreements in the Django admin: read-only, and never wider than `agreements.access`.

An agreement is proposed, accepted, suspended, resumed and revoked on the agreement pages, through
`agreements.services.lifecycle`, which writes each step into its history. Changing a row here would change
what two organisations agreed to, or rewrite that history, without either: so nobody adds, changes or
deletes anything here, not even a superuser. The admin lists the agreements the person may see on the site.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from ceptoar.accounts.access import can_use_admin
from ceptoar.agreements.access import agreements_visible_to
from ceptoar.agreements.models import Agreement, AgreementEvent, AgreementParty, AgreementTerm


class _ReadOnly:
    """Who may look is `can_use_admin` and `agreements_visible_to`, not model permissions (the demo's
    admin groups hold none for this app); nobody writes."""

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


class _ReadOnlyAdmin(_ReadOnly, admin.ModelAdmin):
    # The path to the agreement from each model's rows ("" for the agreement itself).
    agreement_path = "agreement__"

    def get_queryset(self, request) -> QuerySet:
        visible = agreements_visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(**{f"{self.agreement_path}pk__in": visible})

    def get_object(self, request, object_id, from_field=None):
        # A row hidden from the user answers exactly like one that does not exist.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("No such record, or not one you may see."))
        return obj


class _Inline(_ReadOnly, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False


class PartyInline(_Inline):
    model = AgreementParty
    fields = ["organisation", "accepted_at", "accepted_by"]
    readonly_fields = fields


class TermInline(_Inline):
    model = AgreementTerm
    fields = ["source", "receiver", "kinds", "categories", "highest_tlp", "may_relay", "originator"]
    readonly_fields = fields


class EventInline(_Inline):
    model = AgreementEvent
    fields = ["at", "action", "status_after", "organisation", "user", "reason"]
    readonly_fields = fields


@admin.register(Agreement)
class AgreementAdmin(_ReadOnlyAdmin):
    agreement_path = ""
    list_display = ["code", "title", "version", "status", "valid_from", "valid_to", "proposed_by"]
    list_filter = ["status"]
    search_fields = ["code", "title", "parties__organisation__code", "parties__organisation__name"]
    list_select_related = ["proposed_by"]
    fields = [
        "code",
        "title",
        "text",
        "version",
        "status",
        "valid_from",
        "valid_to",
        "supersedes",
        "proposed_by",
        "proposed_by_user",
        "created_at",
        "in_force_at",
        "ended_at",
    ]
    readonly_fields = fields
    inlines = [PartyInline, TermInline, EventInline]

    def get_search_results(self, request, queryset, search_term):
        results, _duplicates = super().get_search_results(request, queryset, search_term)
        # Searching by party joins the parties: one row per agreement all the same.
        return results.distinct(), False


@admin.register(AgreementParty)
class AgreementPartyAdmin(_ReadOnlyAdmin):
    list_display = ["agreement", "organisation", "accepted_at", "accepted_by"]
    search_fields = ["agreement__code", "organisation__code", "organisation__name"]
    list_select_related = ["agreement", "organisation", "accepted_by"]
    fields = ["agreement", "organisation", "accepted_at", "accepted_by"]
    readonly_fields = fields


@admin.register(AgreementTerm)
class AgreementTermAdmin(_ReadOnlyAdmin):
    list_display = ["agreement", "source", "receiver", "highest_tlp", "may_relay", "originator"]
    list_filter = ["highest_tlp", "may_relay", "originator"]
    search_fields = ["agreement__code", "source__code", "receiver__code"]
    list_select_related = ["agreement", "source", "receiver"]
    fields = [
        "agreement",
        "source",
        "receiver",
        "kinds",
        "categories",
        "highest_tlp",
        "may_relay",
        "originator",
    ]
    readonly_fields = fields


@admin.register(AgreementEvent)
class AgreementEventAdmin(_ReadOnlyAdmin):
    """The history: kept for ever, as the lifecycle wrote it."""

    list_display = ["at", "agreement", "action", "status_after", "organisation", "user"]
    list_filter = ["action"]
    search_fields = ["agreement__code", "organisation__code", "reason"]
    list_select_related = ["agreement", "organisation", "user"]
    date_hierarchy = "at"
    fields = ["agreement", "at", "action", "status_after", "organisation", "user", "reason"]
    readonly_fields = fields
