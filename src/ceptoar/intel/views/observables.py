"""The observables of an item, and the analysts' controls: the page of one item's observables (its add form
answers there, with its errors), and the remove and retype actions, which go back to where they came from.
Who may not see the item gets 404; who may see it but not edit its observables is refused (403)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ceptoar.alerts.models import Alert
from ceptoar.intel.access import may_edit_observables
from ceptoar.intel.forms.observables import AddObservableForm, RetypeObservableForm
from ceptoar.intel.models import Sighting
from ceptoar.intel.services.observables import (
    do_add_observable,
    do_remove_observable,
    do_retype_observable,
    item_of,
)
from ceptoar.intel.templatetags.intel_observables import observables_context, readable
from ceptoar.reports.models import Case, Report

ITEM_MODELS = {"alert": Alert, "report": Report, "case": Case}


def _visible_item(user, kind: str, pk: int):
    model = ITEM_MODELS.get(kind)
    if model is None:
        raise Http404
    item = get_object_or_404(model, pk=pk)
    if not readable(user, item):
        raise Http404
    return item


def item_url(item) -> str:
    from django.urls import reverse

    if isinstance(item, Alert):
        return reverse("alerts:detail", args=[item.pk])
    if isinstance(item, Report):
        return reverse("reports:detail", args=[item.pk])
    if item.status == "published":
        return reverse("reports:case_detail", args=[item.pk])
    return reverse("reports:case_review", args=[item.pk])


def _back(request, item):
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(item_url(item))


@login_required
def item_observables(request, kind: str, pk: int):
    item = _visible_item(request.user, kind, pk)
    form = AddObservableForm()
    status = 200
    if request.method == "POST":
        if not may_edit_observables(request.user, item):
            raise PermissionDenied(_("Only the makers of this item may change its observables."))
        form = AddObservableForm(request.POST)
        if form.is_valid():
            try:
                sighting = do_add_observable(
                    request.user, item, form.cleaned_data["type"], form.cleaned_data["value"]
                )
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
            else:
                messages.success(request, _("Added: %(value)s") % {"value": sighting.observable.value})
                return _back(request, item)
        status = 400
    context = observables_context(request.user, item, add_form=form)
    context.update({"item": item, "item_url": item_url(item)})
    return render(request, "intel/observables.html", context, status=status)


def _sighting_to_change(request, pk: int) -> Sighting:
    sighting = get_object_or_404(Sighting.objects.select_related("observable"), pk=pk)
    item = item_of(sighting)
    if not readable(request.user, item):
        raise Http404
    if not may_edit_observables(request.user, item):
        raise PermissionDenied(_("Only the makers of this item may change its observables."))
    return sighting


@login_required
@require_POST
def observable_remove(request, pk: int):
    sighting = _sighting_to_change(request, pk)
    do_remove_observable(request.user, sighting)
    messages.success(request, _("Removed: %(value)s") % {"value": sighting.observable.value})
    return _back(request, item_of(sighting))


@login_required
@require_POST
def observable_retype(request, pk: int):
    sighting = _sighting_to_change(request, pk)
    item = item_of(sighting)
    form = RetypeObservableForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose a type of observable."))
        changed = do_retype_observable(request.user, sighting, form.cleaned_data["type"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(value)s is now: %(type)s")
            % {"value": changed.observable.value, "type": changed.observable.get_type_display()},
        )
    return _back(request, item)
