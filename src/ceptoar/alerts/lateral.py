"""Lateral alerts (the seeds' function ②): what a CEPTOAR, a council or a related body sends beyond its own
chain, which goes only under an agreement in force (`agreements.flows`) that covers alerts, the alert's
category and its TLP. Read-only.

Whom a send reaches beyond the chain is said by *party*: the organisation the agreement must be with.
- another CEPTOAR, or one of its sub-groups or members (named, or within a sector or the community): that
  CEPTOAR, which receives the alert at this hop and relays it to its members if the agreement lets it;
- an organisation in no CEPTOAR's chain (a related body, a council, the hub, a ministry): itself;
- a named person of another organisation: the party of that organisation.

A post to a council is not lateral in this sense: the council is the sharing space its seats agreed to, and
`alerts.services.councils` decides who may post to it.

Each party is a recipient at this hop (a `Recipient`, so delivery, acknowledgement, escalation and tracking
are those of the chain); a party the agreements do not cover is refused before anything is sent, with the
words of `flows.check_flow`, which name the missing agreement or what it does not cover.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from ceptoar.agreements import flows
from ceptoar.agreements.flows import LATERAL_SENDER_KINDS, Flow
from ceptoar.agreements.models import FlowKind
from ceptoar.alerts.models import Alert
from ceptoar.registry.models import Membership, Organisation, OrganisationKind
from ceptoar.sharing import policy
from ceptoar.sharing.models import Audience


@dataclass(frozen=True)
class Party:
    """An organisation a lateral send needs an agreement with, and what the agreements now say."""

    organisation: Organisation
    flow: Flow | None  # the flow in force from the sender, when it covers the alert
    refusal: str = ""  # otherwise, why not (the words of `flows.check_flow`)

    @property
    def allowed(self) -> bool:
        return not self.refusal


def beyond_chain(sender: Organisation, audience: Audience) -> QuerySet[Organisation]:
    """The organisations the audience reaches (with the organisations of its named people) outside the
    sender's own chain."""
    reached = Q(pk__in=policy.audience_organisations(audience).values("pk")) | Q(
        pk__in=audience.people.values("organisation_id")
    )
    return Organisation.objects.filter(reached).exclude(pk__in=flows.own_chain(sender).values("pk"))


def party_ids(sender: Organisation, audience: Audience) -> set[int]:
    """The organisations a send by `sender` to `audience` needs an agreement with (empty for the hub, a
    ministry or a sub-group, which send down the chain)."""
    if sender.kind not in LATERAL_SENDER_KINDS or audience.pk is None:
        return set()
    if (
        sender.kind == OrganisationKind.COUNCIL
        or audience.organisations.filter(kind=OrganisationKind.COUNCIL).exists()
    ):
        # A post to a council reaches its seats under the council's own rules (`alerts.services.councils` says
        # who may post, at which marking), not under bilateral agreements.
        return set()
    outside = beyond_chain(sender, audience)
    ids = set(outside.filter(kind=OrganisationKind.CEPTOAR).values_list("pk", flat=True))
    ids |= set(outside.filter(kind=OrganisationKind.SUBGROUP).values_list("parent_id", flat=True))
    ids |= set(
        Membership.objects.filter(member__in=outside.values("pk"))
        .values_list("ceptoar_id", flat=True)
        .distinct()
    )
    ids |= set(
        outside.exclude(kind__in=(OrganisationKind.CEPTOAR, OrganisationKind.SUBGROUP))
        .exclude(Exists(Membership.objects.filter(member_id=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )
    ids.discard(sender.pk)
    ids.discard(None)
    return ids


def parties(sender: Organisation, audience: Audience, category: str, tlp: str) -> list[Party]:
    """Every party of this send, with the flow that lets the alert go to it or the reason it may not."""
    ids = party_ids(sender, audience)
    if not ids:
        return []
    in_force = flows.flows_from(sender.pk)
    found = []
    for organisation in Organisation.objects.filter(pk__in=ids).order_by("code"):
        flow = in_force.get(organisation.pk)
        if flow is not None and flow.allows(FlowKind.ALERT, category, tlp):
            found.append(Party(organisation, flow))
            continue
        try:
            flows.check_flow(sender, organisation, FlowKind.ALERT, category, tlp)
        except ValidationError as error:
            found.append(Party(organisation, None, " ".join(error.messages)))
    return found


def lateral_recipients(alert: Alert) -> QuerySet[Organisation]:
    """The parties beyond the sender's chain that this alert goes to at its hop: those the agreements in
    force cover (publication refuses the alert first if any is not covered: `require_agreements`)."""
    allowed = [
        party.organisation.pk
        for party in parties(alert.origin_organisation, alert.audience, alert.category, alert.tlp)
        if party.allowed
    ]
    return Organisation.objects.filter(pk__in=allowed)


def refusals(sender: Organisation, audience: Audience, category: str, tlp: str) -> list[str]:
    return [party.refusal for party in parties(sender, audience, category, tlp) if not party.allowed]


def require_agreements(alert: Alert) -> None:
    """Refuse (on `audience`) an alert that would go beyond the sender's chain without an agreement in force
    that covers it: never accepted and then dropped."""
    missing = refusals(alert.origin_organisation, alert.audience, alert.category, alert.tlp)
    if missing:
        raise ValidationError({"audience": missing})


# -- relays of what came under an agreement ---------------------------------------------------------


def _lineage(parent: Alert) -> list[Alert]:
    """`parent` and the alerts above it, nearest first (a chain is a few hops long)."""
    nodes, node = [], parent
    while node is not None:
        nodes.append(node)
        node = node.parent if node.parent_id is not None else None
    return nodes


def onward_refusal(parent: Alert, relayer: Organisation) -> str | None:
    """Why `relayer` may not relay `parent` because it came (here or higher up its lineage) under an agreement
    that no longer covers it or does not let the receiver relay; None when no agreement stands in the way.

    Each lateral hop of the lineage (an alert its sender's chain did not hold) is asked again now, so that a
    suspended, revoked or expired agreement stops every relay of what came under it at once."""
    receivers = [relayer, *(node.origin_organisation for node in _lineage(parent))]
    for receiver, item in zip(receivers, _lineage(parent), strict=False):
        source = item.origin_organisation
        if not flows.is_lateral(source, receiver.pk):
            continue
        try:
            flow = flows.check_flow(source, receiver, FlowKind.ALERT, item.category, item.tlp)
        except ValidationError as error:
            return " ".join(error.messages)
        if not flow.may_relay:
            return _(
                "The agreement %(agreements)s lets %(source)s share alerts with %(receiver)s, but not relay "
                "them further."
            ) % {
                "agreements": ", ".join(a.title for a in flow.agreements),
                "source": source.name,
                "receiver": receiver.name,
            }
    return None
