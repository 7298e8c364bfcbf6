"""The registry in the Django admin, for the people who keep it.

Every admin class here (and the user admin in accounts) inherits `AccessControlledAdmin`, so that what a
staff account may read and change is decided by `ceptoar.accounts.access` exactly as on the registry's own
pages: Django's model permissions say which screens an account may open at all; `access` says which rows
it sees on them and which of those it may change. A member's staff account, whatever permissions it has
been given, never reads another member's points of contact here — not in lists, search, autocomplete,
change pages or history.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import Http404, HttpResponseRedirect
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ceptoar.accounts import access
from ceptoar.registry import queries
from ceptoar.registry.models import (
    POC_ROLES,
    AnalysisFunction,
    CeptoarProfile,
    CommunicationMeans,
    Contact,
    ContactChannel,
    CouncilSeat,
    HandlingRules,
    Membership,
    Organisation,
    Oversight,
    RulesAcceptance,
    Sector,
)
from ceptoar.registry.services.verification import mark_contact_verified


def _lookup(path: str, suffix: str) -> str:
    """The ORM lookup for `suffix` on the organisation reached by `path` ("" is the row itself)."""
    return f"{path}__{suffix}" if path else f"pk__{suffix}"


def _follow(obj: Model, path: str):
    for name in filter(None, path.split("__")):
        if obj is None:
            return None
        obj = getattr(obj, name)
    return obj


def _per_request(request, key: str, compute):
    """The admin asks the same permission question for every model in its sidebar; ask `access` once."""
    memo = request.__dict__.setdefault("_ceptoar_admin_access", {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]


class AccessControlledAdmin(admin.ModelAdmin):
    """Admin access asked of `ceptoar.accounts.access`, written once.

    visible_through: path from the row to the organisation whose points of contact it exposes; rows are
        limited to `access.contact_organisations_visible_to`. None: the row holds no contact data (the
        structure of the community is shown to every signed-in user, as on the registry's pages).
    maintained_through: paths to the organisations whose upkeep the row belongs to; the row may be changed
        or deleted only where `access.can_edit_contacts` holds for all of them. Empty: only those who keep
        the registry's structure (`access.can_edit_structure`) change it.
    maintained_choices: foreign keys whose choices are narrowed to what the user maintains, as
        field name → path from the chosen row to its organisation. This is what stops a member from moving
        its contact to, or adding one for, another organisation.
    """

    visible_through: str | None = None
    maintained_through: tuple[str, ...] = ()
    maintained_choices: dict[str, str] = {}

    # - who may open which screens -
    def has_module_permission(self, request) -> bool:
        return access.can_use_admin(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        if not (access.can_use_admin(request.user) and super().has_view_permission(request, obj)):
            return False
        return obj is None or self.can_see(request, obj)

    def has_add_permission(self, request) -> bool:
        if not (access.can_use_admin(request.user) and super().has_add_permission(request)):
            return False
        if not self.maintained_through:
            return access.can_edit_structure(request.user)
        return _per_request(
            request, "maintains_any", lambda: access.organisations_maintained_by(request.user).exists()
        )

    def has_change_permission(self, request, obj=None) -> bool:
        if not (access.can_use_admin(request.user) and super().has_change_permission(request, obj)):
            return False
        return obj is None or self.can_maintain(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if not (access.can_use_admin(request.user) and super().has_delete_permission(request, obj)):
            return False
        return obj is None or self.can_maintain(request, obj)

    # - which rows -
    def can_see(self, request, obj) -> bool:
        if self.visible_through is None or access.sees_everything(request.user):
            return True
        organisation = _follow(obj, self.visible_through)
        return organisation is not None and access.can_view_contacts(request.user, organisation)

    def can_maintain(self, request, obj) -> bool:
        if not self.maintained_through:
            return access.can_edit_structure(request.user)
        for path in self.maintained_through:
            organisation = _follow(obj, path)
            if organisation is None or not access.can_edit_contacts(request.user, organisation):
                return False
        return True

    def get_queryset(self, request) -> QuerySet:
        queryset = super().get_queryset(request)
        if self.visible_through is not None and not access.sees_everything(request.user):
            queryset = queryset.filter(
                **{_lookup(self.visible_through, "in"): access.contact_organisations_visible_to(request.user)}
            )
        return queryset

    def get_object(self, request, object_id, from_field=None):
        # A row hidden from the user answers exactly like one that does not exist: no hint that it does.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("No such record, or not one you may see."))
        return obj

    # - what may be chosen -
    def maintained_choices_for(self, request, field_name: str, queryset: QuerySet) -> QuerySet:
        path = self.maintained_choices.get(field_name)
        if path is None or request.user.is_superuser:
            return queryset
        return queryset.filter(**{_lookup(path, "in"): access.organisations_maintained_by(request.user)})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.maintained_choices and "queryset" not in kwargs:
            related = db_field.remote_field.model._default_manager.all()
            kwargs["queryset"] = self.maintained_choices_for(request, db_field.name, related)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # The admin's autocomplete asks the chosen model's admin; narrow it as the form will when saving.
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "autocomplete":
            source = _autocomplete_source(self.admin_site, request)
            if source is not None:
                source_admin, field_name = source
                queryset = source_admin.maintained_choices_for(request, field_name, queryset)
        return queryset, may_have_duplicates


def _autocomplete_source(site: admin.AdminSite, request) -> tuple[AccessControlledAdmin, str] | None:
    from django.apps import apps

    try:
        model = apps.get_model(request.GET["app_label"], request.GET["model_name"])
    except (KeyError, LookupError):
        return None
    source_admin = site._registry.get(model)
    if isinstance(source_admin, AccessControlledAdmin):
        return source_admin, request.GET.get("field_name", "")
    return None


class AccessControlledInline:
    """Inlines follow their parent row: editable only where the parent's admin lets the user change it."""

    def _parent_may_change(self, request, obj) -> bool:
        if obj is None:
            return True
        parent_admin = self.admin_site._registry.get(self.parent_model)
        return parent_admin is None or parent_admin.can_maintain(request, obj)

    def has_view_permission(self, request, obj=None) -> bool:
        return access.can_use_admin(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, obj) -> bool:
        return (
            access.can_use_admin(request.user)
            and super().has_add_permission(request, obj)
            and self._parent_may_change(request, obj)
        )

    def has_change_permission(self, request, obj=None) -> bool:
        return (
            access.can_use_admin(request.user)
            and super().has_change_permission(request, obj)
            and self._parent_may_change(request, obj)
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return (
            access.can_use_admin(request.user)
            and super().has_delete_permission(request, obj)
            and self._parent_may_change(request, obj)
        )


# -- structure ---------------------------------------------------------------------------------------


@admin.register(Sector)
class SectorAdmin(AccessControlledAdmin):
    list_display = ["code", "name", "name_en", "position"]
    search_fields = ["code", "name", "name_en"]
    ordering = ["position", "code"]


STRUCTURAL_ORGANISATION_FIELDS = ("code", "kind", "sector", "parent")


@admin.register(Organisation)
class OrganisationAdmin(AccessControlledAdmin):
    list_display = ["code", "name", "kind", "sector", "parent", "updated_at"]
    list_filter = ["kind", "sector"]
    search_fields = ["code", "name", "name_en", "domain"]
    list_select_related = ["sector", "parent"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["created_at", "updated_at"]
    ordering = ["code"]
    maintained_through = ("",)
    fieldsets = [
        (None, {"fields": ["code", "name", "name_en", "kind", "sector", "parent"]}),
        (_("Details"), {"fields": ["postal_address", "domain", "notes", "created_at", "updated_at"]}),
    ]

    def has_add_permission(self, request) -> bool:
        # New organisations come from the hub or from an import; a secretariat adds members by import.
        return super().has_add_permission(request) and access.can_edit_structure(request.user)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not access.can_edit_structure(request.user):
            fields += STRUCTURAL_ORGANISATION_FIELDS
        return fields


class CeptoarProfileForm(forms.ModelForm):
    communication_means = forms.MultipleChoiceField(
        label=_("means of communication"),
        choices=CommunicationMeans.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    analysis_functions = forms.MultipleChoiceField(
        label=_("analysis functions"),
        choices=AnalysisFunction.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = CeptoarProfile
        fields = [
            "ceptoar",
            "business_scope",
            "secretariat",
            "established_on",
            "poc_started_on",
            "information_shared",
            "communication_means",
            "member_description",
            "features",
            "analysis_functions",
            "map_position",
        ]


@admin.register(CeptoarProfile)
class CeptoarProfileAdmin(AccessControlledAdmin):
    form = CeptoarProfileForm
    list_display = [
        "ceptoar",
        "business_scope",
        "secretariat",
        "established_on",
        "poc_started_on",
        "map_position",
    ]
    search_fields = ["ceptoar__code", "ceptoar__name", "business_scope", "secretariat__name"]
    list_select_related = ["ceptoar", "secretariat"]
    autocomplete_fields = ["ceptoar", "secretariat"]
    ordering = ["map_position"]


@admin.register(Oversight)
class OversightAdmin(AccessControlledAdmin):
    list_display = ["ministry", "ceptoar"]
    list_filter = [("ministry", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["ministry__code", "ministry__name", "ceptoar__code", "ceptoar__name"]
    list_select_related = ["ministry", "ceptoar"]
    autocomplete_fields = ["ministry", "ceptoar"]


@admin.register(CouncilSeat)
class CouncilSeatAdmin(AccessControlledAdmin):
    list_display = ["council", "ceptoar", "kind", "shown_on_map"]
    list_filter = [("council", admin.RelatedOnlyFieldListFilter), "kind", "shown_on_map"]
    search_fields = ["council__code", "council__name", "ceptoar__code", "ceptoar__name"]
    list_select_related = ["council", "ceptoar"]
    autocomplete_fields = ["council", "ceptoar"]


@admin.register(Membership)
class MembershipAdmin(AccessControlledAdmin):
    list_display = ["member", "member_code", "ceptoar", "via", "unit", "is_observer", "joined_on"]
    list_filter = [("ceptoar", admin.RelatedOnlyFieldListFilter), "unit", "is_observer"]
    search_fields = ["member__code", "member__name", "ceptoar__code", "via__code"]
    list_select_related = ["member", "ceptoar", "via"]
    autocomplete_fields = ["ceptoar", "member", "via"]
    # The membership is what shows a secretariat a member's contacts, so a secretariat may rearrange
    # (sub-group, unit, observer) and remove its own CEPTOAR's members but not enrol someone else's.
    maintained_through = ("ceptoar", "member")
    maintained_choices = {"ceptoar": "", "member": ""}

    @admin.display(description=_("organisation code"), ordering="member__code")
    def member_code(self, obj: Membership) -> str:
        return obj.member.code


# -- points of contact ------------------------------------------------------------------------------


class EmergencyPocLost(Exception):
    """A change through the admin would leave organisations without an emergency POC; it is undone."""

    def __init__(self, organisations: list[Organisation]) -> None:
        self.organisations = organisations
        super().__init__(organisations)

    def messages(self) -> list[str]:
        return [
            gettext(
                "%(organisation)s must keep at least one active primary POC or 24/7 desk with a channel. "
                "Add or promote another one first."
            )
            % {"organisation": organisation.name}
            for organisation in self.organisations
        ]


def _lacking_poc(organisation_ids: set[int]) -> set[int]:
    organisations = Organisation.objects.filter(pk__in=organisation_ids)
    return set(queries.organisations_lacking_poc(organisations).values_list("pk", flat=True))


class KeepsEmergencyPocAdmin(AccessControlledAdmin):
    """Changes here obey the rule the contact pages obey (`services.contacts.save_contact`): a change may not leave
    a CEPTOAR or member that had an emergency POC without one. The admin's forms save the contact and its
    channels in separate steps, so the rule is checked on the result, inside the transaction, and a
    breaking change is rolled back and reported."""

    def affected_organisations(self, obj) -> set[int]:
        raise NotImplementedError

    def _before(self, request, organisation_ids: set[int]) -> None:
        memo = request.__dict__.setdefault("_ceptoar_poc_before", {})
        new = organisation_ids - set(memo)
        lacking = _lacking_poc(new) if new else set()
        for organisation_id in new:
            memo[organisation_id] = organisation_id in lacking

    def _check(self, request) -> None:
        before = request.__dict__.pop("_ceptoar_poc_before", {})
        newly = _lacking_poc(set(before)) - {o for o, lacking in before.items() if lacking}
        if newly:
            raise EmergencyPocLost(list(Organisation.objects.filter(pk__in=newly).order_by("code")))

    def save_model(self, request, obj, form, change):
        self._before(request, self.affected_organisations(obj) | self.previous_organisations(form))
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        self._check(request)

    def delete_model(self, request, obj):
        self._before(request, self.affected_organisations(obj))
        super().delete_model(request, obj)
        self._check(request)

    def delete_queryset(self, request, queryset):
        affected: set[int] = set()
        for obj in queryset:
            affected |= self.affected_organisations(obj)
        self._before(request, affected)
        super().delete_queryset(request, queryset)
        self._check(request)

    def previous_organisations(self, form) -> set[int]:
        """The organisation the row belonged to before this change (it may lose its POC by the move)."""
        return set()

    def _undo_on_lost_poc(self, request, view, *args, **kwargs):
        try:
            with transaction.atomic():
                return view(request, *args, **kwargs)
        except EmergencyPocLost as lost:
            for message in lost.messages():
                self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, *args, **kwargs):
        return self._undo_on_lost_poc(request, super().changeform_view, *args, **kwargs)

    def delete_view(self, request, *args, **kwargs):
        return self._undo_on_lost_poc(request, super().delete_view, *args, **kwargs)

    def changelist_view(self, request, *args, **kwargs):
        return self._undo_on_lost_poc(request, super().changelist_view, *args, **kwargs)


class ContactChannelFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        contact = self.instance  # already carries the contact form's new values
        kept = [
            form
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("value")
        ]
        if contact.is_active and contact.role in POC_ROLES and not kept:
            raise ValidationError(
                gettext("A %(role)s needs at least one channel: add an e-mail address or a telephone number.")
                % {"role": contact.get_role_display()}
            )


class ContactChannelInline(AccessControlledInline, admin.TabularInline):
    model = ContactChannel
    formset = ContactChannelFormSet
    fields = ["position", "kind", "value", "in_house"]
    ordering = ["position", "id"]
    extra = 1


@admin.register(Contact)
class ContactAdmin(KeepsEmergencyPocAdmin):
    list_display = [
        "name",
        "organisation",
        "organisation_code",
        "role",
        "kind",
        "availability",
        "last_verified_on",
        "is_active",
    ]
    list_filter = ["role", "kind", "availability", "is_active", "organisation__kind", "organisation__sector"]
    search_fields = ["name", "title", "organisation__code", "organisation__name", "channels__value"]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]
    inlines = [ContactChannelInline]
    actions = ["mark_verified"]
    visible_through = "organisation"
    maintained_through = ("organisation",)
    maintained_choices = {"organisation": ""}

    @admin.display(description=_("organisation code"), ordering="organisation__code")
    def organisation_code(self, obj: Contact) -> str:
        return obj.organisation.code

    def affected_organisations(self, obj: Contact) -> set[int]:
        return {obj.organisation_id} if obj.organisation_id else set()

    def previous_organisations(self, form) -> set[int]:
        previous = form.initial.get("organisation")
        return {previous} if previous else set()

    @admin.action(description=_("Mark as verified today"), permissions=["change"])
    def mark_verified(self, request, queryset):
        editable = queryset.filter(organisation__in=access.organisations_maintained_by(request.user))
        done = 0
        for contact in editable:
            mark_contact_verified(contact)
            done += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d point of contact marked as verified today.",
                "%(count)d points of contact marked as verified today.",
                done,
            )
            % {"count": done},
        )
        skipped = queryset.count() - done
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d point of contact was left alone: you do not keep its organisation's contacts.",
                    "%(count)d points of contact were left alone: you do not keep their organisations' contacts.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


@admin.register(ContactChannel)
class ContactChannelAdmin(KeepsEmergencyPocAdmin):
    list_display = ["value", "kind", "contact", "organisation_code", "position"]
    list_filter = ["kind"]
    search_fields = ["value", "contact__name", "contact__organisation__code", "contact__organisation__name"]
    list_select_related = ["contact__organisation"]
    autocomplete_fields = ["contact"]
    visible_through = "contact__organisation"
    maintained_through = ("contact__organisation",)
    maintained_choices = {"contact": "organisation"}

    @admin.display(description=_("organisation code"), ordering="contact__organisation__code")
    def organisation_code(self, obj: ContactChannel) -> str:
        return obj.contact.organisation.code

    def affected_organisations(self, obj: ContactChannel) -> set[int]:
        return {obj.contact.organisation_id} if obj.contact_id else set()

    def previous_organisations(self, form) -> set[int]:
        previous = form.initial.get("contact")
        return (
            set(Contact.objects.filter(pk=previous).values_list("organisation_id", flat=True))
            if previous
            else set()
        )


# -- handling rules ---------------------------------------------------------------------------------


@admin.register(HandlingRules)
class HandlingRulesAdmin(AccessControlledAdmin):
    list_display = ["title", "ceptoar", "version", "enacted_on"]
    list_filter = [("ceptoar", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title", "ceptoar__code", "ceptoar__name"]
    list_select_related = ["ceptoar"]
    autocomplete_fields = ["ceptoar"]
    maintained_through = ("ceptoar",)
    maintained_choices = {"ceptoar": ""}


@admin.register(RulesAcceptance)
class RulesAcceptanceAdmin(AccessControlledAdmin):
    list_display = ["organisation", "organisation_code", "rules", "accepted_on", "accepted_by_name"]
    list_filter = [("rules__ceptoar", admin.RelatedOnlyFieldListFilter), "accepted_on"]
    search_fields = ["organisation__code", "organisation__name", "accepted_by_name"]
    list_select_related = ["organisation", "rules__ceptoar"]
    autocomplete_fields = ["organisation", "rules"]
    raw_id_fields = ["accepted_by"]
    date_hierarchy = "accepted_on"
    visible_through = "organisation"
    maintained_through = ("organisation",)
    maintained_choices = {"organisation": "", "accepted_by": "organisation"}

    @admin.display(description=_("organisation code"), ordering="organisation__code")
    def organisation_code(self, obj: RulesAcceptance) -> str:
        return obj.organisation.code
