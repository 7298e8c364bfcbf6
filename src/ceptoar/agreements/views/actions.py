"""A party's actions on an agreement: accept, suspend, resume, revoke. Each opens a confirmation page that
says what will follow ("from now nothing flows from A to B") before the POST that does it, through
`agreements.services.lifecycle`; a refusal comes back on that page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ceptoar.agreements import register
from ceptoar.agreements.forms.actions import NEEDS_REASON, PartyActionForm
from ceptoar.agreements.models import AgreementStatus
from ceptoar.agreements.services import lifecycle
from ceptoar.agreements.views.common import ACTIONS, parties_for, visible_or_404
from ceptoar.utilities.refusals import REFUSED, attempt


def _consequence(agreement, action: str) -> tuple[str, list[str]]:
    """What follows from the action, in words: a sentence and the directions it concerns."""
    directions = [
        _("%(source)s → %(receiver)s") % {"source": term.source.name, "receiver": term.receiver.name}
        for term in agreement.terms.select_related("source", "receiver")
    ]
    if action == "accept":
        pending = [
            party.organisation.name
            for party in agreement.parties.select_related("organisation").filter(accepted_at__isnull=True)
        ]
        if len(pending) <= 1:
            sentence = _(
                "Every other party has accepted: the agreement comes into force now, and from now on these "
                "directions flow on its terms."
            )
            if agreement.supersedes_id:
                sentence += " " + _("The version it replaces (%(code)s) ends at the same moment.") % {
                    "code": agreement.supersedes.code
                }
        else:
            sentence = _(
                "Your acceptance is recorded. The agreement comes into force once every party has accepted; "
                "still to accept: %(parties)s. Until then nothing flows under it."
            ) % {"parties": ", ".join(pending)}
        return sentence, directions
    if action == "suspend":
        return (
            _(
                "From now nothing flows under this agreement, in any of these directions, until the party that "
                "suspends it resumes it. Every party sees the suspension and your reason."
            ),
            directions,
        )
    if action == "resume":
        return _("From now these directions flow again on the agreement's terms."), directions
    if agreement.status == AgreementStatus.PROPOSED:
        return (
            _(
                "The proposal is withdrawn for good: it will never come into force. Nothing has flowed under it."
            ),
            directions,
        )
    return (
        _(
            "The agreement ends for good: from now nothing flows under it, in any of these directions. To share "
            "again, the parties must propose and accept a new agreement."
        ),
        directions,
    )


def _act(agreement, action: str, user, party, reason: str):
    if action == "accept":
        return lifecycle.do_accept(agreement, user, party)
    if action == "suspend":
        return lifecycle.do_suspend(agreement, user, party, reason)
    if action == "resume":
        return lifecycle.do_resume(agreement, user, party)
    return lifecycle.do_revoke(agreement, user, party, reason)


def party_action(request, pk, action: str):
    agreement = visible_or_404(request.user, pk)
    parties = parties_for(request.user, agreement, action)
    if not parties.exists():
        raise PermissionDenied(
            _("You act for no party that may take this action on this agreement in its present state.")
        )
    needs_reason = ACTIONS[action] in NEEDS_REASON
    status = 200
    if request.method == "POST":
        form = PartyActionForm(request.POST, parties=parties, needs_reason=needs_reason)
        if form.is_valid():
            party, reason = form.cleaned_data["party"], form.cleaned_data.get("reason", "")
            done = attempt(
                form, lambda: _act(agreement, action, request.user, party, reason), fallback="party"
            )
            if done is not REFUSED:
                messages.success(request, _done_message(done, action, party))
                return redirect("agreements:detail", pk=agreement.pk)
        status = 400
    else:
        form = PartyActionForm(
            initial={"party": request.GET.get("party") or parties.first().code},
            parties=parties,
            needs_reason=needs_reason,
        )
    sentence, directions = _consequence(agreement, action)
    context = {
        "agreement": agreement,
        "action": action,
        "form": form,
        "consequence": sentence,
        "directions": directions,
        "terms": [
            register.describe_term(term) for term in agreement.terms.select_related("source", "receiver")
        ],
        "danger": action in ("suspend", "revoke"),
    }
    return render(request, "agreements/confirm.html", context, status=status)


def _done_message(agreement, action: str, party) -> str:
    if action == "accept" and agreement.status == AgreementStatus.IN_FORCE:
        return _("%(party)s accepted: the agreement is in force.") % {"party": party.name}
    if action == "accept":
        return _("%(party)s accepted. The agreement comes into force once every party has.") % {
            "party": party.name
        }
    if action == "suspend":
        return _("The agreement is suspended: nothing flows under it now.")
    if action == "resume":
        return _("The agreement is in force again.")
    return _("The agreement is revoked: nothing flows under it any more.")
