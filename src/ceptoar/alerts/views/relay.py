"""Relaying an alert by hand, in the name of the user's organisation, and whether it may be relayed now."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ceptoar.accounts import access
from ceptoar.alerts import hops
from ceptoar.alerts.forms.audience import AudienceForm, show_service_errors
from ceptoar.alerts.forms.relay import RelayForm
from ceptoar.alerts.models import Alert, Status
from ceptoar.alerts.services import publication
from ceptoar.alerts.views.common import describe_audience, describe_spec, family_tree, visible_alert_or_404
from ceptoar.sharing import policy


def relay_refusal(alert: Alert, user, our_relay: Alert | None) -> str | None:
    """Why the user's organisation cannot relay this alert now, in the services' words; None if it can.
    Only decides whether to offer the button: `services.publication.relay` decides for real."""
    if alert.status != Status.PUBLISHED:
        return _("Only a published alert can be relayed.")
    if alert.origin_organisation_id == user.organisation_id:
        return _("An organisation does not relay its own alert; edit or resend it.")
    if our_relay is not None:
        return _("Your organisation has already relayed this alert.")
    if alert.no_onward_relay:
        return _("The originator has marked this item “no onward relay”: it may not be relayed.")
    if policy.relay_needs_approval(alert):
        return _("The originator must approve before this alert is relayed.")
    return None


def find_our_relay(alert: Alert, user, nodes: dict[int, Alert]) -> Alert | None:
    for node in nodes.values():
        if node.parent_id == alert.pk and node.origin_organisation_id == user.organisation_id:
            return node
    return None


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
            try:
                child = publication.relay(
                    parent,
                    request.user,
                    note=form.cleaned_data.get("note", ""),
                    audience=form.audience_spec(),
                    tlp=form.cleaned_data["tlp"],
                )
            except ValidationError as error:
                show_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Relayed in the name of %(organisation)s.")
                    % {"organisation": child.origin_organisation},
                )
                return redirect("alerts:detail", pk=child.pk)
        status = 400
    default = hops.default_relay_audience(request.user.organisation, parent) if refusal is None else None
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
