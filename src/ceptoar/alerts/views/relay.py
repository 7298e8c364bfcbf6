"""Relaying an alert by hand, in the name of the user's organisation: the form, then the send preview of
the relay (`alerts.preview`), whose token the relay needs; a relay or reach changed in between sends
nothing and shows the new preview."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from ceptoar.accounts import access
from ceptoar.alerts.forms.audience import AudienceForm
from ceptoar.alerts.forms.relay import RelayForm
from ceptoar.alerts.preview import StalePreview
from ceptoar.alerts.services import publication
from ceptoar.alerts.views.common import (
    describe_audience,
    describe_spec,
    family_tree,
    find_our_relay,
    relay_refusal,
    visible_alert_or_404,
)
from ceptoar.sharing import policy
from ceptoar.utilities.refusals import REFUSED, attempt


def relay(request, pk):
    access.require_sender(request.user)
    parent = visible_alert_or_404(request.user, pk)
    nodes = family_tree(parent)
    our_relay = find_our_relay(parent, request.user, nodes)
    refusal = relay_refusal(parent, request.user, our_relay)
    status = 200
    if request.method == "POST":
        form = RelayForm(request.POST, parent=parent)
        if form.is_valid():
            # A browser sends a textarea's line breaks as CRLF and may send a hidden field's either way.
            fields = {
                "note": "\n".join(form.cleaned_data.get("note", "").splitlines()),
                "audience": form.audience_spec(),
                "tlp": form.cleaned_data["tlp"],
            }
            token = request.POST.get("token")
            if not token:
                preview = attempt(
                    form,
                    lambda: publication.preview_relay(parent, request.user, **fields),
                    elsewhere=form.refused_elsewhere,
                )
                if preview is not REFUSED:
                    return _relay_preview(request, parent, preview, fields)
            else:

                def send():
                    try:
                        return publication.relay(parent, request.user, **fields, confirm=token)
                    except StalePreview as error:
                        return error  # the new preview is shown, not a refusal

                child = attempt(form, send, elsewhere=form.refused_elsewhere)
                if isinstance(child, StalePreview):
                    return _relay_preview(request, parent, child.preview, fields, stale=True, status=409)
                if child is not REFUSED:
                    messages.success(
                        request,
                        _("Relayed in the name of %(organisation)s.")
                        % {"organisation": child.origin_organisation},
                    )
                    return redirect("alerts:detail", pk=child.pk)
        status = 400
    default = (
        publication.default_relay_audience(request.user.organisation, parent) if refusal is None else None
    )
    if request.method != "POST":
        initial = AudienceForm.initial_from_spec(default) if default is not None else {}
        form = RelayForm(parent=parent, initial=initial)
        if refusal is not None:
            status = 409
    context = {
        "parent": parent,
        "parent_readable": policy.may_read_content(request.user, parent),
        "form": form,
        "refusal": refusal,
        "our_relay": our_relay,
        "default_audience": describe_spec(default) if default is not None else [],
        "parent_audience": describe_audience(parent.audience),
    }
    return render(request, "alerts/relay.html", context, status=status)


def _relay_preview(request, parent, preview, fields: dict, *, stale=False, status=200):
    """The send preview of the relay (`alerts.preview`); its button posts the relay form back, with the
    token, as hidden fields."""
    hidden = [("note", fields["note"]), ("tlp", fields["tlp"])]
    context = {
        "alert": preview.alert,
        "preview": preview,
        "step": "relay",
        "stale": stale,
        "form_action": reverse("alerts:relay", args=[parent.pk]),
        "hidden_fields": hidden + AudienceForm.hidden_from_spec(fields["audience"]),
        "back_url": reverse("alerts:detail", args=[parent.pk]),
        "back_label": _("The alert you relay"),
    }
    return render(request, "alerts/send_preview.html", context, status=status)
