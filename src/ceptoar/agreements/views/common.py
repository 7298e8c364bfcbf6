"""What the agreements pages share: the agreement of the URL within what the reader may see, and which of its
parties the reader may take each action for."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from ceptoar.agreements.access import agreements_visible_to, organisations_represented_by
from ceptoar.agreements.models import FINAL_STATUSES, Agreement, AgreementEvent, AgreementStatus
from ceptoar.registry.models import Organisation

Action = AgreementEvent.Action

# The page actions, by their URL name, and the history entry each writes.
ACTIONS = {
    "accept": Action.ACCEPTED,
    "suspend": Action.SUSPENDED,
    "resume": Action.RESUMED,
    "revoke": Action.REVOKED,
}


def visible_or_404(user, pk: int) -> Agreement:
    agreement = (
        agreements_visible_to(user)
        .select_related("supersedes", "proposed_by", "proposed_by_user")
        .filter(pk=pk)
        .first()
    )
    if agreement is None:
        raise Http404(_("No such agreement, or not one you may see."))
    return agreement


def suspended_by(agreement: Agreement) -> int | None:
    """The organisation whose suspension is in effect: only it resumes (`lifecycle.do_resume`)."""
    suspension = agreement.events.filter(action=Action.SUSPENDED).order_by("-at", "-id").first()
    return suspension.organisation_id if suspension is not None else None


def parties_for(user, agreement: Agreement, action: str) -> QuerySet[Organisation]:
    """The parties `user` may take `action` (a key of ACTIONS) for, in the agreement's present state; none
    where the action does not apply. A member's POC acts for none: it is never authorised for a party."""
    acting = organisations_represented_by(user).order_by("code")
    status = agreement.status
    if action == "accept":
        if status != AgreementStatus.PROPOSED:
            return acting.none()
        # One filter call: the party row must be this agreement's and not yet accepted.
        return acting.filter(
            agreement_parties__agreement=agreement, agreement_parties__accepted_at__isnull=True
        )
    acting = acting.filter(agreement_parties__agreement=agreement)
    if action == "suspend" and status == AgreementStatus.IN_FORCE:
        return acting
    if action == "resume" and status == AgreementStatus.SUSPENDED:
        return acting.filter(pk=suspended_by(agreement))
    if action == "revoke" and status not in FINAL_STATUSES:
        return acting
    return acting.none()


def available_actions(user, agreement: Agreement) -> list[tuple[str, list[Organisation]]]:
    """(action, the parties the user may take it for) for every action that applies now."""
    found = []
    for action in ACTIONS:
        parties = list(parties_for(user, agreement, action))
        if parties:
            found.append((action, parties))
    return found
