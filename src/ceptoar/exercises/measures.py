"""The measures of an exercise (訓練の評価指標), live while it runs and kept when it ends.

疎通確認率 (confirmed-receipt rate) at each hop and per sector and CEPTOAR, the distributions of time to
delivery and to acknowledgement, who could not be reached and through which contacts, how much escalation
and telephoning was needed, and which contacts proved wrong. Receipt statuses are the escalation app's
(`escalation.status.with_status`) and the chain is the tracking page's (`alerts.tracking.subtree`), so the
scoreboard and the tracking page of the same alert always agree.

Everything is returned as one JSON-ready dict: the page, the PDF, the comparison with the previous exercise
and `ceptoar exercise run --simulate` all read the same figures, and a finished exercise keeps them as they
were (`Exercise.final_measures`).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import datetime

from django.db.models import Min, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.alerts import tracking
from ceptoar.alerts.models import Recipient
from ceptoar.channels.models import BrokenChannel, Delivery, DeliveryStatus, FailureCause
from ceptoar.escalation.models import Call, CallOutcome, FollowUp, FollowUpState, Step
from ceptoar.escalation.status import ReceiptStatus, with_status
from ceptoar.exercises.models import Exercise, Inject
from ceptoar.registry.models import OrganisationKind

ACKNOWLEDGED = (ReceiptStatus.CONFIRMED, ReceiptStatus.CONFIRMED_LATE)
MEMBER_GROUP = "member"
# Upper bounds (seconds) of the histogram bins a reader compares across exercises; the last is open.
HISTOGRAM_BOUNDS = [60, 300, 900, 1800, 3600, 7200, 14400]
SLOWEST_SHOWN = 10
UNREACHED_SHOWN = 200
CURVE_POINTS = 60


def _rate(acknowledged: int, total: int) -> float | None:
    return round(acknowledged / total, 4) if total else None


def _group(key: str, name: str) -> dict:
    return {
        "key": key,
        "name": name,
        "total": 0,
        "acknowledged": 0,
        "confirmed_rate": None,
        "statuses": dict.fromkeys(ReceiptStatus.values, 0),
    }


def _count(group: dict, status: str) -> None:
    group["total"] += 1
    group["statuses"][status] += 1
    if status in ACKNOWLEDGED:
        group["acknowledged"] += 1


def _close(groups) -> list[dict]:
    groups = list(groups)
    for group in groups:
        group["confirmed_rate"] = _rate(group["acknowledged"], group["total"])
    return groups


def _percentile(ordered: list[float], share: float) -> float | None:
    if not ordered:
        return None
    index = max(0, math.ceil(share * len(ordered)) - 1)
    return ordered[index]


def distribution(seconds: list[float], never: int = 0) -> dict:
    """Median, 90th percentile and histogram of durations; `never` counts those still without one."""
    ordered = sorted(seconds)
    median = None
    if ordered:
        middle = len(ordered) // 2
        median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    bins, lower = [], 0
    for upper in [*HISTOGRAM_BOUNDS, None]:
        count = sum(1 for s in ordered if s >= lower and (upper is None or s < upper))
        bins.append({"from_s": lower, "to_s": upper, "count": count})
        lower = upper
    return {
        "count": len(ordered),
        "never": never,
        "median_s": None if median is None else round(median, 1),
        "p90_s": None if not ordered else round(_percentile(ordered, 0.9), 1),
        "max_s": None if not ordered else round(ordered[-1], 1),
        "histogram": bins,
    }


def _curve(offsets: list[float], total: int, horizon_s: float) -> list[dict]:
    """Cumulative acknowledgements since the inject went out, at evenly spaced minutes."""
    if total == 0:
        return []
    horizon_min = max(1, math.ceil(max([horizon_s, *offsets]) / 60))
    step = max(1, math.ceil(horizon_min / CURVE_POINTS))
    ordered = sorted(offsets)
    points, index = [], 0
    for minute in range(0, horizon_min + step, step):
        while index < len(ordered) and ordered[index] <= minute * 60:
            index += 1
        points.append({"minute": minute, "acknowledged": index, "rate": _rate(index, total)})
    return points


def subtrees(exercise: Exercise) -> list[tuple[Inject, tracking.Subtree]]:
    """Each sent inject with its alert's chain of relays, in the order they were planned."""
    sent = exercise.injects.exclude(alert=None).select_related("alert").order_by("scheduled_at", "pk")
    return [(inject, tracking.subtree(inject.alert)) for inject in sent]


def _recipient_rows(ids: list[int]):
    first_sent = Subquery(
        Delivery.objects.filter(recipient=OuterRef("pk"), status=DeliveryStatus.SENT)
        .order_by()
        .values("recipient")
        .annotate(v=Min("sent_at"))
        .values("v")
    )
    return (
        with_status(Recipient.objects.filter(alert_id__in=ids))
        .annotate(first_sent_at=first_sent)
        .values(
            "pk",
            "alert_id",
            "organisation_id",
            "organisation__code",
            "organisation__name",
            "organisation__kind",
            "organisation__sector__code",
            "organisation__sector__name",
            "organisation__sector__position",
            "acknowledgement__acknowledged_at",
            "first_sent_at",
            "receipt_status",
        )
        .order_by("alert_id", "organisation__code")
    )


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def compute(exercise: Exercise, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    trees = subtrees(exercise)
    nodes = {pk: node for _inject, sub in trees for pk, node in sub.nodes.items()}
    root_of = {pk: sub.top for _inject, sub in trees for pk in sub.nodes}
    ids = list(nodes)

    overall = _group("all", _("All recipient organisations"))
    hops: dict[tuple[int, int], dict] = {}
    sectors: dict[tuple, dict] = {}
    ceptoars: dict[str, dict] = {}
    per_inject: dict[int, dict] = {}
    delivery_s, ack_s, ack_offsets = [], [], []
    not_delivered = not_acknowledged = 0
    acknowledged_rows, unreached = [], []
    organisations = set()
    hubs = _Hubs(nodes)
    order = tracking._GROUP_ORDER
    for row in _recipient_rows(ids).iterator(chunk_size=2000):
        node = nodes[row["alert_id"]]
        status = row["receipt_status"]
        hubs.add(row, node)
        organisations.add(row["organisation_id"])
        _count(overall, status)
        sender = tracking.kind_group(node.origin_organisation.kind)
        receiver = tracking.kind_group(row["organisation__kind"])
        hop = hops.setdefault(
            (order.index(sender), order.index(receiver)), _group(f"{sender}-{receiver}", "")
        )
        hop["from"], hop["to"] = sender, receiver
        _count(hop, status)
        code = row["organisation__sector__code"]
        key = (0, row["organisation__sector__position"], code) if code else (1, 0, "")
        _count(
            sectors.setdefault(key, _group(code or "", row["organisation__sector__name"] or _("No sector"))),
            status,
        )
        if node.ceptoar is not None:
            _count(
                ceptoars.setdefault(node.ceptoar.code, _group(node.ceptoar.code, node.ceptoar.name)), status
            )
        root = root_of[row["alert_id"]]
        _count(per_inject.setdefault(root.pk, _group(str(root.pk), root.title)), status)

        delivered = _seconds(node.published_at, row["first_sent_at"])
        acknowledged_at = row["acknowledgement__acknowledged_at"]
        acknowledged = _seconds(node.published_at, acknowledged_at)
        if delivered is None:
            not_delivered += 1
        else:
            delivery_s.append(delivered)
        if acknowledged is None:
            not_acknowledged += 1
            if status in (ReceiptStatus.UNREACHABLE, ReceiptStatus.NOT_CONFIRMED):
                unreached.append((row, sender, receiver))
        else:
            ack_s.append(acknowledged)
            ack_offsets.append(_seconds(root.published_at, acknowledged_at))
            acknowledged_rows.append((acknowledged, row, sender, receiver, node))

    member_hops = [hop for hop in hops.values() if hop["to"] == MEMBER_GROUP]
    member_total = sum(hop["total"] for hop in member_hops)
    member_acknowledged = sum(hop["acknowledged"] for hop in member_hops)
    first_sent = min((sub.top.published_at for _i, sub in trees), default=None)
    horizon = _seconds(first_sent, exercise.finished_at or now) or 0.0

    acknowledged_rows.sort(key=lambda item: (-item[0], item[1]["organisation__code"]))
    slowest = [
        {
            "code": row["organisation__code"],
            "organisation": row["organisation__name"],
            "hop_from": sender,
            "hop_to": receiver,
            "ceptoar": node.ceptoar.name if node.ceptoar is not None else "",
            "ack_s": round(seconds, 1),
            "status": row["receipt_status"],
        }
        for seconds, row, sender, receiver, node in acknowledged_rows[:SLOWEST_SHOWN]
    ]
    return {
        "exercise": {
            "id": exercise.pk,
            "name": exercise.name,
            "kind": exercise.kind,
            "organiser": exercise.organiser.name,
            "starts_at": exercise.starts_at.isoformat(),
            "ends_at": exercise.ends_at.isoformat(),
            "status": exercise.status,
        },
        "generated_at": now.isoformat(),
        "final": exercise.finished_at is not None,
        "injects": [_inject_entry(inject, sub, per_inject) for inject, sub in trees],
        "organisations": len(organisations),
        "recipients": overall["total"],
        "acknowledged": overall["acknowledged"],
        "confirmed_rate": _rate(member_acknowledged, member_total),
        "overall_rate": _rate(overall["acknowledged"], overall["total"]),
        "statuses": overall["statuses"],
        "hops": _close(hops[key] for key in sorted(hops)),
        "by_sector": _close(sectors[key] for key in sorted(sectors)),
        "by_ceptoar": _close(ceptoars[key] for key in sorted(ceptoars)),
        "delivery_time": distribution(delivery_s, never=not_delivered),
        "ack_time": distribution(ack_s, never=not_acknowledged),
        "ack_curve": _curve(ack_offsets, overall["total"], horizon),
        "slowest": slowest,
        "unreached": _unreached(unreached),
        "unreached_total": len(unreached),
        "relay_time": hubs.relay_time(),
        "relay_hubs": hubs.entries(),
        "escalations": _escalations(ids),
        "calls": _calls(ids),
        "wrong_contacts": _wrong_contacts(ids),
    }


class _Hubs:
    """The relaying hops of the exercise: how long each ministry, CEPTOAR and sub-group or relay hub took to
    relay what it received (by hop), and per sub-group or relay hub its receipt, its relay and its members'
    receipts under that relay."""

    def __init__(self, nodes: dict) -> None:
        self.nodes = nodes
        # (alert received, relaying organisation) → its relay
        self.relays = {(node.parent_id, node.origin_organisation_id): node for node in nodes.values()}
        self.hubs: dict[tuple[int, int], dict] = {}
        self.members: dict[tuple[int, int], dict] = defaultdict(lambda: _group("", ""))
        self.relay_s: dict[str, list[float]] = defaultdict(list)
        self.not_relayed: Counter = Counter()

    def add(self, row: dict, node) -> None:
        kind = row["organisation__kind"]
        key = (row["alert_id"], row["organisation_id"])
        if kind in tracking.RELAYING_KINDS and not node.no_onward_relay:
            group = tracking.kind_group(kind)
            relay = self.relays.get(key)
            seconds = _seconds(node.published_at, relay.published_at) if relay is not None else None
            if seconds is None:
                self.not_relayed[group] += 1
            else:
                self.relay_s[group].append(seconds)
            if group == "subgroup":
                self.hubs[key] = {
                    "code": row["organisation__code"],
                    "organisation": row["organisation__name"],
                    "ceptoar": node.ceptoar.name if node.ceptoar is not None else "",
                    "status": row["receipt_status"],
                    "ack_s": _seconds(node.published_at, row["acknowledgement__acknowledged_at"]),
                    "relay_s": None if seconds is None else round(seconds, 1),
                    "relayed_automatically": relay.relayed_automatically if relay is not None else None,
                }
        origin = node.origin_organisation
        if origin.kind == OrganisationKind.SUBGROUP and node.parent_id is not None:
            _count(self.members[(node.parent_id, origin.pk)], row["receipt_status"])

    def relay_time(self) -> list[dict]:
        order = tracking._GROUP_ORDER
        groups = sorted(set(self.relay_s) | set(self.not_relayed), key=order.index)
        return [
            {"at": group, **distribution(self.relay_s[group], never=self.not_relayed[group])}
            for group in groups
        ]

    def entries(self) -> list[dict]:
        entries = []
        for key, hub in sorted(self.hubs.items(), key=lambda item: (item[1]["ceptoar"], item[1]["code"])):
            members = self.members.get(key) or _group("", "")
            ack_s = hub["ack_s"]
            entries.append(
                {
                    **hub,
                    "ack_s": None if ack_s is None else round(ack_s, 1),
                    "members": members["total"],
                    "members_acknowledged": members["acknowledged"],
                    "members_confirmed_rate": _rate(members["acknowledged"], members["total"]),
                }
            )
        return entries


def _inject_entry(inject: Inject, sub: tracking.Subtree, per_inject: dict) -> dict:
    counts = per_inject.get(sub.top.pk, _group("", ""))
    return {
        "id": inject.pk,
        "title": inject.title,
        "alert_id": inject.alert_id,
        "sent_at": inject.sent_at.isoformat() if inject.sent_at else None,
        "relays": len(sub.nodes) - 1,
        "total": counts["total"],
        "acknowledged": counts["acknowledged"],
        "confirmed_rate": _rate(counts["acknowledged"], counts["total"]),
    }


def _unreached(entries) -> list[dict]:
    """The organisations that have not confirmed receipt, with every message and call that tried them."""
    shown = sorted(
        entries,
        key=lambda e: (e[0]["receipt_status"] != ReceiptStatus.UNREACHABLE, e[0]["organisation__code"]),
    )[:UNREACHED_SHOWN]
    ids = [row["pk"] for row, _s, _r in shown]
    tried = defaultdict(list)
    for delivery in (
        Delivery.objects.filter(recipient_id__in=ids)
        .select_related("contact")
        .order_by("recipient_id", "created_at", "pk")
    ):
        contact = delivery.contact
        tried[delivery.recipient_id].append(
            {
                "contact": contact.name if contact is not None else "",
                "role": contact.role if contact is not None else "",
                "channel": delivery.kind,
                "address": delivery.address,
                "step": delivery.escalation_step,
                "result": delivery.status,
                # The kind of failure only: the report travels beyond those who fix channels, and the
                # technical text of a member's own address would show it the network behind the platform.
                "cause": delivery.cause,
            }
        )
    calls = defaultdict(list)
    for call in Call.objects.filter(recipient_id__in=ids).order_by("recipient_id", "called_at", "pk"):
        calls[call.recipient_id].append({"number": call.number, "outcome": call.outcome})
    return [
        {
            "code": row["organisation__code"],
            "organisation": row["organisation__name"],
            "hop_from": sender,
            "hop_to": receiver,
            "status": row["receipt_status"],
            "contacts": tried[row["pk"]],
            "calls": calls[row["pk"]],
        }
        for row, sender, receiver in shown
    ]


def _escalations(ids: list[int]) -> dict:
    done = Counter(
        FollowUp.objects.filter(recipient__alert_id__in=ids, state=FollowUpState.DONE).values_list(
            "step", flat=True
        )
    )
    return {step: done.get(step, 0) for step in Step.values}


def _calls(ids: list[int]) -> dict:
    outcomes = Counter(Call.objects.filter(recipient__alert_id__in=ids).values_list("outcome", flat=True))
    return {
        "total": sum(outcomes.values()),
        **{outcome: outcomes.get(outcome, 0) for outcome in CallOutcome.values},
    }


def wrong_channels(ids: list[int]):
    """(contact, channel, cause) of every channel the exercise found wrong: failed deliveries and wrong
    numbers. The cause is a FailureCause value, not the technical reason (see _unreached)."""
    found = {}
    for breakage in BrokenChannel.objects.filter(delivery__alert_id__in=ids).select_related(
        "channel__contact__organisation"
    ):
        channel = breakage.channel
        found[channel.pk] = (channel.contact, channel, breakage.cause or FailureCause.OTHER)
    for call in Call.objects.filter(
        recipient__alert_id__in=ids, outcome=CallOutcome.WRONG_NUMBER, channel__isnull=False
    ).select_related("channel__contact__organisation"):
        found.setdefault(call.channel.pk, (call.channel.contact, call.channel, FailureCause.WRONG_NUMBER))
    return list(found.values())


def _wrong_contacts(ids: list[int]) -> list[dict]:
    return [
        {
            "contact_id": contact.pk,
            "contact": contact.name,
            "organisation": contact.organisation.name,
            "code": contact.organisation.code,
            "channel": channel.kind,
            "address": channel.value,
            "cause": str(cause),
        }
        for contact, channel, cause in sorted(
            wrong_channels(ids), key=lambda item: (item[0].organisation.code, item[1].pk)
        )
    ]


def alert_ids(exercise: Exercise) -> list[int]:
    """Every alert of the exercise: its injects' and all their relays."""
    return [pk for _inject, sub in subtrees(exercise) for pk in sub.nodes]
