"""Indicator-set pages (指標セット): the sets the reader may see, one set with its provenance and values,
making a set by hand, adding and removing values, withdrawing. Who sees a set: `sharing.policy`; who may
change it: `intel.services.indicator_sets.may_edit_indicator_set`. A set the reader may not see is a 404,
like one that does not exist."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ceptoar.intel.forms.indicator_sets import AddValuesForm, IndicatorSetForm
from ceptoar.intel.misp.mapping import DISTRIBUTION_NAMES
from ceptoar.intel.models import IndicatorSetStatus, Sighting
from ceptoar.intel.services import indicator_sets as services
from ceptoar.sharing import audit
from ceptoar.sharing.policy import visible_indicator_sets
from ceptoar.utilities.pagination import paginate
from ceptoar.utilities.refusals import REFUSED, attempt

PER_PAGE = 50


def _visible_set(request, pk: int):
    return get_object_or_404(
        visible_indicator_sets(request.user).select_related("origin_organisation"), pk=pk
    )


def _editable_set(request, pk: int):
    """A set the reader may see (else 404) and change (else 403: the page showed no such button)."""
    indicator_set = _visible_set(request, pk)
    if not services.may_edit_indicator_set(request.user, indicator_set):
        raise PermissionDenied
    return indicator_set


def indicator_set_list(request):
    sets = (
        visible_indicator_sets(request.user)
        .select_related("origin_organisation")
        .annotate(value_count=Count("sightings", filter=Q(sightings__removed=False)))
        .order_by("-updated_at", "-id")
    )
    context = {
        "page": paginate(request, sets, PER_PAGE),
        "may_create": services.may_create_indicator_set(request.user),
    }
    return render(request, "intel/indicator_set_list.html", context)


def indicator_set_detail(request, pk: int, add_form: AddValuesForm | None = None, status: int = 200):
    indicator_set = _visible_set(request, pk)
    audit.record_read(request.user, indicator_set)
    sightings = list(
        Sighting.objects.filter(indicator_set=indicator_set)
        .select_related("observable")
        .order_by("removed", "observable__type", "observable__value")
    )
    exchange = indicator_set.source_import
    event = (exchange.envelope or {}).get("Event", {}) if exchange else {}
    context = {
        "set": indicator_set,
        "values": [s for s in sightings if not s.removed],
        "removed": [s for s in sightings if s.removed],
        "exchange": exchange,
        "distribution": DISTRIBUTION_NAMES.get(str(event.get("distribution", "")), ""),
        "unmapped_types": sorted((exchange.envelope or {}).get("unmapped_types", {}).items())
        if exchange
        else [],
        "may_edit": services.may_edit_indicator_set(request.user, indicator_set),
        "add_form": add_form or AddValuesForm(),
        "share_url": reverse("alerts:new") + "?" + urlencode({"from_indicator_set": indicator_set.pk}),
    }
    return render(request, "intel/indicator_set_detail.html", context, status=status)


def indicator_set_new(request):
    if not services.may_create_indicator_set(request.user):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = IndicatorSetForm(request.POST)
        if form.is_valid():
            made = attempt(
                form,
                lambda: services.do_create_indicator_set(request.user, **form.cleaned_data),
                fallback="values",
            )
            if made is not REFUSED:
                messages.success(request, _("The indicator set was saved as a draft of your organisation."))
                return redirect("intel:indicator_set_detail", pk=made.pk)
        status = 400
    else:
        form = IndicatorSetForm()
    return render(request, "intel/indicator_set_form.html", {"form": form}, status=status)


@require_POST
def indicator_set_add_values(request, pk: int):
    indicator_set = _editable_set(request, pk)
    form = AddValuesForm(request.POST)
    if form.is_valid():
        added = attempt(
            form,
            lambda: services.do_add_values(request.user, indicator_set, form.cleaned_data["values"]),
            fallback="values",
        )
        if added is not REFUSED:
            messages.success(request, _("%(count)s values added.") % {"count": added})
            return redirect("intel:indicator_set_detail", pk=pk)
    return indicator_set_detail(request, pk, add_form=form, status=400)


@require_POST
def indicator_set_remove_value(request, pk: int, sighting_pk: int):
    indicator_set = _editable_set(request, pk)
    removed = attempt(request, lambda: services.do_remove_value(request.user, indicator_set, sighting_pk))
    if removed is not REFUSED:
        messages.success(
            request, _("%(value)s was removed from the set.") % {"value": removed.observable.value}
        )
    return redirect("intel:indicator_set_detail", pk=pk)


def indicator_set_withdraw(request, pk: int):
    indicator_set = _editable_set(request, pk)
    if request.method == "POST":
        if attempt(request, lambda: services.do_withdraw(request.user, indicator_set)) is not REFUSED:
            messages.success(request, _("The indicator set was withdrawn."))
        return redirect("intel:indicator_set_detail", pk=pk)
    return render(
        request,
        "intel/indicator_set_withdraw.html",
        {"set": indicator_set, "published": indicator_set.status == IndicatorSetStatus.PUBLISHED},
    )
