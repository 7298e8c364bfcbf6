"""Correcting a published alert (訂正版): the form, prefilled with the alert's words, that saves the
correction as a draft and opens its send preview (`views.sending`), like any alert before it goes out."""

from __future__ import annotations

from django.shortcuts import redirect, render

from ceptoar.alerts.forms.correction import CorrectionForm
from ceptoar.alerts.services import corrections
from ceptoar.alerts.views.common import describe_audience, visible_alert_or_404
from ceptoar.utilities.refusals import REFUSED, attempt


def correct(request, pk):
    corrected = visible_alert_or_404(request.user, pk)
    refusal = attempt(request, lambda: corrections.check_correctable(corrected, request.user))
    if refusal is REFUSED:
        return redirect("alerts:detail", pk=corrected.pk)
    status = 200
    if request.method == "POST":
        form = CorrectionForm(request.POST)
        if form.is_valid():
            alert = attempt(
                form,
                lambda: corrections.create_correction(corrected, request.user, **form.cleaned_data),
            )
            if alert is not REFUSED:
                return redirect("alerts:submit", pk=alert.pk)
        status = 400
    else:
        form = CorrectionForm(initial=CorrectionForm.initial_for(corrected))
    context = {"form": form, "corrected": corrected, "audience": describe_audience(corrected.audience)}
    return render(request, "alerts/correct.html", context, status=status)
