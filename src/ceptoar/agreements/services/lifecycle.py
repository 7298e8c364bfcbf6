"""An agreement's life: proposed → in force once an authorised person of every party has accepted →
suspended (and resumed), expired, revoked or superseded. Every change is written to its history.

Who may act for a party: `agreements.access`. What flows while it is in force: `agreements.flows`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.agreements import access
from ceptoar.agreements.categories import CATEGORY_VALUES
from ceptoar.agreements.models import (
    FINAL_STATUSES,
    Agreement,
    AgreementEvent,
    AgreementParty,
    AgreementStatus,
    AgreementTerm,
    FlowKind,
    OriginatorDisclosure,
)
from ceptoar.registry import queries
from ceptoar.registry.models import Organisation
from ceptoar.sharing.models import TLP_RANK, Tlp

Action = AgreementEvent.Action


@dataclass
class TermSpec:
    """One direction of an agreement, as people name it: by organisation codes."""

    source: str
    receiver: str
    kinds: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    highest_tlp: str = Tlp.GREEN
    may_relay: bool = False
    originator: str = OriginatorDisclosure.ANONYMISED


@dataclass
class AgreementSpec:
    code: str
    title: str
    text: str
    parties: list[str]
    terms: list[TermSpec]
    valid_from: datetime.date
    valid_to: datetime.date | None = None
    version: int = 1
    supersedes: str = ""  # the code of the agreement this version replaces
    proposed_by: str = ""  # the party the proposer acts for; by default the first it represents


def _record(agreement: Agreement, action: str, *, user=None, organisation=None, reason: str = "") -> None:
    AgreementEvent.objects.create(
        agreement=agreement,
        action=action,
        status_after=agreement.status,
        user=user,
        organisation=organisation,
        reason=reason[:500],
    )


def _highest_tlp_allowed(organisation: Organisation) -> str | None:
    """The highest marking the handling rules now in force at `organisation` (a CEPTOAR or a council) let it
    share under an agreement; None where it has no rules (a related body, a ministry)."""
    # In force today: a version published ahead does not bind yet.
    rules = queries.current_rules(organisation)
    return rules.highest_tlp_shared if rules is not None else None


def _check_term(spec: TermSpec, index: int, parties: dict[str, Organisation], errors: dict) -> None:
    where = _("Direction %(number)d (%(source)s → %(receiver)s)") % {
        "number": index + 1,
        "source": spec.source,
        "receiver": spec.receiver,
    }

    def fail(field_name: str, message: str) -> None:
        errors.setdefault(field_name, []).append(f"{where}: {message}")

    for role, code in (("source", spec.source), ("receiver", spec.receiver)):
        if code not in parties:
            fail(f"terms.{role}", _("%(code)s is not a party to the agreement.") % {"code": code})
    if spec.source == spec.receiver:
        fail("terms.receiver", _("A direction goes from one party to another."))
    unknown = [kind for kind in spec.kinds if kind not in FlowKind.values]
    if not spec.kinds:
        fail("terms.kinds", _("Choose at least one kind that may flow; none means nothing flows."))
    elif unknown:
        fail("terms.kinds", _("Unknown kinds: %(values)s") % {"values": ", ".join(unknown)})
    unknown = [category for category in spec.categories if category not in CATEGORY_VALUES]
    if not spec.categories:
        fail("terms.categories", _("Choose at least one category; none means nothing flows."))
    elif unknown:
        fail("terms.categories", _("Unknown categories: %(values)s") % {"values": ", ".join(unknown)})
    if spec.highest_tlp not in TLP_RANK:
        fail("terms.highest_tlp", _("Unknown TLP marking: %(value)s") % {"value": spec.highest_tlp})
    else:
        for code in (spec.source, spec.receiver):
            organisation = parties.get(code)
            allowed = _highest_tlp_allowed(organisation) if organisation else None
            if allowed is not None and TLP_RANK[Tlp(spec.highest_tlp)] > TLP_RANK[Tlp(allowed)]:
                fail(
                    "terms.highest_tlp",
                    _("%(tlp)s is above what the handling rules of %(party)s allow (%(allowed)s).")
                    % {
                        "tlp": Tlp(spec.highest_tlp).label,
                        "party": organisation.name,
                        "allowed": Tlp(allowed).label,
                    },
                )
    if spec.originator not in OriginatorDisclosure.values:
        fail("terms.originator", _("Unknown choice: %(value)s") % {"value": spec.originator})


def _conflicts(
    spec: AgreementSpec, parties: dict[str, Organisation], supersedes: Agreement | None
) -> list[str]:
    """Other live agreements (proposed, in force or suspended) that already cover a direction of this one.
    Two would bind the same direction at once; a new version must say which one it replaces."""
    messages = []
    live = ~Q(agreement__status__in=FINAL_STATUSES)
    if supersedes is not None:
        live &= ~Q(agreement=supersedes)
    for term in spec.terms:
        if term.source not in parties or term.receiver not in parties:
            continue
        other = (
            AgreementTerm.objects.filter(live, source=parties[term.source], receiver=parties[term.receiver])
            .select_related("agreement")
            .first()
        )
        if other is not None:
            messages.append(
                _(
                    "%(source)s → %(receiver)s is already covered by “%(title)s” (%(code)s, %(status)s). "
                    "Propose this as its new version (it supersedes %(code)s), or end that one first."
                )
                % {
                    "source": term.source,
                    "receiver": term.receiver,
                    "title": other.agreement.title,
                    "code": other.agreement.code,
                    "status": other.agreement.get_status_display(),
                }
            )
    return messages


@transaction.atomic
def do_propose(user, spec: AgreementSpec) -> Agreement:
    """Write a proposed agreement with its parties and terms, accepted at once for the proposer's party.
    Raises ValidationError naming each field that is wrong; nothing is written then."""
    errors: dict[str, list[str]] = {}
    codes = list(dict.fromkeys(code.strip() for code in spec.parties if code and code.strip()))
    found = {o.code: o for o in Organisation.objects.filter(code__in=codes)}
    unknown = [code for code in codes if code not in found]
    if unknown:
        errors["parties"] = [_("No such organisation: %(codes)s") % {"codes": ", ".join(unknown)}]
    elif len(codes) < 2:
        errors["parties"] = [_("An agreement needs a second party.")]
    represented = set(
        access.organisations_represented_by(user).filter(code__in=codes).values_list("code", flat=True)
    )
    proposer_code = spec.proposed_by or next((code for code in codes if code in represented), "")
    if proposer_code not in represented:
        errors.setdefault("parties", []).append(
            _("You may propose an agreement only for an organisation you act for, and it must be a party.")
        )
    if not spec.code.strip():
        errors["code"] = [_("An agreement needs a code.")]
    elif Agreement.objects.filter(code=spec.code.strip()).exists():
        errors["code"] = [_("An agreement with the code %(code)s exists already.") % {"code": spec.code}]
    if not spec.title.strip():
        errors["title"] = [_("An agreement needs a title.")]
    if not spec.text.strip():
        errors["text"] = [_("Write the agreed text (or its summary and where the signed copy is kept).")]
    if spec.valid_to is not None and spec.valid_to < spec.valid_from:
        errors["valid_to"] = [_("The end date is before the start date.")]
    if not spec.terms:
        errors["terms"] = [_("Say what may flow in at least one direction.")]
    seen = set()
    for index, term in enumerate(spec.terms):
        _check_term(term, index, found, errors)
        if (term.source, term.receiver) in seen:
            errors.setdefault("terms", []).append(
                _("%(source)s → %(receiver)s is given twice.")
                % {"source": term.source, "receiver": term.receiver}
            )
        seen.add((term.source, term.receiver))
    supersedes = None
    if spec.supersedes:
        supersedes = Agreement.objects.filter(code=spec.supersedes).first()
        if supersedes is None:
            errors["supersedes"] = [_("No such agreement: %(code)s") % {"code": spec.supersedes}]
        elif supersedes.status in FINAL_STATUSES:
            errors["supersedes"] = [_("%(code)s has already ended.") % {"code": spec.supersedes}]
    if not errors:
        conflicts = _conflicts(spec, found, supersedes)
        if conflicts:
            errors["terms"] = conflicts
    if errors:
        raise ValidationError(errors)

    agreement = Agreement.objects.create(
        code=spec.code.strip(),
        title=spec.title.strip(),
        text=spec.text,
        version=spec.version,
        valid_from=spec.valid_from,
        valid_to=spec.valid_to,
        supersedes=supersedes,
        proposed_by=found[proposer_code],
        proposed_by_user=user,
    )
    AgreementParty.objects.bulk_create(
        [AgreementParty(agreement=agreement, organisation=found[c]) for c in codes]
    )
    AgreementTerm.objects.bulk_create(
        [
            AgreementTerm(
                agreement=agreement,
                source=found[term.source],
                receiver=found[term.receiver],
                kinds=list(dict.fromkeys(term.kinds)),
                categories=list(dict.fromkeys(term.categories)),
                highest_tlp=term.highest_tlp,
                may_relay=term.may_relay,
                originator=term.originator,
            )
            for term in spec.terms
        ]
    )
    _record(agreement, Action.PROPOSED, user=user, organisation=found[proposer_code])
    return _accept(agreement, user, found[proposer_code])


def _locked(agreement: Agreement) -> Agreement:
    return Agreement.objects.select_for_update().get(pk=agreement.pk)


def _require_party(agreement: Agreement, user, organisation: Organisation) -> AgreementParty:
    party = AgreementParty.objects.filter(agreement=agreement, organisation=organisation).first()
    if party is None:
        raise ValidationError(
            {"organisation": _("%(name)s is not a party to this agreement.") % {"name": organisation.name}}
        )
    if not access.may_act_for(user, organisation):
        raise ValidationError(
            {"organisation": _("You are not authorised to act for %(name)s.") % {"name": organisation.name}}
        )
    return party


def _accept(agreement: Agreement, user, organisation: Organisation) -> Agreement:
    party = _require_party(agreement, user, organisation)
    if agreement.status != AgreementStatus.PROPOSED:
        raise ValidationError({"status": _("Only a proposed agreement can be accepted.")})
    if party.accepted_at is not None:
        raise ValidationError(
            {"organisation": _("%(name)s has already accepted.") % {"name": organisation.name}}
        )
    party.accepted_at, party.accepted_by = timezone.now(), user
    party.save(update_fields=["accepted_at", "accepted_by"])
    _record(agreement, Action.ACCEPTED, user=user, organisation=organisation)
    if not AgreementParty.objects.filter(agreement=agreement, accepted_at__isnull=True).exists():
        agreement.status, agreement.in_force_at = AgreementStatus.IN_FORCE, timezone.now()
        agreement.save(update_fields=["status", "in_force_at"])
        _record(agreement, Action.IN_FORCE)
        if agreement.supersedes_id is not None:
            _end(
                _locked(agreement.supersedes),
                AgreementStatus.EXPIRED,
                Action.SUPERSEDED,
                reason=agreement.code,
            )
    return agreement


@transaction.atomic
def do_accept(agreement: Agreement, user, organisation: Organisation) -> Agreement:
    """Accept for `organisation`, which `user` must be authorised to act for; in force once every party has."""
    return _accept(_locked(agreement), user, organisation)


def _end(
    agreement: Agreement, status: str, action: str, *, user=None, organisation=None, reason: str = ""
) -> None:
    agreement.status, agreement.ended_at = status, timezone.now()
    agreement.save(update_fields=["status", "ended_at"])
    _record(agreement, action, user=user, organisation=organisation, reason=reason)


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why, for the other parties and the register.")})
    return reason


@transaction.atomic
def do_suspend(agreement: Agreement, user, organisation: Organisation, reason: str) -> Agreement:
    """Any party may suspend an agreement in force: from that moment nothing flows under it."""
    agreement = _locked(agreement)
    _require_party(agreement, user, organisation)
    reason = _require_reason(reason)
    if agreement.status != AgreementStatus.IN_FORCE:
        raise ValidationError({"status": _("Only an agreement in force can be suspended.")})
    agreement.status = AgreementStatus.SUSPENDED
    agreement.save(update_fields=["status"])
    _record(agreement, Action.SUSPENDED, user=user, organisation=organisation, reason=reason)
    return agreement


@transaction.atomic
def do_resume(agreement: Agreement, user, organisation: Organisation) -> Agreement:
    """The party that suspended an agreement lifts the suspension (it was the one that withdrew)."""
    agreement = _locked(agreement)
    _require_party(agreement, user, organisation)
    if agreement.status != AgreementStatus.SUSPENDED:
        raise ValidationError({"status": _("Only a suspended agreement can be resumed.")})
    suspension = agreement.events.filter(action=Action.SUSPENDED).order_by("-at", "-id").first()
    if suspension is not None and suspension.organisation_id != organisation.pk:
        raise ValidationError(
            {
                "organisation": _("Only %(name)s, which suspended it, can resume it.")
                % {"name": suspension.organisation}
            }
        )
    agreement.status = AgreementStatus.IN_FORCE
    agreement.save(update_fields=["status"])
    _record(agreement, Action.RESUMED, user=user, organisation=organisation)
    return agreement


@transaction.atomic
def do_revoke(agreement: Agreement, user, organisation: Organisation, reason: str) -> Agreement:
    """Any party may revoke an agreement (or withdraw a proposal); it never comes back: propose a new one."""
    agreement = _locked(agreement)
    _require_party(agreement, user, organisation)
    reason = _require_reason(reason)
    if agreement.status in FINAL_STATUSES:
        raise ValidationError({"status": _("This agreement has already ended.")})
    _end(
        agreement,
        AgreementStatus.REVOKED,
        Action.REVOKED,
        user=user,
        organisation=organisation,
        reason=reason,
    )
    return agreement


def expire_due(today: datetime.date | None = None) -> int:
    """Mark expired the agreements past their end date (a periodic job). The flows stop at the end date
    whether or not this has run (`agreements.flows` reads the dates); this writes it into the history."""
    today = today or timezone.localdate()
    done = 0
    due = Agreement.objects.filter(
        status__in=(AgreementStatus.IN_FORCE, AgreementStatus.SUSPENDED, AgreementStatus.PROPOSED),
        valid_to__lt=today,
    ).values_list("pk", flat=True)
    for pk in due:
        with transaction.atomic():
            agreement = Agreement.objects.select_for_update().get(pk=pk)
            if agreement.status in FINAL_STATUSES:
                continue  # another worker got there first
            _end(agreement, AgreementStatus.EXPIRED, Action.EXPIRED)
            done += 1
    return done
