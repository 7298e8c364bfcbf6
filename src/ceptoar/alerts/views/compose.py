"""Composing an alert: saved as a draft, or checked and then published (or handed for approval).

"Preview who receives it" shows whom the alert reaches and how (`alerts.reach`) on this page, at any time.
"Check and publish" saves the draft with its files and opens its send preview (`views.sending`): counts by
hop, messages, visible-only organisations, and the button that publishes what that page showed. Nothing goes
out from this page itself. A send the agreements do not cover is refused here, on the audience, before any
draft is saved.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render

from ceptoar.accounts import access
from ceptoar.alerts.forms.compose import AlertForm
from ceptoar.alerts.reach import preview_reach
from ceptoar.alerts.services import drafts
from ceptoar.alerts.views.common import sent_message
from ceptoar.intel.services import indicator_sets
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
        if form.is_valid() and action in ("preview", "publish"):
            reach = _reach(form, sender) or None
            if reach is not None and reach.refused:
                form.audience_errors.extend(reach.refused)
        if form.is_valid() and not form.has_errors:
            if action == "preview":
                context = {"form": form, "reach": reach, "files_sent": bool(request.FILES)}
                return render(request, "alerts/compose.html", context)
            alert = attempt(
                form,
                lambda: drafts.create_draft(request.user, **form.draft_fields()),
                elsewhere=form.refused_elsewhere,
            )
            if alert is not REFUSED:
                if action == "publish":
                    # Saved with its files; published only from its preview, by a second click.
                    return redirect("alerts:submit", pk=alert.pk)
                messages.success(request, sent_message(alert))
                return redirect("alerts:detail", pk=alert.pk)
        status = 400
    else:
        # "Share as an alert" from an indicator set: its title, TLP and values, if the sender may see it.
        initial = indicator_sets.alert_initial(request.user, request.GET.get("from_indicator_set"))
        form = AlertForm(sender=sender, initial=initial or {})
    files_sent = request.method == "POST" and bool(request.FILES.getlist("attachments"))
    context = {"form": form, "files_sent": files_sent, "reach": reach}
    return render(request, "alerts/compose.html", context, status=status)
