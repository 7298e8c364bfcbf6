"""The steps that cannot be undone, each behind a page that says what will happen: publishing a draft (or
sending it for approval), approving one, and closing a published alert. Withdrawing a draft from approval
(which can be undone by sending it again) is a plain button.

A GET, or a POST without the confirmation, shows the page and changes nothing. Publishing and approving
carry the preview's token (`alerts.preview`): a draft or reach that changed since is shown anew, not sent.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ceptoar.accounts import access
from ceptoar.alerts.models import Status
from ceptoar.alerts.preview import StalePreview, preview_send
from ceptoar.alerts.services import approval, closing, drafts, publication
from ceptoar.alerts.views.common import sent_message, visible_alert_or_404
from ceptoar.utilities.refusals import REFUSED, attempt

SUBMIT, APPROVE = "submit", "approve"


def _own(request, pk):
    alert = visible_alert_or_404(request.user, pk)
    if alert.origin_organisation_id != request.user.organisation_id or not access.can_send_alerts(
        request.user
    ):
        raise PermissionDenied(_("Only the sending organisation may change this alert."))
    return alert


def _confirm_send(request, pk, step: str):
    alert = _own(request, pk)
    expected = Status.DRAFT if step == SUBMIT else Status.AWAITING_APPROVAL
    if alert.status != expected:
        messages.info(request, _("This alert is no longer waiting for this step."))
        return redirect("alerts:detail", pk=alert.pk)
    if step == APPROVE and alert.author_id == request.user.pk:
        messages.error(request, _("A second person must approve: the author cannot."))
        return redirect("alerts:detail", pk=alert.pk)
    status, stale = 200, False
    token = request.POST.get("token") if request.method == "POST" else None
    if token:
        service = publication.submit if step == SUBMIT else approval.approve

        def send():
            try:
                return service(alert, request.user, confirm=token)
            except StalePreview as error:
                return error  # not a refusal to show as a message: the new preview is shown instead

        done = attempt(request, send)
        if not isinstance(done, StalePreview):
            if done is not REFUSED:
                messages.success(request, sent_message(done))
            return redirect("alerts:detail", pk=alert.pk)
        preview, status, stale = done.preview, 409, True
    else:
        preview = preview_send(alert)
    context = {"alert": alert, "preview": preview, "step": step, "stale": stale}
    return render(request, "alerts/send_preview.html", context, status=status)


def submit(request, pk):
    """A draft: the preview of its publication (or of sending it for approval), then the confirmation."""
    return _confirm_send(request, pk, SUBMIT)


def approve(request, pk):
    """An alert awaiting approval: the second person's preview, then the approval that publishes it."""
    return _confirm_send(request, pk, APPROVE)


def close(request, pk):
    alert = _own(request, pk)
    if request.method == "POST" and request.POST.get("confirm") == "close":
        if attempt(request, lambda: closing.close(alert, request.user)) is not REFUSED:
            messages.success(request, _("“%(title)s” is closed.") % {"title": alert.title})
        return redirect("alerts:detail", pk=alert.pk)
    if alert.status != Status.PUBLISHED:
        messages.info(request, _("Only a published alert can be closed."))
        return redirect("alerts:detail", pk=alert.pk)
    context = {"alert": alert, "summary": closing.closing_summary(alert)}
    return render(request, "alerts/confirm_close.html", context)


@require_POST
def withdraw(request, pk):
    alert = visible_alert_or_404(request.user, pk)
    if attempt(request, lambda: drafts.withdraw(alert, request.user)) is not REFUSED:
        messages.success(
            request,
            _("“%(title)s” is a draft again: the request for approval is withdrawn.")
            % {"title": alert.title},
        )
    return redirect("alerts:detail", pk=alert.pk)
