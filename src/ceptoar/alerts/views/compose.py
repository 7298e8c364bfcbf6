"""Composing an alert: saved as a draft, or published (or handed for approval) at once."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render

from ceptoar.accounts import access
from ceptoar.alerts.forms.compose import AlertForm
from ceptoar.alerts.services import drafts, publication
from ceptoar.alerts.views.common import sent_message
from ceptoar.utilities.refusals import REFUSED, attempt


def compose(request):
    access.require_sender(request.user)
    status = 200
    if request.method == "POST":
        form = AlertForm(request.POST, request.FILES)
        publish = request.POST.get("action") == "publish"
        if form.is_valid():

            @transaction.atomic  # Draft and publication in one: a refused publication leaves no draft behind.
            def draft_and_publish():
                alert = drafts.create_draft(request.user, **form.draft_fields())
                return publication.submit(alert, request.user) if publish else alert

            alert = attempt(form, draft_and_publish, elsewhere=form.refused_elsewhere)
            if alert is not REFUSED:
                messages.success(request, sent_message(alert))
                return redirect("alerts:detail", pk=alert.pk)
        status = 400
    else:
        form = AlertForm()
    files_sent = request.method == "POST" and bool(request.FILES.getlist("attachments"))
    context = {"form": form, "files_sent": files_sent}
    return render(request, "alerts/compose.html", context, status=status)
