"""Relaying an alert by hand, in the name of the user's organisation."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ceptoar.accounts import access
from ceptoar.alerts.forms.audience import AudienceForm
from ceptoar.alerts.forms.relay import RelayForm
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
            child = attempt(
                form,
                lambda: publication.relay(
                    parent,
                    request.user,
                    note=form.cleaned_data.get("note", ""),
                    audience=form.audience_spec(),
                    tlp=form.cleaned_data["tlp"],
                ),
                elsewhere=form.refused_elsewhere,
            )
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
