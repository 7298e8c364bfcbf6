"""Asking the originator to approve a relay, and the originator's answer, on the alert's pages. The services
(`alerts.services.relay_approval`) decide; these pages ask them and show their refusals."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ceptoar.accounts import access
from ceptoar.alerts.forms.audience import AudienceForm
from ceptoar.alerts.forms.relay import RelayForm
from ceptoar.alerts.forms.relay_approval import RelayDecisionForm
from ceptoar.alerts.models import Alert, RelayApproval, RelayApprovalStatus, Status
from ceptoar.alerts.services import publication, relay_approval
from ceptoar.alerts.views.common import describe_audience, describe_spec, visible_alert_or_404
from ceptoar.sharing import policy
from ceptoar.utilities.refusals import REFUSED, attempt


def panel(alert: Alert, user) -> dict:
    """What the alert's page shows of relay requests: those to decide (the originator, on its original) and
    the user's organisation's own, and whether it may ask now."""
    ours = list(relay_approval.our_requests(alert, user))
    to_decide = list(relay_approval.requests_to_decide(alert, user))
    may_ask = (
        access.can_send_alerts(user)
        and alert.status == Status.PUBLISHED
        and policy.relay_needs_approval(alert)
        and not alert.no_onward_relay
        and alert.origin_organisation_id != user.organisation_id
        and not any(r.status in (RelayApprovalStatus.PENDING, RelayApprovalStatus.GRANTED) for r in ours)
        and not Alert.objects.filter(parent=alert, origin_organisation_id=user.organisation_id).exists()
    )
    return {
        "relay_requests_ours": ours,
        "relay_requests_to_decide": to_decide,
        "relay_may_ask": may_ask,
        "relay_decision_form": RelayDecisionForm() if to_decide else None,
    }


def ask(request, pk):
    access.require_sender(request.user)
    parent = visible_alert_or_404(request.user, pk)
    status = 200
    if request.method == "POST":
        form = RelayForm(request.POST, parent=parent)
        if form.is_valid():
            done = attempt(
                form,
                lambda: relay_approval.do_ask(
                    parent,
                    request.user,
                    note=form.cleaned_data.get("note", ""),
                    audience=form.audience_spec(),
                    tlp=form.cleaned_data["tlp"],
                ),
                elsewhere=form.refused_elsewhere,
            )
            if done is not REFUSED:
                messages.success(
                    request,
                    _("Your request is sent to %(originator)s. The relay goes out when they grant it.")
                    % {"originator": relay_approval.originator_of(parent).name},
                )
                return redirect("alerts:detail", pk=parent.pk)
        status = 400
        default = None
    else:
        default = publication.default_relay_audience(request.user.organisation, parent)
        form = RelayForm(parent=parent, initial=AudienceForm.initial_from_spec(default))
    state = panel(parent, request.user)
    context = {
        "may_ask": state["relay_may_ask"],
        "ours": state["relay_requests_ours"],
        "parent": parent,
        "parent_readable": policy.may_read_content(request.user, parent),
        "originator": relay_approval.originator_of(parent),
        "form": form,
        "default_audience": describe_spec(default) if default is not None else [],
        "parent_audience": describe_audience(parent.audience),
    }
    return render(request, "alerts/relay_ask.html", context, status=status)


@require_POST
def decide(request, pk):
    approval = get_object_or_404(RelayApproval.objects.select_related("parent"), pk=pk)
    root = approval.parent.root_id or approval.parent_id
    form = RelayDecisionForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(request, f"{form.fields[field].label}: {error}")
        return redirect("alerts:detail", pk=root)
    reason = form.cleaned_data["reason"]
    asker = approval.asking_organisation.name
    if form.cleaned_data["decision"] == "grant":
        done = attempt(request, lambda: relay_approval.do_grant(approval, request.user, reason=reason))
        success = _("Granted: the relay of %(asker)s has been sent.") % {"asker": asker}
    else:
        done = attempt(request, lambda: relay_approval.do_refuse(approval, request.user, reason=reason))
        success = _("Refused: %(asker)s is told your reason.") % {"asker": asker}
    if done is not REFUSED:
        messages.success(request, success)
    return redirect("alerts:detail", pk=root)
