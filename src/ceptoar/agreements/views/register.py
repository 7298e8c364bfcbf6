"""The list of agreements (the hub's register of all of them; for anyone else those its organisation is party
to, the ones waiting for its acceptance first) and an agreement's page.

Thin: who sees which agreement is `agreements.access`, who may act for which party `views.common`, and what
flows is read from `agreements.register` / `agreements.flows`.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import render

from ceptoar.agreements import flows, register
from ceptoar.agreements.access import agreements_visible_to, organisations_represented_by, sees_register
from ceptoar.agreements.forms.lookups import AgreementFilterForm
from ceptoar.agreements.models import AgreementEvent, AgreementParty, AgreementStatus
from ceptoar.agreements.views.common import available_actions, visible_or_404
from ceptoar.utilities.pagination import paginate

PAGE_SIZE = 50


def _listed(queryset):
    return queryset.select_related("proposed_by").prefetch_related(
        Prefetch("parties", queryset=AgreementParty.objects.select_related("organisation"))
    )


def agreement_list(request):
    user = request.user
    visible = agreements_visible_to(user)
    form = AgreementFilterForm(request.GET)
    valid = form.is_valid()
    agreements = form.filter(visible) if valid else visible.none()
    page = paginate(request, _listed(agreements.distinct().order_by("code")), PAGE_SIZE)
    # Proposals a party the reader acts for has not accepted yet: its to-do, above the rest.
    waiting = _listed(
        visible.filter(
            status=AgreementStatus.PROPOSED,
            parties__organisation__in=organisations_represented_by(user),
            parties__accepted_at__isnull=True,
        )
        .distinct()
        .order_by("code")
    )
    binding = set(flows.agreements_in_force().values_list("pk", flat=True))
    context = {
        "form": form,
        "valid": valid,
        "filtered": any(request.GET.get(name) for name in form.fields),
        "page": page,
        "waiting": list(waiting),
        "binding": binding,
        "is_register": sees_register(user),
        "can_propose": organisations_represented_by(user).exists(),
    }
    return render(request, "agreements/list.html", context, status=200 if valid else 400)


def agreement_detail(request, pk):
    agreement = visible_or_404(request.user, pk)
    agreement = register.with_parties_and_terms(type(agreement).objects.filter(pk=agreement.pk)).get()
    visible = agreements_visible_to(request.user)
    context = {
        "agreement": agreement,
        "binding": register.is_binding(agreement),
        "terms": [register.describe_term(term) for term in agreement.terms.all()],
        "events": agreement.events.select_related("organisation", "user"),
        # Other versions are linked only where the reader may open them.
        "supersedes_visible": bool(
            agreement.supersedes_id and visible.filter(pk=agreement.supersedes_id).exists()
        ),
        "superseded_by": [
            (newer, visible.filter(pk=newer.pk).exists()) for newer in agreement.superseded_by.all()
        ],
        "actions": available_actions(request.user, agreement),
        "history_actions": AgreementEvent.Action,
    }
    return render(request, "agreements/detail.html", context)
