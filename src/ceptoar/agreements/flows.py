"""What may flow between two organisations now: the one read of agreements that every flow asks.

A lateral alert, a relay of one, an escalation step of one, a report forwarded for analysis, the compose form
and the dry run all ask here, at the moment they act, so that an agreement suspended, revoked or past its end
date stops every one of them at once.

Two agreements in force may cover the same direction (a new version accepted before the old one was ended, or
two bodies' agreements that overlap). Then the narrower terms win: only the kinds and categories both allow,
the lower of the highest TLPs, relay only if both allow it, and the originator anonymised if either says so.
The dry run shows each agreement and the terms that result, so the parties see which one binds them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.agreements.categories import CATEGORY_LABELS
from ceptoar.agreements.models import (
    Agreement,
    AgreementStatus,
    AgreementTerm,
    FlowKind,
    OriginatorDisclosure,
)
from ceptoar.registry.models import Organisation, OrganisationKind
from ceptoar.registry.queries import ceptoar_family
from ceptoar.sharing.models import TLP_RANK, Tlp


def in_force_condition(on: datetime.date | None = None, prefix: str = "") -> Q:
    """Agreements (or, with `prefix="agreement__"`, their terms) in force on `on` (today): accepted by every
    party, neither suspended nor ended, and within their dates."""
    on = on or timezone.localdate()
    return Q(**{f"{prefix}status": AgreementStatus.IN_FORCE, f"{prefix}valid_from__lte": on}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": on})
    )


def agreements_in_force(on: datetime.date | None = None) -> QuerySet[Agreement]:
    return Agreement.objects.filter(in_force_condition(on))


def terms_in_force(
    source_id: int, receiver_id: int, on: datetime.date | None = None
) -> QuerySet[AgreementTerm]:
    return AgreementTerm.objects.filter(
        in_force_condition(on, "agreement__"), source_id=source_id, receiver_id=receiver_id
    ).select_related("agreement")


@dataclass(frozen=True)
class Flow:
    """What may flow one way now, under every agreement in force that covers that direction."""

    kinds: frozenset[str]
    categories: frozenset[str]
    highest_tlp: str
    may_relay: bool
    originator: str
    agreements: tuple[Agreement, ...]

    def allows(self, kind: str, category: str | None = None, tlp: str | None = None) -> bool:
        return not self.shortfalls(kind, category, tlp)

    def shortfalls(self, kind: str, category: str | None = None, tlp: str | None = None) -> list[str]:
        """What the agreements do not cover of an item of `kind`, `category` and `tlp`, in words."""
        missing = []
        if kind not in self.kinds:
            missing.append(_("the kind “%(kind)s”") % {"kind": FlowKind(kind).label})
        if category is not None and category not in self.categories:
            missing.append(_("the category “%(category)s”") % {"category": category_label(category)})
        if tlp is not None and TLP_RANK[Tlp(tlp)] > TLP_RANK[Tlp(self.highest_tlp)]:
            missing.append(
                _("%(tlp)s (they allow up to %(highest)s)")
                % {"tlp": Tlp(tlp).label, "highest": Tlp(self.highest_tlp).label}
            )
        return missing

    @property
    def is_combined(self) -> bool:
        return len(self.agreements) > 1


def category_label(category: str) -> str:
    return str(CATEGORY_LABELS.get(category, category))


def combine(terms: list[AgreementTerm]) -> Flow | None:
    """The terms that bind when all of `terms` (one direction) are in force: the narrowest of each."""
    if not terms:
        return None
    kinds = frozenset.intersection(*(frozenset(term.kinds) for term in terms))
    categories = frozenset.intersection(*(frozenset(term.categories) for term in terms))
    highest = min((Tlp(term.highest_tlp) for term in terms), key=TLP_RANK.__getitem__)
    anonymised = any(term.originator == OriginatorDisclosure.ANONYMISED for term in terms)
    return Flow(
        kinds=kinds,
        categories=categories,
        highest_tlp=highest,
        may_relay=all(term.may_relay for term in terms),
        originator=OriginatorDisclosure.ANONYMISED if anonymised else OriginatorDisclosure.NAMED,
        agreements=tuple(sorted({term.agreement for term in terms}, key=lambda a: a.code)),
    )


def flow(source_id: int, receiver_id: int, on: datetime.date | None = None) -> Flow | None:
    """What may flow from `source_id` to `receiver_id` on `on` (today); None where no agreement is in force."""
    return combine(list(terms_in_force(source_id, receiver_id, on)))


def flows_from(source_id: int, on: datetime.date | None = None) -> dict[int, Flow]:
    """Every receiver `source_id` may send to now, with what may flow to each: one query (the compose form)."""
    by_receiver: dict[int, list[AgreementTerm]] = {}
    for term in AgreementTerm.objects.filter(
        in_force_condition(on, "agreement__"), source_id=source_id
    ).select_related("agreement"):
        by_receiver.setdefault(term.receiver_id, []).append(term)
    return {receiver: combine(terms) for receiver, terms in by_receiver.items()}


def receivers(
    source_id: int, kind: str, category: str | None = None, tlp: str | None = None
) -> QuerySet[Organisation]:
    """The organisations `source_id` may send an item of this kind, category and TLP to now."""
    allowed = [
        receiver for receiver, found in flows_from(source_id).items() if found.allows(kind, category, tlp)
    ]
    return Organisation.objects.filter(pk__in=allowed)


def check_flow(
    source: Organisation, receiver: Organisation, kind: str, category: str | None, tlp: str | None
) -> Flow:
    """The flow that lets this item go from `source` to `receiver`, or ValidationError naming what is missing:
    the agreement itself, or what of the item the agreements in force do not cover."""
    found = flow(source.pk, receiver.pk)
    if found is None:
        raise ValidationError(
            _("No agreement in force lets %(source)s share with %(receiver)s.")
            % {"source": source.name, "receiver": receiver.name},
            code="no_agreement",
        )
    missing = found.shortfalls(kind, category, tlp)
    if missing:
        raise ValidationError(
            _("The agreement %(agreements)s between %(source)s and %(receiver)s does not cover %(missing)s.")
            % {
                "agreements": ", ".join(a.title for a in found.agreements),
                "source": source.name,
                "receiver": receiver.name,
                "missing": ", ".join(missing),
            },
            code="not_covered",
        )
    return found


# -- which sends are lateral ------------------------------------------------------------------------

# The kinds of organisation whose sends beyond their own chain are lateral (the seeds' function ②): a
# CEPTOAR, a council, a related body. The hub and the ministries send down the chain (their reach is
# `alerts.reach`'s to explain); a sub-group relays for its CEPTOAR.
LATERAL_SENDER_KINDS = frozenset(
    {OrganisationKind.CEPTOAR, OrganisationKind.COUNCIL, OrganisationKind.RELATED_BODY}
)


def own_chain(sender: Organisation) -> QuerySet[Organisation]:
    """The organisations a lateral sender reaches without an agreement: for a CEPTOAR, itself, its sub-groups
    and its members (what an audience of that CEPTOAR expands to); for a council or a related body, itself."""
    if sender.kind == OrganisationKind.CEPTOAR:
        return ceptoar_family(sender)
    return Organisation.objects.filter(pk=sender.pk)


def is_lateral(sender: Organisation, receiver_id: int) -> bool:
    """Whether something `sender` sends to `receiver_id` goes beyond its own chain, under an agreement."""
    return sender.kind in LATERAL_SENDER_KINDS and not own_chain(sender).filter(pk=receiver_id).exists()
