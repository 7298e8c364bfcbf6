"""Registry pages. Thin: each view asks `access` what the user may see and `queries` for the data.

The structure of the community (sectors, CEPTOARs, sub-groups, memberships) is shown to every
signed-in user; points of contact and rules acceptance only where `access` allows.
"""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.paginator import Page
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ceptoar.accounts import access
from ceptoar.registry import queries
from ceptoar.registry.forms.organisations import FreshnessForm, OrganisationFilterForm
from ceptoar.registry.models import (
    AnalysisFunction,
    CommunicationMeans,
    Contact,
    ContactChannel,
    CouncilSeat,
    HandlingRules,
    Membership,
    Organisation,
    OrganisationKind,
    Oversight,
    RulesAcceptance,
    Sector,
)
from ceptoar.registry.services.verification import mark_contact_verified
from ceptoar.utilities.pagination import paginate

PAGE_SIZE = 50
FRESHNESS_PAGE_SIZE = 50


def _page(request, queryset, param: str = "page", per_page: int = PAGE_SIZE) -> Page:
    return paginate(request, queryset, per_page, param)


def _member_counts():
    return {
        "member_count": Count("member_links"),
        "direct_count": Count("member_links", filter=Q(member_links__via=None)),
        "observer_count": Count("member_links", filter=Q(member_links__is_observer=True)),
    }


def _profile(ceptoar: Organisation):
    try:
        return ceptoar.ceptoar_profile
    except ObjectDoesNotExist:
        return None


def tree(request):
    # Four queries whatever the size of the registry: CEPTOARs with their counts, and three prefetches.
    ceptoars = list(
        Organisation.objects.ceptoars()
        .select_related("sector", "ceptoar_profile__secretariat")
        .annotate(**_member_counts())
        .prefetch_related(
            Prefetch(
                "overseen_by",
                queryset=Oversight.objects.select_related("ministry").order_by("ministry__code"),
            ),
            Prefetch(
                "councils", queryset=CouncilSeat.objects.select_related("council").order_by("council__code")
            ),
            Prefetch(
                "subgroups",
                queryset=Organisation.objects.annotate(member_count=Count("relayed_memberships")).order_by(
                    "pk"
                ),
                to_attr="subgroup_list",
            ),
        )
        .order_by("ceptoar_profile__map_position", "code")
    )
    by_sector = defaultdict(list)
    for ceptoar in ceptoars:
        ceptoar.profile = _profile(ceptoar)
        by_sector[ceptoar.sector_id].append(ceptoar)
    sectors = list(Sector.objects.all())
    for sector in sectors:
        sector.ceptoar_list = by_sector.get(sector.pk, [])
        sector.member_total = sum(c.member_count for c in sector.ceptoar_list)
    kind_counts = dict(Organisation.objects.order_by().values_list("kind").annotate(n=Count("pk")))
    others = [
        (kind, label, kind_counts.get(kind, 0))
        for kind, label in OrganisationKind.choices
        if kind not in (OrganisationKind.CEPTOAR, OrganisationKind.SUBGROUP, OrganisationKind.MEMBER)
    ]
    context = {
        "sectors": sectors,
        "ceptoar_total": len(ceptoars),
        "membership_total": sum(c.member_count for c in ceptoars),
        "others": others,
    }
    return render(request, "registry/tree.html", context)


def organisation_list(request):
    form = OrganisationFilterForm(request.GET)
    organisations = (
        Organisation.objects.select_related("sector", "parent")
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("ceptoar", "via").order_by("ceptoar__code"),
            )
        )
        .order_by("code")
    )
    valid = form.is_valid()
    # A filter that names nothing is an error, not an empty result or a silently wider list.
    organisations = form.filter(organisations) if valid else organisations.none()
    page = _page(request, organisations)
    filtered = any(request.GET.get(name) for name in form.fields)
    context = {"form": form, "page": page, "filtered": filtered, "valid": valid}
    return render(request, "registry/organisation_list.html", context, status=200 if valid else 400)


def _structure(organisation: Organisation) -> dict:
    """What anyone signed in may read about an organisation: its place in the community."""
    context: dict = {
        "memberships": list(
            organisation.memberships.select_related("ceptoar", "via").order_by("ceptoar__code")
        ),
        "secretariat_of": list(
            Organisation.objects.ceptoars().filter(ceptoar_profile__secretariat=organisation).order_by("code")
        ),
    }
    kind = organisation.kind
    if kind == OrganisationKind.CEPTOAR:
        profile = _profile(organisation)
        context["profile"] = profile
        if profile is not None:
            means = dict(CommunicationMeans.choices)
            functions = dict(AnalysisFunction.choices)
            context["communication_means"] = [means.get(v, v) for v in profile.communication_means or []]
            context["analysis_functions"] = [functions.get(v, v) for v in profile.analysis_functions or []]
        context["ministries"] = [
            o.ministry for o in organisation.overseen_by.select_related("ministry").order_by("ministry__code")
        ]
        context["councils"] = [s.council for s in organisation.councils.select_related("council")]
        context["subgroups"] = list(
            organisation.subgroups.annotate(member_count=Count("relayed_memberships")).order_by("pk")
        )
        counts = Organisation.objects.filter(pk=organisation.pk).aggregate(**_member_counts())
        context.update(counts)
    elif kind == OrganisationKind.SUBGROUP:
        context["relayed_count"] = organisation.relayed_memberships.count()
    elif kind == OrganisationKind.COUNCIL:
        context["seats"] = [
            s.ceptoar for s in organisation.council_seats.select_related("ceptoar").order_by("ceptoar__code")
        ]
    elif kind == OrganisationKind.MINISTRY:
        context["overseen"] = [
            o.ceptoar for o in organisation.oversights.select_related("ceptoar").order_by("ceptoar__code")
        ]
    return context


def _contacts(organisation: Organisation) -> dict:
    contacts = list(
        organisation.contacts.filter(is_active=True)
        .prefetch_related(Prefetch("channels", queryset=ContactChannel.objects.order_by("position", "id")))
        .order_by("position", "id")
    )
    days = settings.CEPTOAR_CONTACT_STALE_DAYS
    stale_ids = set(queries.stale_contacts(organisation.contacts.all(), days).values_list("pk", flat=True))
    for contact in contacts:
        contact.is_stale = contact.pk in stale_ids
    return {"contacts": contacts, "stale_days": days}


def _rules_status(organisation: Organisation, memberships: list[Membership]) -> dict:
    context: dict = {}
    if organisation.kind == OrganisationKind.CEPTOAR:
        current = queries.current_rules(organisation)
        versions = list(
            organisation.handling_rules.annotate(acceptance_count=Count("acceptances")).order_by("-version")
        )
        for rules in versions:
            rules.is_current = current is not None and rules.pk == current.pk
        context["rules_versions"] = versions
        context["current_rules"] = current
    if memberships:
        acceptances = list(
            RulesAcceptance.objects.filter(organisation=organisation)
            .select_related("rules")
            .order_by("-rules__version", "-accepted_on")
        )
        accepted_ids = {a.rules_id for a in acceptances}
        latest: dict[int, RulesAcceptance] = {}
        for acceptance in acceptances:
            latest.setdefault(acceptance.rules.ceptoar_id, acceptance)
        rows = []
        for membership in memberships:
            current = queries.current_rules(membership.ceptoar)
            rows.append(
                {
                    "ceptoar": membership.ceptoar,
                    "current": current,
                    "latest": latest.get(membership.ceptoar_id),
                    "accepted_current": current is not None and current.pk in accepted_ids,
                }
            )
        context["acceptance_rows"] = rows
    return context


def organisation_detail(request, code):
    organisation = get_object_or_404(Organisation.objects.select_related("sector", "parent"), code=code)
    context = {"organisation": organisation, **_structure(organisation)}
    can_view = access.can_view_contacts(request.user, organisation)
    context["can_view_contacts"] = can_view
    if can_view:
        context.update(_contacts(organisation))
        context.update(_rules_status(organisation, context["memberships"]))
        context["can_edit_contacts"] = access.can_edit_contacts(request.user, organisation)
    return render(request, "registry/organisation_detail.html", context)


@require_POST
def contact_verify(request, pk):
    contact = get_object_or_404(Contact.objects.select_related("organisation"), pk=pk)
    if not access.can_edit_contacts(request.user, contact.organisation):
        raise PermissionDenied(_("You may not change the contacts of this organisation."))
    mark_contact_verified(contact)
    messages.success(
        request,
        _("%(name)s: marked as verified on %(date)s.")
        % {"name": contact.name, "date": contact.last_verified_on.isoformat()},
    )
    detail = reverse("registry:organisation_detail", args=[contact.organisation.code])
    return redirect(f"{detail}#contact-{contact.pk}")


def _rules_by_owner(watched, today) -> list[dict]:
    """Per CEPTOAR (its members among `watched`) and per council (its seated CEPTOARs among `watched`): the
    rules in force, how many are bound by them and how many have not accepted that version. Four queries."""

    def counts(rows, key: str) -> dict[int, int]:
        return dict(rows.order_by().values(key).annotate(n=Count("pk")).values_list(key, "n"))

    memberships = Membership.objects.filter(member__in=watched)
    seats = CouncilSeat.objects.filter(ceptoar__in=watched)
    bound = counts(memberships, "ceptoar_id") | counts(seats, "council_id")
    missing = counts(queries.memberships_without_current_acceptance(memberships, today), "ceptoar_id")
    missing |= counts(queries.seats_without_current_acceptance(seats, today), "council_id")
    rows = []
    for owner in Organisation.objects.filter(pk__in=bound).order_by("kind", "code"):
        rules = queries.current_rules(owner, today)
        if rules is not None:
            rows.append(
                {
                    "owner": owner,
                    "rules": rules,
                    "bound": bound[owner.pk],
                    "not_accepted": missing.get(owner.pk, 0),
                }
            )
    return rows


def freshness(request):
    form = FreshnessForm(request.GET if "days" in request.GET else None)
    days_valid = not form.is_bound or form.is_valid()
    days = form.days_or_default()
    today = timezone.localdate()
    watched = access.organisations_watched_by(request.user)

    stale = (
        queries.stale_contacts(Contact.objects.filter(organisation__in=watched), days, today)
        .select_related("organisation")
        .order_by("last_verified_on", "organisation__code", "position", "id")
    )
    lacking = queries.organisations_lacking_poc(watched).select_related("sector").order_by("code")
    not_accepted = (
        queries.memberships_without_current_acceptance(Membership.objects.filter(member__in=watched), today)
        .select_related("member", "ceptoar")
        .order_by("ceptoar__code", "member__code")
    )

    stale_page = _page(request, stale, "stale_page", FRESHNESS_PAGE_SIZE)
    for contact in stale_page:
        contact.days_since = (today - contact.last_verified_on).days if contact.last_verified_on else None
    lacking_page = _page(request, lacking, "lacking_page", FRESHNESS_PAGE_SIZE)
    rules_page = _page(request, not_accepted, "rules_page", FRESHNESS_PAGE_SIZE)
    rules_by_id = HandlingRules.objects.in_bulk({m.current_rules_id for m in rules_page})
    for membership in rules_page:
        membership.current_rules = rules_by_id.get(membership.current_rules_id)

    context = {
        "form": form,
        "days_valid": days_valid,
        "days": days,
        "default_days": settings.CEPTOAR_CONTACT_STALE_DAYS,
        "watched_count": watched.count(),
        "stale_page": stale_page,
        "lacking_page": lacking_page,
        "rules_page": rules_page,
        "rules_by_owner": _rules_by_owner(watched, today),
    }
    return render(request, "registry/freshness.html", context, status=200 if days_valid else 400)
