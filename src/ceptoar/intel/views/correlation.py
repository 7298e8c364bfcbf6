"""The intel home, the signals page and the "check these values" page: thin over `intel.correlation`, which
computes everything within what the reader may see."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from ceptoar.intel import correlation
from ceptoar.intel.forms.incidents import CheckValuesForm, SignalFilterForm
from ceptoar.intel.models import IncidentStatus
from ceptoar.intel.services.incident_access import incident_may_keep, incident_may_see_signals
from ceptoar.intel.services.indicator_sets import may_create_indicator_set
from ceptoar.intel.stix.access import may_import
from ceptoar.sharing import policy

HOME_SIGNALS = 10


def home(request):
    user = request.user
    may_see_signals = incident_may_see_signals(user)
    context = {
        "may_see_signals": may_see_signals,
        "may_keep": incident_may_keep(user),
        "may_import": may_import(user),
        "may_create_sets": may_create_indicator_set(user),
    }
    if may_see_signals:
        context["signals"] = correlation.signals(
            user, days=7, min_organisations=2, min_sectors=1, limit=HOME_SIGNALS
        )
        context["open_incidents"] = list(
            policy.visible_incidents(user).filter(status=IncidentStatus.OPEN).order_by("-created_at")[:10]
        )
    return render(request, "intel/home.html", context)


def signals_page(request):
    user = request.user
    if not incident_may_see_signals(user):
        raise PermissionDenied
    form = SignalFilterForm(request.GET or None)
    filters = {"days": 7, "min_organisations": 2, "min_sectors": 1}
    if form.is_bound and form.is_valid():
        filters = form.cleaned_data
    elif not form.is_bound:
        form = SignalFilterForm(initial=filters)
    found = correlation.signals(user, **filters) if not form.is_bound or form.is_valid() else []
    return render(
        request,
        "intel/signals.html",
        {"form": form, "signals": found, "filters": filters, "may_keep": incident_may_keep(user)},
    )


def check_values(request):
    form = CheckValuesForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = correlation.correlate_values(request.user, form.cleaned_data["pairs"], per_page=100)
    return render(request, "intel/check.html", {"form": form, "result": result})
