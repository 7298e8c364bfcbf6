"""Tracking (配信・受領状況): how far an alert and every relay beneath it have got — messages delivered,
receipts confirmed — per hop, per sector, per CEPTOAR and per organisation, for the sender and for each
organisation that relayed it.

A hub alert reaches ~5,700 members through a few dozen relays. The relays are few and are walked in
Python; recipients are only ever counted by the database (GROUP BY), and listed a page at a time, so the
page costs the same handful of queries whatever the fan-out. Receipt statuses are the escalation app's
(`escalation.status.with_status`), never worked out again here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ceptoar.accounts import access
from ceptoar.agreements.flows import LATERAL_SENDER_KINDS
from ceptoar.alerts.lateral import onward_refusal
from ceptoar.alerts.models import Acknowledgement, Alert, Recipient
from ceptoar.channels.models import Delivery, DeliveryStatus
from ceptoar.escalation.models import FollowUp, FollowUpState, Step
from ceptoar.escalation.status import ReceiptStatus, with_status
from ceptoar.registry.models import Organisation, OrganisationKind, name_in_active_language
from ceptoar.sharing import policy

PAGE_SIZE = 50

# The organisations of a hop, named by what they are in the chain. Members and related bodies that are
# members are one group: both are what a CEPTOAR relays to.
_KIND_GROUP = {
    OrganisationKind.HUB: "hub",
    OrganisationKind.MINISTRY: "ministry",
    OrganisationKind.CEPTOAR: "ceptoar",
    OrganisationKind.COUNCIL: "council",
    OrganisationKind.SUBGROUP: "subgroup",
    OrganisationKind.MEMBER: "member",
    OrganisationKind.RELATED_BODY: "member",
}
_GROUP_ORDER = ["hub", "ministry", "council", "ceptoar", "subgroup", "member", "other"]
GROUP_NAMES = {
    "hub": _("National hub (NISC)"),
    "ministry": _("Sector ministries"),
    "council": _("Councils"),
    "ceptoar": _("CEPTOARs"),
    "subgroup": _("Sub-groups and relay hubs"),
    "member": _("Member organisations"),
    "other": _("Other organisations"),
}
# Organisations expected to pass an alert on when they receive one.
RELAYING_KINDS = (OrganisationKind.MINISTRY, OrganisationKind.CEPTOAR, OrganisationKind.SUBGROUP)

# Problems first: the table is for whoever chases the organisations that have not answered.
STATUS_ORDER = [
    ReceiptStatus.UNREACHABLE,
    ReceiptStatus.NOT_CONFIRMED,
    ReceiptStatus.CONFIRMED_LATE,
    ReceiptStatus.CONFIRMED,
]
ACKNOWLEDGED_STATUSES = (ReceiptStatus.CONFIRMED, ReceiptStatus.CONFIRMED_LATE)
# A delivery not yet finally sent or failed.
UNFINISHED_DELIVERY_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.RETRYING)
_STEP_RANK = {Step.BACKUP: 1, Step.HEAD: 2, Step.CALL_LIST: 3}


def kind_group(kind: str) -> str:
    return _KIND_GROUP.get(kind, "other")


def hop_label(sender_kind: str, recipient_kind: str) -> str:
    """ "National hub (NISC) → Sector ministries": the hop named by who sent to whom."""
    return f"{GROUP_NAMES[kind_group(sender_kind)]} → {GROUP_NAMES[kind_group(recipient_kind)]}"


# -- who may track --------------------------------------------------------------------------------


def _senders_down_to(alert: Alert) -> set[int]:
    """The organisations that sent `alert` or any alert above it in its chain (one query)."""
    root_id = alert.root_id or alert.pk
    chain = {
        pk: (parent_id, origin_id)
        for pk, parent_id, origin_id in Alert.objects.filter(Q(pk=root_id) | Q(root_id=root_id)).values_list(
            "pk", "parent_id", "origin_organisation_id"
        )
    }
    senders: set[int] = set()
    node = alert.pk
    while node in chain:
        parent_id, origin_id = chain[node]
        senders.add(origin_id)
        node = parent_id
    return senders


def can_track(user, alert: Alert) -> bool:
    """Whether `user` may follow the delivery and receipt of `alert` and the relays beneath it.

    A sender (hub, ministry, CEPTOAR or relay hub staff) of an organisation that sent this alert or one
    above it in the chain, who may see the alert itself. The hub follows the ministries' and CEPTOARs'
    relays beneath its alert; a CEPTOAR its own relay's subtree, never a sibling CEPTOAR's. What the page
    shows of the relays below is who was reached and when, not their content.
    """
    if not access.can_send_alerts(user) or alert.status not in policy.SHARED_ALERT_STATUSES:
        return False
    if user.organisation_id not in _senders_down_to(alert):
        return False
    return policy.may_see(user, alert)


# -- the subtree ----------------------------------------------------------------------------------


@dataclass
class Subtree:
    """An alert and every relay beneath it. Each node carries `depth` (0 for the top) and `ceptoar`: the
    CEPTOAR whose relay it is or lies beneath (None above the CEPTOAR hop)."""

    top: Alert
    nodes: dict[int, Alert]

    @property
    def ids(self) -> list[int]:
        return list(self.nodes)

    def ceptoars(self) -> list[Organisation]:
        found = {node.ceptoar.pk: node.ceptoar for node in self.nodes.values() if node.ceptoar is not None}
        return sorted(found.values(), key=lambda organisation: organisation.code)

    def ids_under_ceptoar(self, code: str) -> list[int]:
        return [
            pk for pk, node in self.nodes.items() if node.ceptoar is not None and node.ceptoar.code == code
        ]

    def hop_of(self, recipient: Recipient) -> str:
        return hop_label(self.nodes[recipient.alert_id].origin_organisation.kind, recipient.organisation.kind)


def _ceptoar_of(node: Alert, parent: Alert | None) -> Organisation | None:
    origin = node.origin_organisation
    if origin.kind == OrganisationKind.CEPTOAR:
        return origin
    if origin.kind == OrganisationKind.SUBGROUP and origin.parent_id is not None:
        return origin.parent
    return parent.ceptoar if parent is not None else None


def subtree(alert: Alert) -> Subtree:
    """`alert` and its relays, their relays and so on, in one query."""
    root_id = alert.root_id or alert.pk
    family = {
        node.pk: node
        for node in Alert.objects.filter(
            Q(pk=root_id) | Q(root_id=root_id), status__in=policy.SHARED_ALERT_STATUSES
        ).select_related("origin_organisation__parent")
    }
    children: dict[int, list[Alert]] = defaultdict(list)
    for node in family.values():
        if node.parent_id is not None:
            children[node.parent_id].append(node)
    top = family.get(alert.pk, alert)
    top.depth = 0
    top.ceptoar = _ceptoar_of(top, None)
    nodes = {top.pk: top}
    queue = [top]
    while queue:
        parent = queue.pop(0)
        for child in sorted(children.get(parent.pk, []), key=lambda n: (n.published_at, n.pk)):
            child.depth = parent.depth + 1
            child.ceptoar = _ceptoar_of(child, parent)
            nodes[child.pk] = child
            queue.append(child)
    return Subtree(top=top, nodes=nodes)


# -- progress -------------------------------------------------------------------------------------


@dataclass
class Segment:
    status: str
    label: str
    count: int
    # Where the segment starts and how wide it is, in per cent of the bar, as SVG wants them whatever the
    # page's language (the bar is an SVG: the Content-Security-Policy refuses style attributes).
    width: str
    start: str = "0.00%"


@dataclass
class Progress:
    """Receipt statuses of a group of recipient organisations (a hop, a sector, a CEPTOAR's members)."""

    key: str
    label: str
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, status: str, count: int) -> None:
        self.counts[status] = self.counts.get(status, 0) + count

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def acknowledged(self) -> int:
        return sum(self.counts.get(status, 0) for status in ACKNOWLEDGED_STATUSES)

    def count(self, status: str) -> int:
        return self.counts.get(status, 0)

    @property
    def confirmed(self) -> int:
        return self.count(ReceiptStatus.CONFIRMED)

    @property
    def confirmed_late(self) -> int:
        return self.count(ReceiptStatus.CONFIRMED_LATE)

    @property
    def not_confirmed(self) -> int:
        return self.count(ReceiptStatus.NOT_CONFIRMED)

    @property
    def unreachable(self) -> int:
        return self.count(ReceiptStatus.UNREACHABLE)

    @property
    def rate(self) -> float | None:
        """疎通確認率: recipients that confirmed receipt, in per cent of those sent to."""
        return 100.0 * self.acknowledged / self.total if self.total else None

    @property
    def rate_text(self) -> str:
        return "—" if self.rate is None else f"{self.rate:.1f}%"

    @property
    def description(self) -> str:
        """The bar in words, for screen readers and the tooltip."""
        return ", ".join(f"{segment.label} {segment.count}" for segment in self.segments)

    @property
    def segments(self) -> list[Segment]:
        """The bar, acknowledged first, in the order a reader scans it left to right."""
        total = self.total
        segments, before = [], 0
        for status in reversed(STATUS_ORDER):
            if n := self.counts.get(status, 0):
                label = str(ReceiptStatus.labels[status])
                segments.append(
                    Segment(status, label, n, f"{100.0 * n / total:.2f}%", f"{100.0 * before / total:.2f}%")
                )
                before += n
        return segments


@dataclass
class PendingRelay:
    """An organisation that received an alert it is expected to pass on, and has not (yet)."""

    recipient: Recipient
    received: Alert
    waiting: timedelta | None
    acknowledged: bool
    blocked_reason: str = ""


@dataclass
class HubProgress:
    """A sub-group or relay hub that received an alert of the subtree: its own receipt (the first hop), its
    relay, and the receipts of the members it relayed to (the second hop)."""

    recipient: Recipient
    received: Alert
    receipt_status: str
    relay: Alert | None
    members: Progress

    @property
    def receipt_label(self) -> str:
        return str(ReceiptStatus.labels.get(self.receipt_status, self.receipt_status))

    @property
    def relay_time(self) -> timedelta | None:
        if self.relay is None or self.relay.published_at is None or self.received.published_at is None:
            return None
        return self.relay.published_at - self.received.published_at


@dataclass
class Summary:
    recipients: Progress
    reached: int
    deliveries_sent: int
    deliveries_failed: int
    deliveries_pending: int
    deliveries_retrying: int
    hops: list[Progress]
    sectors: list[Progress]
    ceptoars: list[Progress]
    pending_relays: list[PendingRelay]
    relays: int
    generated_at: datetime
    relay_hubs: list[HubProgress] = field(default_factory=list)


def _messages() -> QuerySet[Delivery]:
    """Deliveries that carry the alert to a person (the portal inbox is the recipient row itself)."""
    return Delivery.objects.all()


def _in_key_order(groups: dict) -> list[Progress]:
    return [groups[key] for key in sorted(groups)]


def summarise(sub: Subtree) -> Summary:
    """Every number of the page's summary, from four aggregate queries whatever the fan-out."""
    ids = sub.ids
    overall = Progress("all", gettext("All recipient organisations"))
    hops: dict[tuple[int, int], Progress] = {}
    sectors: dict[tuple, Progress] = {}
    ceptoars: dict[str, Progress] = {}
    # The members each hub relayed to, by (the alert it received, the hub).
    hub_members: dict[tuple[int, int], Progress] = defaultdict(lambda: Progress("", ""))
    grouped = (
        with_status(Recipient.objects.filter(alert_id__in=ids))
        .values(
            "alert_id",
            "organisation__kind",
            "organisation__sector__code",
            "organisation__sector__name",
            "organisation__sector__name_en",
            "organisation__sector__position",
            "receipt_status",
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in grouped:
        status, n = row["receipt_status"], row["n"]
        node = sub.nodes[row["alert_id"]]
        overall.add(status, n)
        sender, receiver = kind_group(node.origin_organisation.kind), kind_group(row["organisation__kind"])
        hop_key = (_GROUP_ORDER.index(sender), _GROUP_ORDER.index(receiver))
        hops.setdefault(
            hop_key, Progress(f"{sender}-{receiver}", f"{GROUP_NAMES[sender]} → {GROUP_NAMES[receiver]}")
        ).add(status, n)
        sector_code = row["organisation__sector__code"]
        sector_key = (0, row["organisation__sector__position"], sector_code) if sector_code else (1, 0, "")
        sectors.setdefault(
            sector_key,
            Progress(
                sector_code or "",
                name_in_active_language(
                    row["organisation__sector__name"], row["organisation__sector__name_en"]
                )
                if sector_code
                else gettext("No sector"),
            ),
        ).add(status, n)
        if node.ceptoar is not None:
            ceptoars.setdefault(
                node.ceptoar.code, Progress(node.ceptoar.code, node.ceptoar.display_name)
            ).add(status, n)
        if node.origin_organisation.kind == OrganisationKind.SUBGROUP and node.parent_id is not None:
            hub_members[(node.parent_id, node.origin_organisation_id)].add(status, n)

    reached = (
        Recipient.objects.filter(alert_id__in=ids)
        .filter(Exists(_messages().filter(recipient=OuterRef("pk"), status=DeliveryStatus.SENT)))
        .count()
    )
    deliveries = dict(
        _messages()
        .filter(alert_id__in=ids, recipient__isnull=False)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("status", "n")
    )
    return Summary(
        recipients=overall,
        reached=reached,
        deliveries_sent=deliveries.get(DeliveryStatus.SENT, 0),
        deliveries_failed=deliveries.get(DeliveryStatus.FAILED_PERMANENT, 0),
        deliveries_pending=sum(deliveries.get(status, 0) for status in UNFINISHED_DELIVERY_STATUSES),
        deliveries_retrying=deliveries.get(DeliveryStatus.RETRYING, 0),
        hops=_in_key_order(hops),
        sectors=_in_key_order(sectors),
        ceptoars=_in_key_order(ceptoars),
        pending_relays=pending_relays(sub),
        relays=len(sub.nodes) - 1,
        generated_at=timezone.now(),
        relay_hubs=relay_hubs(sub, hub_members),
    )


def relay_hubs(sub: Subtree, hub_members: dict[tuple[int, int], Progress] | None = None) -> list[HubProgress]:
    """The sub-groups and relay hubs of the subtree (one query): each one's receipt and relay, and, when
    `hub_members` is given (from `summarise`'s counts), the receipts of its members; by CEPTOAR and code."""
    relays = {
        (node.parent_id, node.origin_organisation_id): node
        for node in sub.nodes.values()
        if node.origin_organisation.kind == OrganisationKind.SUBGROUP
    }
    rows = (
        with_status(
            Recipient.objects.filter(alert_id__in=sub.ids, organisation__kind=OrganisationKind.SUBGROUP)
        )
        .select_related("organisation")
        .order_by("organisation__parent__code", "organisation__code", "alert_id")
    )
    hubs = []
    for row in rows:
        key = (row.alert_id, row.organisation_id)
        hubs.append(
            HubProgress(
                recipient=row,
                received=sub.nodes[row.alert_id],
                receipt_status=row.receipt_status,
                relay=relays.get(key),
                members=(hub_members or {}).get(key) or Progress("", ""),
            )
        )
    return hubs


def pending_relays(sub: Subtree, now: datetime | None = None) -> list[PendingRelay]:
    """Ministries, CEPTOARs and relay hubs of the subtree that received an alert and have not relayed it,
    longest waiting first. An alert marked "no onward relay" expects none."""
    now = now or timezone.now()
    relayed = {(node.parent_id, node.origin_organisation_id) for node in sub.nodes.values()}
    candidates = (
        Recipient.objects.filter(
            alert_id__in=[pk for pk, node in sub.nodes.items() if not node.no_onward_relay],
            organisation__kind__in=RELAYING_KINDS,
        )
        .select_related("organisation")
        .annotate(acknowledged=Exists(Acknowledgement.objects.filter(recipient=OuterRef("pk"))))
        .order_by("alert_id", "organisation__code")
    )
    rows = []
    for recipient in candidates:
        if (recipient.alert_id, recipient.organisation_id) in relayed:
            continue
        received = sub.nodes[recipient.alert_id]
        blocked = (
            gettext("waits for the originator's approval") if policy.relay_needs_approval(received) else ""
        )
        if not blocked and _beyond_senders_chain(received, recipient.organisation):
            # Received under an agreement: it relays only if the agreement (still) lets it.
            blocked = onward_refusal(received, recipient.organisation) or ""
        rows.append(
            PendingRelay(
                recipient=recipient,
                received=received,
                waiting=now - received.published_at if received.published_at else None,
                acknowledged=recipient.acknowledged,
                blocked_reason=blocked,
            )
        )
    rows.sort(key=lambda row: (row.received.published_at, row.recipient.organisation.code))
    return rows


def _beyond_senders_chain(received: Alert, organisation: Organisation) -> bool:
    """A cheap first test, without a query, for a recipient that may have got `received` laterally: its sender
    is a CEPTOAR, council or related body and the recipient is not one of its sub-groups."""
    sender = received.origin_organisation
    return sender.kind in LATERAL_SENDER_KINDS and organisation.parent_id != sender.pk


# -- the organisations ----------------------------------------------------------------------------


def _per_recipient(deliveries: QuerySet[Delivery], aggregate) -> Subquery:
    return Subquery(
        deliveries.filter(recipient=OuterRef("pk"))
        .order_by()
        .values("recipient")
        .annotate(v=aggregate)
        .values("v")
    )


def organisation_rows(
    sub: Subtree, *, status: str = "", ceptoar: str = "", search: str = ""
) -> QuerySet[Recipient]:
    """One row per recipient organisation of the subtree (an organisation reached at two hops is two
    rows), with `receipt_status`, `first_sent_at`, `deliveries_sent`, `deliveries_failed` and
    `escalation_step` (the furthest step carried out), those needing attention first."""
    ids = sub.ids_under_ceptoar(ceptoar) if ceptoar else sub.ids
    rows = with_status(Recipient.objects.filter(alert_id__in=ids))
    if status:
        rows = rows.filter(receipt_status=status)
    search = search.strip()
    if search:
        rows = rows.filter(
            Q(organisation__name__icontains=search)
            | Q(organisation__code__icontains=search)
            | Q(organisation__name_en__icontains=search)
        )
    steps_done = FollowUp.objects.filter(recipient=OuterRef("pk"), state=FollowUpState.DONE)
    return (
        rows.select_related("organisation__sector", "acknowledgement")
        .annotate(
            first_sent_at=_per_recipient(_messages().filter(status=DeliveryStatus.SENT), Min("sent_at")),
            deliveries_sent=Coalesce(
                _per_recipient(_messages().filter(status=DeliveryStatus.SENT), Count("pk")), 0
            ),
            deliveries_failed=Coalesce(
                _per_recipient(_messages().filter(status=DeliveryStatus.FAILED_PERMANENT), Count("pk")), 0
            ),
            escalation_step=Subquery(
                steps_done.annotate(
                    rank=Case(
                        *[When(step=step, then=Value(rank)) for step, rank in _STEP_RANK.items()],
                        default=Value(0),
                        output_field=IntegerField(),
                    )
                )
                .order_by("-rank", "-pk")
                .values("step")[:1]
            ),
            status_rank=Case(
                *[When(receipt_status=value, then=Value(rank)) for rank, value in enumerate(STATUS_ORDER)],
                output_field=IntegerField(),
            ),
        )
        .order_by("status_rank", "organisation__code", "alert_id")
    )


def describe(sub: Subtree, rows: Iterable[Recipient]) -> list[Recipient]:
    """Add what a row shows beyond its columns: hop, the relay it came by, times since that relay's
    publication, and words for its status and escalation step."""
    described = []
    for row in rows:
        node = sub.nodes[row.alert_id]
        acknowledgement = getattr(row, "acknowledgement", None)
        row.sent_by = node
        row.hop = sub.hop_of(row)
        row.ceptoar = node.ceptoar
        row.status_label = ReceiptStatus.labels.get(row.receipt_status, row.receipt_status)
        row.acknowledged_at = acknowledgement.acknowledged_at if acknowledgement is not None else None
        row.acknowledged_via = acknowledgement.get_via_display() if acknowledgement is not None else ""
        row.time_to_delivery = _since(node.published_at, row.first_sent_at)
        row.time_to_acknowledgement = _since(node.published_at, row.acknowledged_at)
        row.escalation_label = Step(row.escalation_step).label if row.escalation_step in Step.values else ""
        described.append(row)
    return described


def _since(start, end) -> timedelta | None:
    if start is None or end is None:
        return None
    return end - start


# -- CSV ------------------------------------------------------------------------------------------


def csv_header() -> list[str]:
    return [
        gettext("Relay hop"),
        gettext("Sent by"),
        gettext("Organisation code"),
        gettext("Organisation"),
        gettext("Sector"),
        gettext("Status"),
        gettext("First sent at"),
        gettext("Acknowledged at"),
        gettext("Acknowledged via"),
        gettext("Seconds to delivery"),
        gettext("Seconds to acknowledgement"),
        gettext("Deliveries sent"),
        gettext("Deliveries failed"),
        gettext("Escalation step reached"),
    ]


def _seconds(value: timedelta | None) -> int | None:
    return int(value.total_seconds()) if value is not None else None


def csv_lines(sub: Subtree) -> Iterator[list]:
    """The header, then one row per recipient organisation of the subtree, for `utilities.exports` to write
    (which makes every text inert: the names come from the registry)."""
    yield csv_header()
    rows = organisation_rows(sub).order_by("alert_id", "organisation__code")
    for row in describe(sub, rows.iterator(chunk_size=2000)):
        yield [
            row.hop,
            row.sent_by.origin_organisation.name,
            row.organisation.code,
            row.organisation.name,
            row.organisation.sector.name if row.organisation.sector is not None else "",
            row.status_label,
            row.first_sent_at,
            row.acknowledged_at,
            row.acknowledged_via,
            _seconds(row.time_to_delivery),
            _seconds(row.time_to_acknowledgement),
            row.deliveries_sent,
            row.deliveries_failed,
            row.escalation_label,
        ]


# -- a council's posts ----------------------------------------------------------------------------


def council_posts(user, council: Organisation, limit: int = 10) -> list[Alert]:
    """The council's newest posts that `user` may see — sent by the council, or to it by a seated CEPTOAR —
    each with `content_readable`, `receipts` (its recipient organisations, each with `receipt_status`),
    `confirmed` and `total`. A fixed handful of queries whatever the number of posts and seats."""
    to_council = Alert.objects.filter(parent=None, audience__organisations=council).values("pk")
    posts = policy.visible_alerts(
        user,
        Alert.objects.filter(Q(origin_organisation=council) | Q(pk__in=to_council)).filter(
            status__in=policy.SHARED_ALERT_STATUSES
        ),
    )
    posts = list(
        policy.with_content_readable(user, posts)
        .select_related("origin_organisation")
        .order_by("-published_at", "-pk")[:limit]
    )
    receipts: dict[int, list[Recipient]] = defaultdict(list)
    rows = with_status(Recipient.objects.filter(alert__in=[post.pk for post in posts]))
    for row in rows.select_related("organisation").order_by("organisation__code"):
        row.status_label = ReceiptStatus.labels[row.receipt_status]
        receipts[row.alert_id].append(row)
    for post in posts:
        post.receipts = receipts[post.pk]
        post.total = len(post.receipts)
        post.confirmed = sum(1 for row in post.receipts if row.receipt_status in ACKNOWLEDGED_STATUSES)
    return posts
