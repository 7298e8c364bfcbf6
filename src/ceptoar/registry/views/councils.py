"""A council's page (セプターカウンシル, 金融CEPTOAR連絡協議会): its seats, its rules, what observers may
post, and its recent posts with their receipts. Thin: the seats are the registry's, the rule on posting is
`alerts.services.councils`', the posts and what the reader may see of them are `alerts.tracking`'s and
`sharing.policy`'s."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render

from ceptoar.accounts import access
from ceptoar.alerts import tracking
from ceptoar.alerts.services.councils import OBSERVER_TLPS
from ceptoar.registry import queries
from ceptoar.registry.models import CouncilSeat, Organisation, OrganisationKind, SeatKind


def _posting(user, council: Organisation, seats: list[CouncilSeat]) -> str | None:
    """How the reader's organisation may post to this council: "council", "member", "observer", or None."""
    if access.acts_for_council(user, council):
        return "council"
    if not access.can_send_alerts(user):
        return None
    for seat in seats:
        if seat.ceptoar_id == user.organisation_id:
            return seat.kind
    return None


def council_detail(request, code: str):
    # The structure of the community is for every signed-in person (like the map); the posts only as far
    # as the sharing policy lets this reader see them.
    if not access.can_view_ceptoar_map(request.user):
        raise PermissionDenied
    council = get_object_or_404(Organisation, code=code, kind=OrganisationKind.COUNCIL)
    seats = list(
        CouncilSeat.objects.filter(council=council).select_related("ceptoar").order_by("ceptoar__code")
    )
    posts = tracking.council_posts(request.user, council)
    sees_receipts = access.acts_for_council(request.user, council) or access.sees_everything(request.user)
    for post in posts:
        # Each seat's receipt, for the council's secretariat and for whoever sent or may track the post.
        post.shows_receipts = sees_receipts or tracking.can_track(request.user, post)
    context = {
        "council": council,
        "member_seats": [seat for seat in seats if seat.kind == SeatKind.MEMBER],
        "observer_seats": [seat for seat in seats if seat.kind == SeatKind.OBSERVER],
        "rules": queries.current_rules(council),
        "observer_tlps": [tlp.label for tlp in OBSERVER_TLPS],
        "posting": _posting(request.user, council, seats),
        "posts": posts,
    }
    return render(request, "registry/council_detail.html", context)
