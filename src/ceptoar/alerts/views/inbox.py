"""The portal inbox: the alerts the user may see, newest first, with its filters."""

from __future__ import annotations

from django.db.models import F
from django.shortcuts import render

from ceptoar.accounts import access
from ceptoar.alerts.forms.inbox import AlertFilterForm
from ceptoar.alerts.services import acknowledgements
from ceptoar.sharing import policy
from ceptoar.utilities.pagination import paginate

PAGE_SIZE = 25


def inbox(request):
    form = AlertFilterForm(request.GET, user=request.user)
    alerts = (
        policy.with_content_readable(request.user, policy.nearest_visible_alerts(request.user))
        .select_related("origin_organisation", "root__origin_organisation")
        # Drafts and alerts awaiting approval (only the sender's own people see them) first: they wait on us.
        .order_by(F("published_at").desc(nulls_first=True), "-created_at", "-id")
    )
    valid = form.is_valid()
    # A filter that names nothing is an error, not an empty result or a silently wider list.
    alerts = form.filter(alerts, request.user) if valid else alerts.none()
    page = paginate(request, alerts, PAGE_SIZE)
    page.object_list = list(page.object_list)
    # Our organisation's receipt of each row's chain: one query for the page.
    receipts = acknowledgements.our_receipts(request.user, page.object_list)
    for alert in page.object_list:
        alert.our_receipt = receipts.get(alert.pk)
    context = {
        "form": form,
        "valid": valid,
        "page": page,
        "filtered": any(request.GET.get(name) for name in form.fields),
        "can_send": access.can_send_alerts(request.user),
        "next_unacknowledged": acknowledgements.next_unacknowledged(request.user),
    }
    return render(request, "alerts/inbox.html", context, status=200 if valid else 400)
