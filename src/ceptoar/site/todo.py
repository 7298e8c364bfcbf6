"""What needs me now: the home page's to-do list and the navigation's badges.

Each kind of item is a question some area already answers (its read module, or `sharing.policy` / the area's
access module for who may see what); this module only picks the kinds that make sense for the reader's roles
and counts them. Every kind is a subquery of ONE query (a single row of counts), so the home page and the
header cost the same whatever the number of items, and the header asks it at most once per request
(`for_request`).

Who is asked what:

- alerts not yet acknowledged: those who answer for their organisation's receipt — a member's point of contact,
  secretariats and coordinators, ministry liaisons, hub staff (analysts and auditors read, they do not answer);
- alerts not yet relayed: the senders of an organisation that passes alerts on (ministry, CEPTOAR, relay hub);
- approvals: an alert awaiting a second person, and requests to relay our alerts (senders); a failure case
  made of our report (the reporting member's point of contact);
- reports: new and overdue in the triage queue (a CEPTOAR's secretariat); our own reports the secretariat
  asked more about (the reporting member's point of contact);
- upkeep: contacts to re-verify (those who keep the registry; the hub its own: the nation's upkeep is the
  freshness page, not one person's list), handling rules to accept (who may accept, binding the organisation),
  exercises running (their organisers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import F, Func, IntegerField, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from ceptoar.accounts import access
from ceptoar.accounts.models import Role
from ceptoar.alerts.models import Alert, RelayApproval, RelayApprovalStatus, Status
from ceptoar.alerts.services import acknowledgements
from ceptoar.exercises import access as exercise_access
from ceptoar.exercises.models import ExerciseStatus
from ceptoar.registry import queries as registry_queries
from ceptoar.registry.models import Contact, CouncilSeat, Membership, Organisation
from ceptoar.reports import tracking as report_tracking
from ceptoar.reports.models import CaseStatus, TriageStatus
from ceptoar.sharing import policy

# Those who answer for their organisation's receipt of an alert.
_RECEIPT_ROLES = (Role.MEMBER_POC, Role.SECRETARIAT, Role.COORDINATOR, Role.MINISTRY_LIAISON, Role.HUB_STAFF)
# Those who keep contacts (`accounts.access.organisations_maintained_by`).
_UPKEEP_ROLES = (Role.MEMBER_POC, Role.SECRETARIAT, Role.COORDINATOR, Role.MINISTRY_LIAISON, Role.HUB_STAFF)


class Group:
    ALERTS = "alerts"
    APPROVALS = "approvals"
    REPORTS = "reports"
    UPKEEP = "upkeep"


GROUP_LABELS = {
    Group.ALERTS: _("Alerts for your organisation"),
    Group.APPROVALS: _("Waiting for your approval"),
    Group.REPORTS: _("Incident reports"),
    Group.UPKEEP: _("Upkeep"),
}


@dataclass(frozen=True)
class Item:
    key: str
    group: str
    label: str
    count: int
    url: str


@dataclass(frozen=True)
class Todo:
    items: list[Item] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(item.count for item in self.items)

    @property
    def urgent_count(self) -> int:
        """The header's badge on "To do": alerts, approvals and reports. Upkeep (hundreds of contacts to
        re-verify at a secretariat) waits on the home page, or the badge would never mean "now"."""
        return sum(item.count for item in self.items if item.group != Group.UPKEEP)

    def count(self, *keys: str) -> int:
        return sum(item.count for item in self.items if item.key in keys)

    @property
    def alerts_count(self) -> int:
        """The header's badge on "Alerts": receipts and relays our organisation owes."""
        return self.count("unacknowledged", "unrelayed")

    @property
    def groups(self) -> list[tuple[str, list[Item]]]:
        return [
            (str(label), [item for item in self.items if item.group == key])
            for key, label in GROUP_LABELS.items()
            if any(item.group == key for item in self.items)
        ]


@dataclass(frozen=True)
class _Kind:
    key: str
    group: str
    label: str
    items: QuerySet
    # The link, given the first item's value of `first` (None when there is none or `first` is not asked).
    url: Callable[[object], str]
    first: str | None = None


def _inbox(**filters) -> Callable[[object], str]:
    url = f"{reverse('alerts:inbox')}?{urlencode(filters)}"
    return lambda first: url


def _fixed(name: str, query: str = "") -> Callable[[object], str]:
    url = reverse(name) + (f"?{query}" if query else "")
    return lambda first: url


def _first_or(name: str, fallback: str) -> Callable[[object], str]:
    """The first item's page, or the list when there is none."""
    return lambda first: reverse(name, args=[first]) if first is not None else reverse(fallback)


def _kinds(user) -> list[_Kind]:
    if not access.is_active_member(user):
        return []
    kinds: list[_Kind] = []
    sender = access.can_send_alerts(user)
    reporter = user.has_role(Role.MEMBER_POC)

    # -- alerts ---------------------------------------------------------------------------------------------
    if user.has_role(*_RECEIPT_ROLES):
        kinds.append(
            _Kind(
                "unacknowledged",
                Group.ALERTS,
                _("Alerts not yet acknowledged"),
                acknowledgements.awaiting_acknowledgement(user),
                _inbox(unacknowledged="on"),
            )
        )
    if acknowledgements.relays_down_the_chain(user):
        kinds.append(
            _Kind(
                "unrelayed",
                Group.ALERTS,
                _("Alerts not yet relayed onward"),
                acknowledgements.awaiting_relay(user),
                _inbox(unrelayed="on"),
            )
        )

    # -- approvals ------------------------------------------------------------------------------------------
    if sender:
        kinds.append(
            _Kind(
                "alerts_to_approve",
                Group.APPROVALS,
                _("Alerts awaiting a second person's approval"),
                policy.visible_alerts(user)
                .filter(status=Status.AWAITING_APPROVAL, origin_organisation_id=user.organisation_id)
                .exclude(author_id=user.pk),
                _inbox(status=Status.AWAITING_APPROVAL),
            )
        )
        # The originator decides on the original's page, whichever relay of its chain was asked to go on.
        originals = policy.visible_alerts(
            user, Alert.objects.filter(origin_organisation_id=user.organisation_id)
        )
        kinds.append(
            _Kind(
                "relays_to_approve",
                Group.APPROVALS,
                _("Requests to relay your alerts"),
                RelayApproval.objects.filter(status=RelayApprovalStatus.PENDING)
                .annotate(original_id=Coalesce(F("parent__root_id"), F("parent_id")))
                .filter(original_id__in=originals.filter(parent_id=None).values("pk"))
                .order_by("asked_at", "pk"),
                lambda first: (
                    reverse("alerts:detail", args=[first]) + "#relay-approvals"
                    if first is not None
                    else reverse("alerts:inbox")
                ),
                first="original_id",
            )
        )
    if reporter:
        kinds.append(
            _Kind(
                "cases_to_approve",
                Group.APPROVALS,
                _("Failure cases of your reports to approve"),
                policy.visible_cases(user)
                .filter(status=CaseStatus.AWAITING_APPROVAL, report__organisation_id=user.organisation_id)
                .order_by("pk"),
                _first_or("reports:case_approval", "reports:list"),
                first="pk",
            )
        )

    # -- reports --------------------------------------------------------------------------------------------
    if access.serves_a_ceptoar(user):
        kinds.append(
            _Kind(
                "reports_new",
                Group.REPORTS,
                _("New reports to triage"),
                report_tracking.queue_reports(user).filter(status=TriageStatus.NEW),
                _fixed("reports:triage_queue", "status=new"),
            )
        )
        kinds.append(
            _Kind(
                "reports_overdue",
                Group.REPORTS,
                _("Reports past their deadline"),
                report_tracking.triage_queue(user).filter(next_due_at__lt=timezone.now()),
                # The open queue lists the overdue first.
                _fixed("reports:triage_queue"),
            )
        )
    if reporter:
        kinds.append(
            _Kind(
                "reports_questions",
                Group.REPORTS,
                _("Your reports the secretariat asked more about"),
                policy.visible_reports(user)
                .filter(organisation_id=user.organisation_id, status=TriageStatus.MORE_INFORMATION)
                .order_by("pk"),
                _first_or("reports:detail", "reports:list"),
                first="pk",
            )
        )

    # -- upkeep ---------------------------------------------------------------------------------------------
    if user.has_role(*_UPKEEP_ROLES):
        maintained = access.organisations_maintained_by(user)
        if access.sees_everything(user):
            maintained = maintained.filter(pk=user.organisation_id)
        kinds.append(
            _Kind(
                "stale_contacts",
                Group.UPKEEP,
                _("Contacts to re-verify"),
                registry_queries.stale_contacts(
                    Contact.objects.filter(organisation__in=maintained), settings.CEPTOAR_CONTACT_STALE_DAYS
                ),
                _fixed("registry:freshness"),
            )
        )
    if reporter or access.serves_a_ceptoar(user):
        accepting = access.organisations_accepting_rules_through(user).values("pk")
        kinds.append(
            _Kind(
                "rules_members",
                Group.UPKEEP,
                _("Handling rules to accept"),
                registry_queries.memberships_without_current_acceptance(
                    Membership.objects.filter(member_id__in=accepting)
                ).order_by("member__code", "pk"),
                _first_or("registry:organisation_rules", "registry:my_rules"),
                first="member__code",
            )
        )
        kinds.append(
            _Kind(
                "rules_seats",
                Group.UPKEEP,
                _("Council handling rules to accept"),
                registry_queries.seats_without_current_acceptance(
                    CouncilSeat.objects.filter(ceptoar_id__in=accepting)
                ).order_by("ceptoar__code", "pk"),
                _first_or("registry:organisation_rules", "registry:my_rules"),
                first="ceptoar__code",
            )
        )
    if exercise_access.can_organise(user):
        kinds.append(
            _Kind(
                "exercises_running",
                Group.UPKEEP,
                _("Exercises running"),
                exercise_access.visible_exercises(user).filter(status=ExerciseStatus.RUNNING).order_by("pk"),
                _first_or("exercises:detail", "exercises:list"),
                first="pk",
            )
        )
    return kinds


def _count(items: QuerySet) -> Subquery:
    # COUNT as a plain function, not an aggregate: no GROUP BY, one number even when nothing matches.
    counted = items.order_by().annotate(n=Func(F("pk"), function="COUNT", output_field=IntegerField()))
    return Coalesce(Subquery(counted.values("n")[:1], output_field=IntegerField()), 0)


def todo_for(user) -> Todo:
    """The reader's to-do: every kind that makes sense for their roles, counted in one query."""
    kinds = [kind for kind in _kinds(user) if not kind.items.query.is_empty()]
    if not kinds:
        return Todo()
    annotations = {}
    for kind in kinds:
        annotations[f"n_{kind.key}"] = _count(kind.items)
        if kind.first is not None:
            annotations[f"f_{kind.key}"] = Subquery(kind.items.values(kind.first)[:1])
    row = (
        Organisation.objects.filter(pk=user.organisation_id)
        .annotate(**annotations)
        .values(*annotations)
        .first()
    )
    if row is None:
        return Todo()
    items = []
    for kind in kinds:
        count = row[f"n_{kind.key}"]
        url = kind.url(row.get(f"f_{kind.key}"))
        items.append(Item(kind.key, kind.group, str(kind.label), count, url))
    return Todo(_merge_rules(items))


def _merge_rules(items: list[Item]) -> list[Item]:
    """A CEPTOAR's rules and its councils' rules are one line for the reader: rules to accept."""
    members = next((item for item in items if item.key == "rules_members"), None)
    seats = next((item for item in items if item.key == "rules_seats"), None)
    if members is None or seats is None:
        return items
    url = members.url if members.count or not seats.count else seats.url
    merged = Item("rules_to_accept", Group.UPKEEP, members.label, members.count + seats.count, url)
    result = []
    for item in items:
        if item is members:
            result.append(merged)
        elif item is not seats:
            result.append(item)
    return result


def for_request(request) -> Todo:
    """The reader's to-do, computed once per request (the header and the home page share it)."""
    cached = getattr(request, "_ceptoar_todo", None)
    if cached is None:
        cached = todo_for(request.user)
        request._ceptoar_todo = cached
    return cached
