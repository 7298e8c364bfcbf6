"""Handling-rules pages: an organisation reads the rules that bind it (its CEPTOARs', its councils') and the
agreements it is party to, and accepts a new version; a CEPTOAR's or council's secretariat publishes one.

Who may read: whoever may read the organisation's rules acceptance (`access.can_view_contacts`). Who may
accept or publish: `access.may_accept_rules_for`, `access.may_publish_rules_for`; the services decide again.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ceptoar.accounts import access
from ceptoar.agreements.models import AgreementParty
from ceptoar.registry import queries
from ceptoar.registry.forms.rules import AcceptRulesForm, PublishRulesForm
from ceptoar.registry.models import (
    RULES_OWNER_KINDS,
    HandlingRules,
    Organisation,
    OrganisationKind,
    RulesAcceptance,
)
from ceptoar.registry.services.rules_acceptance import do_accept_rules
from ceptoar.registry.services.rules_publication import do_publish_rules
from ceptoar.utilities.refusals import REFUSED, attempt


def my_rules(request):
    """The rules page of the user's own organisation (where the e-mails point)."""
    if request.user.organisation_id is None:
        raise Http404(_("Your account is not linked to an organisation."))
    return redirect("registry:organisation_rules", code=request.user.organisation.code)


def _readable_organisation(user, code: str) -> Organisation:
    organisation = get_object_or_404(Organisation, code=code)
    if not access.can_view_contacts(user, organisation):
        raise PermissionDenied(_("You may not read this organisation's handling rules."))
    return organisation


def _owners_binding(organisation: Organisation) -> list[Organisation]:
    """The CEPTOARs it is a member of, then the councils it is seated in (for a CEPTOAR)."""
    owners = list(Organisation.objects.filter(member_links__member=organisation).order_by("code").distinct())
    owners += list(Organisation.objects.filter(council_seats__ceptoar=organisation).order_by("code"))
    return owners


def _binding_entry(organisation: Organisation, owner: Organisation, today) -> dict:
    current = queries.current_rules(owner, today)
    latest = queries.latest_rules(owner)
    accepted = {
        a.rules_id: a for a in RulesAcceptance.objects.filter(organisation=organisation, rules__ceptoar=owner)
    }
    return {
        "owner": owner,
        "current": current,
        "latest": latest,
        "current_acceptance": accepted.get(current.pk) if current else None,
        "latest_acceptance": accepted.get(latest.pk) if latest else None,
        "ahead": latest is not None and (current is None or latest.pk != current.pk),
        # The sharing policy holds AMBER back from members of a CEPTOAR whose rules in force they have not
        # accepted; a council's rules do not (yet) change what reaches a CEPTOAR.
        "amber_held_back": owner.kind == OrganisationKind.CEPTOAR
        and current is not None
        and current.pk not in accepted,
        # The version in force first (accepting it is what lets AMBER through now), then one still to come.
        "to_accept": next((r for r in (current, latest) if r is not None and r.pk not in accepted), None),
    }


def _own_rules(owner: Organisation, user) -> dict:
    versions = list(owner.handling_rules.annotate(acceptance_count=Count("acceptances")).order_by("-version"))
    return {
        "versions": versions,
        "bound_count": queries.organisations_bound_by_rules_of(owner).count(),
        "may_publish": access.may_publish_rules_for(user, owner),
    }


def _page(request, organisation: Organisation, accept_forms: dict | None = None, status: int = 200):
    today = timezone.localdate()
    may_accept = access.may_accept_rules_for(request.user, organisation)
    entries = [_binding_entry(organisation, owner, today) for owner in _owners_binding(organisation)]
    for entry in entries:
        if may_accept and entry["to_accept"] is not None:
            pk = entry["to_accept"].pk
            entry["form"] = (accept_forms or {}).get(pk) or AcceptRulesForm(
                initial={"accepted_by_name": str(request.user)}, prefix=f"rules-{pk}"
            )
    parties = (
        AgreementParty.objects.filter(organisation=organisation)
        .select_related("agreement")
        .order_by("agreement__code")
    )
    context = {
        "organisation": organisation,
        "entries": entries,
        "may_accept": may_accept,
        "own": _own_rules(organisation, request.user) if organisation.kind in RULES_OWNER_KINDS else None,
        "agreements": [party.agreement for party in parties],
    }
    return render(request, "registry/rules.html", context, status=status)


def organisation_rules(request, code):
    return _page(request, _readable_organisation(request.user, code))


@require_POST
def rules_accept(request, code, rules_pk):
    organisation = _readable_organisation(request.user, code)
    rules = get_object_or_404(HandlingRules.objects.select_related("ceptoar"), pk=rules_pk)
    # The page's form for this version carries the version's own prefix; a plain post is read as well.
    prefix = f"rules-{rules.pk}" if f"rules-{rules.pk}-accepted_by_name" in request.POST else None
    form = AcceptRulesForm(request.POST, prefix=prefix)
    if form.is_valid():
        done = attempt(
            form,
            lambda: do_accept_rules(
                request.user, organisation, rules, accepted_by_name=form.cleaned_data["accepted_by_name"]
            ),
        )
        if done is not REFUSED:
            messages.success(
                request,
                _("%(organisation)s accepted version %(version)s of “%(title)s”.")
                % {"organisation": organisation.name, "version": rules.version, "title": rules.title},
            )
            return redirect("registry:organisation_rules", code=organisation.code)
    form.prefix = f"rules-{rules.pk}"
    return _page(request, organisation, {rules.pk: form}, status=400)


def rules_publish(request, code):
    owner = get_object_or_404(Organisation, code=code, kind__in=RULES_OWNER_KINDS)
    if not access.may_publish_rules_for(request.user, owner):
        raise PermissionDenied(_("You may not publish handling rules for this organisation."))
    previous = queries.latest_rules(owner)
    status = 200
    if request.method == "POST":
        form = PublishRulesForm(request.POST)
        if form.is_valid():
            done = attempt(form, lambda: do_publish_rules(request.user, owner, form.draft()))
            if done is not REFUSED:
                rules, addresses = done
                messages.success(
                    request,
                    _(
                        "Version %(version)s is published. %(count)s points of contact were e-mailed and "
                        "asked to accept it."
                    )
                    % {"version": rules.version, "count": len(addresses)},
                )
                return redirect("registry:organisation_rules", code=owner.code)
        status = 400
    else:
        initial = {"enacted_on": timezone.localdate()}
        if previous is not None:
            initial |= {
                "title": previous.title,
                "text": previous.text,
                "highest_tlp_shared": previous.highest_tlp_shared,
            }
        form = PublishRulesForm(initial=initial)
    context = {"owner": owner, "previous": previous, "form": form}
    return render(request, "registry/rules_publish.html", context, status=status)
