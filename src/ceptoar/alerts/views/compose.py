"""Composing an alert: saved as a draft, or published (or handed for approval) at once.

Before it publishes, the page says whom the alert reaches and how (`alerts.reach`): "Preview who receives it"
shows it at any time, and "Publish" shows it and asks for a second click whenever some organisations would
only be able to see the alert on the portal, with nothing delivered (visible means delivered, or said
beforehand). A send the agreements do not cover is refused on the audience.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render

from ceptoar.accounts import access
from ceptoar.alerts.forms.compose import AlertForm
from ceptoar.alerts.reach import preview_reach
from ceptoar.alerts.services import drafts, publication
from ceptoar.alerts.views.common import sent_message
from ceptoar.utilities.refusals import REFUSED, attempt


def _reach(form: AlertForm, sender):
    data = form.cleaned_data
    return attempt(
        form,
        lambda: preview_reach(
            sender,
            form.audience_spec(),
            data["tlp"],
            data["category"],
            no_onward_relay=data.get("no_onward_relay", False),
        ),
        elsewhere=form.refused_elsewhere,
    )


def compose(request):
    access.require_sender(request.user)
    sender = request.user.organisation
    status = 200
    reach = None
    if request.method == "POST":
        form = AlertForm(request.POST, request.FILES, sender=sender)
        action = request.POST.get("action")
        publish = action == "publish"
        if form.is_valid() and action in ("preview", "publish"):
            reach = _reach(form, sender) or None
            if reach is not None and reach.refused:
                form.audience_errors.extend(reach.refused)
        if form.is_valid() and not form.has_errors:
            confirmed = reach is None or request.POST.get("reach_confirmed") == reach.fingerprint
            if action == "preview" or (publish and reach.visible_only and not confirmed):
                context = {"form": form, "reach": reach, "files_sent": bool(request.FILES)}
                return render(request, "alerts/compose.html", context)

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
        form = AlertForm(sender=sender)
    files_sent = request.method == "POST" and bool(request.FILES.getlist("attachments"))
    context = {"form": form, "files_sent": files_sent, "reach": reach}
    return render(request, "alerts/compose.html", context, status=status)
