"""Propose an agreement: the form, a preview of what it would let flow (checked by the service, written
nothing), then the proposal itself (`lifecycle.do_propose`, which accepts it at once for the proposer's party).

Three buttons post the same form: "add a direction" (one more blank direction), "preview" and, on the preview,
"propose" (or "change" to go back). A refusal of the service comes back onto the fields it names.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ceptoar.agreements.access import organisations_represented_by
from ceptoar.agreements.forms.propose import (
    ProposalForm,
    agreement_spec,
    direction_formset,
    show_propose_refusal,
)
from ceptoar.agreements.models import OriginatorDisclosure
from ceptoar.agreements.register import category_labels, kind_labels
from ceptoar.agreements.services import lifecycle
from ceptoar.sharing.models import Tlp

# The posted fields that are buttons or the CSRF token, not the proposal: not carried through the preview.
_NOT_CARRIED = {"csrfmiddlewaretoken", "preview", "propose", "change", "add_direction"}


def _check(user, spec) -> ValidationError | None:
    """The service's answer to the proposal, with nothing kept: its refusal, or None."""
    try:
        with transaction.atomic():
            lifecycle.do_propose(user, spec)
            transaction.set_rollback(True)
    except ValidationError as error:
        return error
    return None


def _preview_directions(formset) -> list[dict]:
    return [
        {
            "source": form.cleaned_data["source"],
            "receiver": form.cleaned_data["receiver"],
            "kinds": kind_labels(form.cleaned_data["kinds"]),
            "categories": category_labels(form.cleaned_data["categories"]),
            "highest_tlp": form.cleaned_data["highest_tlp"],
            "highest_tlp_label": Tlp(form.cleaned_data["highest_tlp"]).label,
            "may_relay": form.cleaned_data["may_relay"],
            "originator": OriginatorDisclosure(form.cleaned_data["originator"]).label,
        }
        for form in formset.filled()
    ]


def agreement_new(request):
    user = request.user
    if not organisations_represented_by(user).exists():
        raise PermissionDenied(
            _(
                "Only the staff who act for a CEPTOAR, a council, a related body, a ministry or the hub propose agreements."
            )
        )
    if request.method != "POST":
        return _form_page(request, ProposalForm(user=user), direction_formset())
    data = request.POST
    if "add_direction" in data:
        # Not a submission: the same form again with one more blank direction (what is filled in is checked
        # as it would be on preview, so a half-filled direction shows what it lacks).
        return _form_page(request, ProposalForm(data, user=user), direction_formset(data, spare=1))
    form, formset = ProposalForm(data, user=user), direction_formset(data)
    if "change" in data or not (form.is_valid() and formset.is_valid()):
        return _form_page(request, form, formset, status=200 if "change" in data else 400)
    spec = agreement_spec(form, formset)
    if "propose" in data:
        try:
            agreement = lifecycle.do_propose(user, spec)
        except ValidationError as error:
            show_propose_refusal(form, formset, error)
            return _form_page(request, form, formset, status=400)
        messages.success(
            request,
            _(
                "Agreement “%(title)s” proposed and accepted for %(party)s. It comes into force once every party has accepted."
            )
            % {"title": agreement.title, "party": spec.proposed_by},
        )
        return redirect("agreements:detail", pk=agreement.pk)
    refusal = _check(user, spec)
    if refusal is not None:
        show_propose_refusal(form, formset, refusal)
        return _form_page(request, form, formset, status=400)
    carried = [(name, data.getlist(name)) for name in data if name not in _NOT_CARRIED]
    context = {
        "spec": spec,
        "form": form,
        "parties": form.cleaned_data["parties"],
        "proposed_by": form.cleaned_data["proposed_by"],
        "directions": _preview_directions(formset),
        "carried": carried,
    }
    return render(request, "agreements/propose_preview.html", context)


def _form_page(request, form, formset, *, status: int = 200):
    context = {"form": form, "formset": formset}
    return render(request, "agreements/propose.html", context, status=status)
