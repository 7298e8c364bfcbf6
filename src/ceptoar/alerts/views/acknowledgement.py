"""Confirming receipt of an alert: from the link in its e-mail (no log-in needed) or on the portal."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ceptoar.alerts import links
from ceptoar.alerts.models import Acknowledgement, AcknowledgementVia
from ceptoar.alerts.rendering import envelope_title, render_markdown
from ceptoar.alerts.services import acknowledgements
from ceptoar.alerts.views.common import visible_alert_or_404
from ceptoar.channels import registry as channel_registry
from ceptoar.registry.models import ChannelKind
from ceptoar.sharing import audit, policy


def _passes_csrf(request) -> bool:
    return CsrfViewMiddleware(lambda _request: None).process_view(request, None, (), {}) is None


@csrf_exempt
def ack_link(request, token):
    """The link in an alert e-mail. Open without log-in: the signed token is the credential. Only the
    POST confirms, so a mail scanner that fetches every link acknowledges nothing.

    The POST needs no CSRF token — whoever holds the link may confirm with it, from a form, a script or
    a mail client — but without one the confirmation is not attributed to the signed-in user, so another
    site cannot make it appear in someone's name."""
    try:
        delivery = links.delivery_for_token(token)
    except (links.ForgedLink, links.ExpiredLink) as error:
        context = {"expired": isinstance(error, links.ExpiredLink)}
        return render(request, "alerts/acknowledge.html", {"invalid": True, **context}, status=400)
    alert, recipient = delivery.alert, delivery.recipient
    acknowledgement, created = None, False
    if request.method == "POST":
        acknowledgement, created = acknowledgements.acknowledge(
            recipient,
            AcknowledgementVia.EMAIL_LINK,
            # Someone signed in as another organisation's user is not the one answering for this one.
            by_user=request.user
            if request.user.is_authenticated
            and request.user.organisation_id == recipient.organisation_id
            and _passes_csrf(request)
            else None,
            by_contact_id=delivery.contact_id,
        )
    else:
        acknowledgement = Acknowledgement.objects.filter(recipient=recipient).first()
    # The link alone shows what the e-mail it came in showed (the title, unless the message was a notice or an
    # envelope); the body only to a signed-in reader who may read it.
    shows_title = (
        policy.disclosure_for_organisation(
            alert, recipient.organisation_id, channel_registry.trust(ChannelKind.EMAIL)
        )
        >= policy.Disclosure.HEADLINE
    )
    show_body = request.user.is_authenticated and policy.may_read_content(request.user, alert)
    if show_body:
        audit.record_read(request.user, alert)
    context = {
        "alert": alert,
        "title": alert.title if shows_title or show_body else envelope_title(alert),
        "organisation": recipient.organisation,
        "acknowledgement": acknowledgement,
        "just_acknowledged": created,
        "body_html": mark_safe(render_markdown(alert.body)) if show_body else "",  # noqa: S308
    }
    return render(request, "alerts/acknowledge.html", context)


@require_POST
def acknowledge(request, pk):
    alert = visible_alert_or_404(request.user, pk)
    recipient = acknowledgements.recipient_of(alert, request.user)
    if recipient is None:
        raise PermissionDenied(_("This alert was not sent to your organisation."))
    acknowledgement, created = acknowledgements.acknowledge(
        recipient, AcknowledgementVia.PORTAL, by_user=request.user
    )
    if created:
        messages.success(
            request,
            _("Receipt confirmed for %(organisation)s.") % {"organisation": recipient.organisation},
        )
    else:
        messages.info(
            request,
            _("%(organisation)s had already confirmed receipt on %(time)s.")
            % {
                "organisation": recipient.organisation,
                "time": timezone.localtime(acknowledgement.acknowledged_at).strftime("%Y-%m-%d %H:%M"),
            },
        )
    return redirect("alerts:detail", pk=alert.pk)
