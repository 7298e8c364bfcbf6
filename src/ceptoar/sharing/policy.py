"""Who may see a shared item: the one visibility policy of the platform (DESIGN.md §3).

Pages, lists, search, exports, e-mail, the API, TAXII and federation all ask here and nowhere else.

An item is any model with the fields `tlp`, `audience` (a foreign key or one-to-one to `Audience`),
`origin_organisation` and `author`. The rules:

- inactive or anonymous users, and users without an organisation, see nothing;
- the author always sees the item; the originating organisation sees it unless it is RED;
- CLEAR and GREEN reach every organisation in the expanded audience and every named person;
- AMBER and AMBER+STRICT reach the same, but only where the reader's organisation is bound by the
  handling rules now in force at every CEPTOAR it belongs to;
- RED reaches only the named people, under the same condition on their organisation;
- an alert is also seen by the organisations it was sent to at its hop (`alerts.Recipient`: the
  ministries for the hub's alert, the CEPTOARs for a ministry's relay), under the same marking rules,
  so that each can relay it down the chain.

Expansion of an audience to organisations:

- community: every organisation;
- sectors: organisations of those sectors, plus the members of the CEPTOARs of those sectors;
- CEPTOARs: the CEPTOAR, its sub-groups (`Organisation.parent`) and its members (`Membership`);
- sub-groups: the sub-group and the members it relays to (`Membership.via`);
- organisations: themselves; a council named there is a sharing space, and reaches itself and the CEPTOARs
  holding its seats, members and observers alike (`CouncilSeat`), not their members. The council's next hop
  (`alerts.hops.council_recipients`) is the same set, so whoever may see a post to a council is delivered it.

`visible()` turns the reader into a few "keys" (their organisation, the CEPTOARs, sub-groups and
sectors it belongs to) and asks the database whether an item's audience mentions any of them. Every
key is a subquery, so the answer is one query whatever the size of the registry, and every test is an
EXISTS, so an organisation reached by several routes never repeats an item.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import BooleanField, Exists, ExpressionWrapper, Model, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from ceptoar.accounts.access import is_active_member, is_active_person
from ceptoar.accounts.models import Role
from ceptoar.agreements.flows import in_force_condition
from ceptoar.alerts.models import Alert, Recipient, Status
from ceptoar.intel.models import Incident, IndicatorSet, IndicatorSetStatus
from ceptoar.registry import queries as registry_queries
from ceptoar.registry.models import CouncilSeat, Membership, Organisation
from ceptoar.reports.models import (
    SCOPE_RANK,
    AnalysisForward,
    Case,
    CaseStatus,
    ConsentScope,
    HopLevel,
    PartnerAnalysis,
    Report,
    ReportHop,
    TriageStatus,
)
from ceptoar.sharing.models import RULES_REQUIRED_TLPS, TLP_RANK, Audience, Tlp

OPEN_TLPS = frozenset({Tlp.CLEAR, Tlp.GREEN})
# AMBER and AMBER+STRICT: audience and named people, both bound by the rules; RED: named people only.
RULES_AUDIENCE_TLPS = RULES_REQUIRED_TLPS - {Tlp.RED}

_Sectors = Audience.sectors.through
_Ceptoars = Audience.ceptoars.through
_Subgroups = Audience.subgroups.through
_Organisations = Audience.organisations.through
_People = Audience.people.through

# How many organisations or people an error message names before it says "and N more".
_NAMED_IN_ERRORS = 5


# -- the reader -----------------------------------------------------------------------------------


def is_bound_by_current_rules_condition(organisation_id: int) -> Exists:
    """True (as a query expression) unless the organisation lacks an acceptance of the rules now in force
    at some CEPTOAR it is a member of. Members of no CEPTOAR, and CEPTOARs without rules in force, pass."""
    unaccepted = registry_queries.memberships_without_current_acceptance(
        Membership.objects.filter(member_id=organisation_id)
    )
    return ~Exists(unaccepted)


def is_bound_by_current_rules(organisation: Organisation) -> bool:
    return (
        Organisation.objects.filter(pk=organisation.pk)
        .filter(is_bound_by_current_rules_condition(organisation.pk))
        .exists()
    )


def organisations_bound_by_current_rules(organisation_ids) -> set[int]:
    """The same test for many organisations at once, in one query (a delivery batch of hundreds)."""
    ids = set(organisation_ids)
    unbound = registry_queries.memberships_without_current_acceptance(
        Membership.objects.filter(member_id__in=ids)
    ).values_list("member_id", flat=True)
    return ids - set(unbound)


def _audience_reaches(organisation_id: int) -> Q:
    """Items whose audience expands to this organisation, as a condition on the item (`audience_id`)."""
    links = Membership.objects.filter(member_id=organisation_id)
    audience = OuterRef("audience_id")
    own = Organisation.objects.filter(pk=organisation_id)

    # The CEPTOARs whose expansion holds the organisation: itself, the CEPTOAR it is a sub-group of,
    # those it is a member of.
    ceptoar_keys = (
        Q(organisation_id=organisation_id)
        | Q(organisation_id__in=own.exclude(parent=None).values("parent_id"))
        | Q(organisation_id__in=links.values("ceptoar_id"))
    )
    # The sub-groups whose expansion holds it: itself, and those that relay to it.
    subgroup_keys = Q(organisation_id=organisation_id) | Q(
        organisation_id__in=links.exclude(via=None).values("via_id")
    )
    # The sectors whose expansion holds it: its own, and those of the CEPTOARs it is a member of.
    sector_keys = Q(sector_id__in=own.exclude(sector=None).values("sector_id")) | Q(
        sector_id__in=links.exclude(ceptoar__sector=None).values("ceptoar__sector_id")
    )
    # The organisations whose expansion holds it: itself, and the councils it holds a seat on.
    organisation_keys = Q(organisation_id=organisation_id) | Q(
        organisation_id__in=CouncilSeat.objects.filter(ceptoar_id=organisation_id).values("council_id")
    )
    return (
        Q(audience__community=True)
        | Exists(_Organisations.objects.filter(organisation_keys, audience_id=audience))
        | Exists(_Ceptoars.objects.filter(ceptoar_keys, audience_id=audience))
        | Exists(_Subgroups.objects.filter(subgroup_keys, audience_id=audience))
        | Exists(_Sectors.objects.filter(sector_keys, audience_id=audience))
    )


def _named_in_people(user_id: int) -> Exists:
    return Exists(_People.objects.filter(audience_id=OuterRef("audience_id"), user_id=user_id))


def visibility_condition(user) -> Q:
    """The condition on an item's fields under which `user` may see it. Use `visible()` unless you are
    composing a larger query (and then keep it the only source of the rule)."""
    if not is_active_member(user):
        return Q(pk__in=[])
    organisation_id = user.organisation_id
    named = _named_in_people(user.pk)
    reached = _audience_reaches(organisation_id) | named
    bound = is_bound_by_current_rules_condition(organisation_id)
    # Written so that the audience test appears once in the SQL; `bound` does not depend on the item.
    return (
        Q(author_id=user.pk)
        | (Q(origin_organisation_id=organisation_id) & ~Q(tlp=Tlp.RED))
        | (reached & (Q(tlp__in=OPEN_TLPS) | (Q(tlp__in=RULES_AUDIENCE_TLPS) & bound)))
        | (Q(tlp=Tlp.RED) & named & bound)
    )


def visible(user, queryset: QuerySet) -> QuerySet:
    """The items of `queryset` that `user` may see: one query, no repeated rows."""
    if not is_active_member(user):
        return queryset.none()
    return queryset.filter(visibility_condition(user))


# Item kinds whose own lifecycle narrows the generic rule (e.g. drafts). `may_see` applies them so that
# a detail page and the list it came from always agree.
_MODEL_RULES: dict[str, Callable[[object, QuerySet], QuerySet]] = {}


def _model_rule(label: str):
    def register(function):
        _MODEL_RULES[label] = function
        return function

    return register


# Per item kind, a condition that is one branch of its rule, cheap to build and to run: `may_see` tries it
# first (a relay asks about an alert its organisation was just sent) and asks the whole rule only if it
# fails. Being a branch of the rule, it can only say yes where the rule says yes.
_SUFFICIENT_CONDITIONS: dict[str, Callable[[object], Q]] = {}


def visible_items(user, queryset: QuerySet) -> QuerySet:
    """`visible()`, plus the rule of the item's own kind where it has one (`visible_alerts` for alerts)."""
    rule = _MODEL_RULES.get(queryset.model._meta.label_lower)
    if rule is not None:
        return rule(user, queryset)
    return visible(user, queryset)


def may_see(user, item: Model) -> bool:
    """Whether `user` may see this one item (asked of the same query as the lists, so they never disagree)."""
    if not is_active_member(user) or item.pk is None:
        return False
    queryset = type(item)._default_manager.filter(pk=item.pk)
    sufficient = _SUFFICIENT_CONDITIONS.get(queryset.model._meta.label_lower)
    if sufficient is not None and queryset.filter(sufficient(user)).exists():
        return True
    return visible_items(user, queryset).exists()


# -- alerts ---------------------------------------------------------------------------------------

# Statuses in which an alert has left its originating organisation.
SHARED_ALERT_STATUSES = (Status.PUBLISHED, Status.CLOSED)


@_model_rule("alerts.alert")
def visible_alerts(user, queryset: QuerySet | None = None) -> QuerySet:
    """Alerts `user` may see. Drafts and alerts awaiting approval stay inside the originating organisation
    (a RED one with its author alone) until they are published."""
    if queryset is None:
        queryset = Alert.objects.all()
    if not is_active_member(user):
        return queryset.none()
    unpublished_readers = Q(author_id=user.pk) | (
        Q(origin_organisation_id=user.organisation_id) & ~Q(tlp=Tlp.RED)
    )
    return queryset.filter(
        (visibility_condition(user) | _sent_to_readers_organisation(user))
        & (Q(status__in=SHARED_ALERT_STATUSES) | unpublished_readers)
    )


def _sent_to_readers_organisation(user) -> Q:
    # The organisations an alert was sent to at its hop (a ministry for the hub's alert, a CEPTOAR for the
    # ministry's relay) see it so that they can pass it on, under the same marking rules as the audience.
    # RED is never sent to organisations, only to named people.
    return Exists(Recipient.objects.filter(alert_id=OuterRef("pk"), organisation_id=user.organisation_id)) & (
        Q(tlp__in=OPEN_TLPS)
        | (Q(tlp__in=RULES_AUDIENCE_TLPS) & is_bound_by_current_rules_condition(user.organisation_id))
    )


_SUFFICIENT_CONDITIONS["alerts.alert"] = lambda user: (
    Q(status__in=SHARED_ALERT_STATUSES) & _sent_to_readers_organisation(user)
)


# -- an alert's content, and its envelope ------------------------------------------------------------

# Markings whose content is for the audience alone (TLP 2.0: AMBER+STRICT, the recipient organisations only;
# RED, the named people only). The organisations between sender and recipients (a ministry, a CEPTOAR
# secretariat passing an alert to one of its members) see its envelope — marking, sender, recipients,
# times — and relay it unread: no title, body, reference or attachment reaches them.
ENVELOPE_TLPS = frozenset({Tlp.AMBER_STRICT, Tlp.RED})


def alert_content_condition(user) -> Q:
    """The condition on an alert under which `user`, who may see it, may also read its content.

    Always, below AMBER+STRICT. For AMBER+STRICT and RED: the author of the original and, unless RED, the
    organisation that wrote it; an organisation relaying what it could read (it raised the marking itself);
    and the audience: its organisations (AMBER+STRICT) and its named people, bound by the rules in force.
    """
    if not is_active_member(user):
        return Q(pk__in=[])
    organisation_id = user.organisation_id
    bound = is_bound_by_current_rules_condition(organisation_id)
    named = _named_in_people(user.pk)
    original = Q(parent_id__isnull=True)
    wrote = (original & Q(author_id=user.pk)) | Q(root__author_id=user.pk)
    own_organisation = (
        (original & Q(origin_organisation_id=organisation_id))
        | Q(root__origin_organisation_id=organisation_id)
        | (Q(origin_organisation_id=organisation_id) & ~Q(parent__tlp__in=ENVELOPE_TLPS))
    )
    return (
        ~Q(tlp__in=ENVELOPE_TLPS)
        | wrote
        | (own_organisation & ~Q(tlp=Tlp.RED))
        | (Q(tlp=Tlp.AMBER_STRICT) & (_audience_reaches(organisation_id) | named) & bound)
        | (Q(tlp=Tlp.RED) & named & bound)
    )


def readable_alerts(user, queryset: QuerySet | None = None) -> QuerySet:
    """Alerts whose content `user` may read: those it may see, less the envelopes it only passes on."""
    return visible_alerts(user, queryset).filter(alert_content_condition(user))


def with_content_readable(user, queryset: QuerySet) -> QuerySet:
    """`queryset` (of alerts `user` may see) with `content_readable` on each row, for lists that show
    titles: one query, whatever the list's length."""
    return queryset.annotate(
        content_readable=ExpressionWrapper(alert_content_condition(user), output_field=BooleanField())
    )


def may_read_content(user, alert: Alert) -> bool:
    """Whether `user` may read this alert's title, body, references and attachments."""
    if alert.tlp not in ENVELOPE_TLPS:
        return may_see(user, alert)
    return readable_alerts(user, Alert.objects.filter(pk=alert.pk)).exists()


def organisations_reading_content(alert: Alert, organisation_ids) -> set[int]:
    """Of these recipient organisations of `alert`, those its content is for (delivery, one query): every
    one below AMBER+STRICT; for AMBER+STRICT, those of its audience; for RED, none (it reaches people)."""
    ids = set(organisation_ids)
    if alert.tlp not in ENVELOPE_TLPS:
        return ids
    if alert.tlp == Tlp.RED or not ids:
        return set()
    return set(audience_organisations(alert.audience).filter(pk__in=ids).values_list("pk", flat=True))


# -- what may leave the platform, on which channel -------------------------------------------------


class Disclosure(IntEnum):
    """How much of an alert a message that leaves the platform carries, least first."""

    ENVELOPE = 0  # marking, sender, times: for an organisation that relays it unread
    NOTICE = 1  # marking and the portal link: the content waits on the portal
    HEADLINE = 2  # and the title, category and severity
    FULL = 3  # and the body


@dataclass(frozen=True)
class ChannelTrust:
    """What a delivery channel declares about itself for this policy (`channels.base.Channel.trust`): the
    most of an alert it is trusted with, and whether its messages pass through a third party's chat
    service. E-mail goes to the organisation's own mailboxes; a webhook to a receiver the organisation runs,
    which gets a summary to act on; a chat service is a third party. The policy asks these, never a
    channel's kind by name, so a new kind of channel declares what it is and needs no line here."""

    most: Disclosure
    third_party_chat: bool = False


# A channel that declares nothing (a kind no channel sends through) carries no more than a notice.
UNDECLARED_CHANNEL = ChannelTrust(most=Disclosure.NOTICE)


def outbound_disclosure(
    tlp: str, channel: ChannelTrust, *, reads_content: bool, bound: bool = True, in_house: bool = False
) -> Disclosure:
    """What a message about an alert marked `tlp` may carry on a channel that declares `channel`.

    `reads_content`: the recipient (organisation or named person) is one the content is for
    (`organisations_reading_content`); `bound`: it has accepted its CEPTOAR's rules in force; `in_house`:
    the channel is a service the organisation runs itself, not a third party's.

    - an organisation that only passes the alert on gets its envelope;
    - RED never leaves: a notice to each named person;
    - AMBER and AMBER+STRICT leave only for organisations bound by the rules, else a notice;
    - a third party's chat message of AMBER and above carries no title unless the service is in-house;
    - no channel carries more than it is trusted with (`channel.most`).
    """
    if not reads_content:
        return Disclosure.ENVELOPE
    if tlp == Tlp.RED or (tlp in RULES_AUDIENCE_TLPS and not bound):
        return Disclosure.NOTICE
    if channel.third_party_chat and TLP_RANK[Tlp(tlp)] >= TLP_RANK[Tlp.AMBER] and not in_house:
        return Disclosure.NOTICE
    return min(Disclosure.FULL, channel.most)


def disclosure_for_organisation(
    alert: Alert, organisation_id: int, channel: ChannelTrust, *, in_house: bool = False
) -> Disclosure:
    """`outbound_disclosure` for one recipient organisation of `alert` (a page about one delivery); a
    delivery batch asks `organisations_reading_content` and the rules once for all its rows instead."""
    reads_content = organisation_id in organisations_reading_content(alert, {organisation_id})
    bound = alert.tlp not in RULES_AUDIENCE_TLPS or bool(
        organisations_bound_by_current_rules({organisation_id})
    )
    return outbound_disclosure(
        alert.tlp, channel, reads_content=reads_content, bound=bound, in_house=in_house
    )


def nearest_visible_alerts(user, queryset: QuerySet | None = None) -> QuerySet:
    """Each chain of relays once, at the hop nearest the reader: the visible alerts of which the reader
    sees no relay. A member reads its own CEPTOAR's relay (with its note), not the same alert three times."""
    shown = visible_alerts(user, queryset)
    return shown.exclude(Exists(visible_alerts(user).filter(parent_id=OuterRef("pk"))))


# -- incident reports and failure cases -------------------------------------------------------------

# The hop levels each consent reaches: the original report never goes past what its reporter chose.
_HOP_LEVELS_WITHIN = {
    scope: [level for level in HopLevel.values if SCOPE_RANK[ConsentScope(level)] <= SCOPE_RANK[scope]]
    for scope in ConsentScope
}


def at_users_organisation(user, field: str = "organisation_id") -> Q:
    """Rows whose `field` is the user's organisation, or a CEPTOAR whose secretariat it runs."""
    # A CEPTOAR's secretariat may be run by another organisation (全国銀行協会 for the banks' CEPTOAR): its
    # people stand at the CEPTOAR's hop.
    secretariat_of = field.removesuffix("_id") + "__ceptoar_profile__secretariat_id"
    return Q(**{field: user.organisation_id}) | Q(**{secretariat_of: user.organisation_id})


@_model_rule("reports.report")
def visible_reports(user, queryset: QuerySet | None = None) -> QuerySet:
    """Reports `user` may see: those it holds (`reports_held`) and those forwarded to its organisation for
    analysis (`reports_forwarded_to`). TLP and audiences do not apply to the original: only the reporter's
    consent does."""
    if queryset is None:
        queryset = Report.objects.all()
    if not is_active_member(user):
        return queryset.none()
    return queryset.filter(_held_condition(user) | _forwarded_condition(user))


def reports_held(user, queryset: QuerySet | None = None) -> QuerySet:
    """The whole report — every version, its files, its conversation, its hops: its own organisation's
    (drafts too), and the submitted reports that reached the user's organisation at a hop within the
    reporter's consent (secretariat ≤ ministry ≤ hub). An analysis partner holds none: it sees what was
    forwarded to it (`visible_forwards`), not the report's page."""
    if queryset is None:
        queryset = Report.objects.all()
    if not is_active_member(user):
        return queryset.none()
    return queryset.filter(_held_condition(user))


def holds_report(user, report: Report) -> bool:
    """Whether `user` may open the whole report (`reports_held`): its page, files and conversation."""
    return report.pk is not None and reports_held(user, Report.objects.filter(pk=report.pk)).exists()


def _held_condition(user) -> Q:
    within_consent = Q()
    for scope, levels in _HOP_LEVELS_WITHIN.items():
        within_consent |= Q(report__scope=scope, level__in=levels)
    reached = Exists(
        ReportHop.objects.filter(at_users_organisation(user), within_consent, report_id=OuterRef("pk"))
    )
    return Q(organisation_id=user.organisation_id) | (reached & ~Q(status=TriageStatus.DRAFT))


def _forward_reaches_partner(organisation_id: int, report_field: str = "report__") -> Q:
    """Forwards to this partner that it may still read: the reporter's consent stands, the report is
    submitted, and an agreement under which it was forwarded is still in force (suspending, revoking or
    ending it hides the report at once). Each of those agreements alone covered the forward: it was checked
    against the narrowest terms of all of them (`agreements.flows.combine`)."""
    return (
        Q(partner_id=organisation_id)
        & Q(**{f"{report_field}analysis_consent": True})
        & ~Q(**{f"{report_field}status": TriageStatus.DRAFT})
        & Exists(
            AnalysisForward.agreements.through.objects.filter(
                in_force_condition(prefix="agreement__"), analysisforward_id=OuterRef("pk")
            )
        )
    )


def _forwarded_condition(user) -> Q:
    forwards = AnalysisForward.objects.filter(
        _forward_reaches_partner(user.organisation_id), report_id=OuterRef("pk")
    )
    return Exists(forwards.values("pk"))


def reports_forwarded_to(user, queryset: QuerySet | None = None) -> QuerySet:
    """Reports forwarded to the user's organisation for analysis and still readable there."""
    if queryset is None:
        queryset = Report.objects.all()
    if not is_active_member(user):
        return queryset.none()
    return queryset.filter(_forwarded_condition(user))


@_model_rule("reports.analysisforward")
def visible_forwards(user, queryset: QuerySet | None = None) -> QuerySet:
    """Forwards for analysis `user` may see: the partner's (while `_forward_reaches_partner`), the
    forwarding CEPTOAR's secretariat's, and the reporting organisation's (it sees where its report went)."""
    if queryset is None:
        queryset = AnalysisForward.objects.all()
    if not is_active_member(user):
        return queryset.none()
    return queryset.filter(
        _forward_reaches_partner(user.organisation_id)
        | at_users_organisation(user, "report__ceptoar_id")
        | Q(report__organisation_id=user.organisation_id)
    )


@_model_rule("reports.partneranalysis")
def visible_partner_analyses(user, queryset: QuerySet | None = None) -> QuerySet:
    """A partner's analysis is between the partner and the CEPTOAR it returned it to (its secretariat);
    the members read it only as the alert the secretariat makes of it (`PartnerAnalysis.result_alert`)."""
    if queryset is None:
        queryset = PartnerAnalysis.objects.all()
    if not is_active_member(user):
        return queryset.none()
    return queryset.filter(Q(partner_id=user.organisation_id) | at_users_organisation(user, "ceptoar_id"))


# The reporter sees the case made of its report from the moment it is asked to approve it.
_CASE_STATUSES_SHOWN_TO_REPORTER = (
    CaseStatus.AWAITING_APPROVAL,
    CaseStatus.CHANGES_REQUESTED,
    CaseStatus.APPROVED,
    CaseStatus.PUBLISHED,
)


@_model_rule("reports.case")
def visible_cases(user, queryset: QuerySet | None = None) -> QuerySet:
    """Failure cases `user` may see: published ones under the sharing policy (TLP and audience); unpublished
    ones only at the organisation making them (and its secretariat organisation) and, while it approves,
    at the reporting organisation. A withdrawn case is seen only where it was made."""
    if queryset is None:
        queryset = Case.objects.all()
    if not is_active_member(user):
        return queryset.none()
    makers = Q(author_id=user.pk) | at_users_organisation(user, "origin_organisation_id")
    reporter = Q(report__organisation_id=user.organisation_id, status__in=_CASE_STATUSES_SHOWN_TO_REPORTER)
    published = Q(status=CaseStatus.PUBLISHED) & visibility_condition(user)
    return queryset.filter(makers | reporter | published)


# -- intel ----------------------------------------------------------------------------------------


@_model_rule("intel.indicatorset")
def visible_indicator_sets(user, queryset: QuerySet | None = None) -> QuerySet:
    """Indicator sets `user` may see: published ones under the sharing policy (TLP and audience); drafts and
    withdrawn ones only where they were made (an import's set is its importing organisation's until shared)."""
    if queryset is None:
        queryset = IndicatorSet.objects.all()
    if not is_active_member(user):
        return queryset.none()
    makers = Q(author_id=user.pk) | at_users_organisation(user, "origin_organisation_id")
    published = Q(status=IndicatorSetStatus.PUBLISHED) & visibility_condition(user)
    return queryset.filter(makers | published)


@_model_rule("intel.incident")
def visible_incidents(user, queryset: QuerySet | None = None) -> QuerySet:
    """Incidents are the working records of the organisation that keeps them (and of the secretariat that
    runs it): nobody else sees that reports were linked. Each linked report is still asked of
    `visible_reports`."""
    if queryset is None:
        queryset = Incident.objects.all()
    if not is_active_member(user):
        return queryset.none()
    return queryset.filter(at_users_organisation(user, "organisation_id"))


# -- audiences ------------------------------------------------------------------------------------


def _expansion(audience_id: int) -> Q:
    sectors = _Sectors.objects.filter(audience_id=audience_id).values("sector_id")
    ceptoars = _Ceptoars.objects.filter(audience_id=audience_id).values("organisation_id")
    subgroups = _Subgroups.objects.filter(audience_id=audience_id).values("organisation_id")
    organisations = _Organisations.objects.filter(audience_id=audience_id).values("organisation_id")
    return (
        Q(pk__in=organisations)
        | Q(pk__in=CouncilSeat.objects.filter(council_id__in=organisations).values("ceptoar_id"))
        | Q(sector_id__in=sectors)
        | Q(pk__in=Membership.objects.filter(ceptoar__sector_id__in=sectors).values("member_id"))
        | Q(pk__in=ceptoars)
        | Q(parent_id__in=ceptoars)
        | Q(pk__in=Membership.objects.filter(ceptoar_id__in=ceptoars).values("member_id"))
        | Q(pk__in=subgroups)
        | Q(pk__in=Membership.objects.filter(via_id__in=subgroups).values("member_id"))
    )


def audience_organisations(audience: Audience) -> QuerySet[Organisation]:
    """Every organisation the audience expands to (not its named people), as one query."""
    if audience.community:
        return Organisation.objects.all()
    return Organisation.objects.filter(_expansion(audience.pk))


# -- relays ---------------------------------------------------------------------------------------


def _named_list(names: list[str], total: int) -> str:
    text = ", ".join(names)
    if total > len(names):
        text = _("%(names)s and %(count)d more") % {"names": text, "count": total - len(names)}
    return text


def relay_needs_approval(parent_item) -> bool:
    """Whether relaying this item waits for its originator's approval (the caveat on the item)."""
    return bool(getattr(parent_item, "relay_needs_originator_approval", False))


def _names_within(audience: Audience, parent: Audience) -> bool:
    """Whether every sector, CEPTOAR, sub-group and organisation `audience` names, `parent` names too (or
    `parent` is the community). An audience expands as the union of what it names, so then it cannot reach
    further: one cheap query instead of the expansion, on every hop of an automatic relay."""
    if parent.community:
        return True
    named_beyond = Q()
    for through, target in (
        (_Sectors, "sector_id"),
        (_Ceptoars, "organisation_id"),
        (_Subgroups, "organisation_id"),
        (_Organisations, "organisation_id"),
    ):
        named_beyond |= Exists(
            through.objects.filter(audience_id=audience.pk).exclude(
                **{f"{target}__in": through.objects.filter(audience_id=parent.pk).values(target)}
            )
        )
    return not Audience.objects.filter(pk=audience.pk).filter(named_beyond).exists()


def validate_relay(parent_item, tlp: str, audience: Audience) -> None:
    """Raise ValidationError (keys `tlp`, `audience`, or non-field for a forbidden relay) unless a relay of
    `parent_item` marked `tlp` for `audience` only keeps or narrows who may see it.

    The marking may stay or be raised, never lowered. The audience may reach only organisations the parent
    reaches; its named people must be named in the parent or belong to one of the parent's organisations
    (for a RED parent, they must be named in it).
    """
    if getattr(parent_item, "no_onward_relay", False):
        raise ValidationError(
            {
                NON_FIELD_ERRORS: [
                    _("The originator has marked this item “no onward relay”: it may not be relayed.")
                ]
            }
        )
    errors: dict[str, list[str]] = {}
    parent_tlp = Tlp(parent_item.tlp)
    if tlp not in TLP_RANK:
        errors["tlp"] = [_("Unknown TLP marking: %(value)s") % {"value": tlp}]
    elif TLP_RANK[Tlp(tlp)] < TLP_RANK[parent_tlp]:
        errors["tlp"] = [
            _("A relay may keep the marking %(parent)s or raise it, never lower it to %(relay)s.")
            % {"parent": parent_tlp.label, "relay": Tlp(tlp).label}
        ]

    audience_errors: list[str] = []
    parent_organisations = audience_organisations(parent_item.audience)
    if audience.community and not parent_item.audience.community:
        audience_errors.append(_("The original was not sent to the whole community; a relay may not be."))
    elif not _names_within(audience, parent_item.audience):
        wider = audience_organisations(audience).exclude(pk__in=parent_organisations.values("pk"))
        extra = list(wider.order_by("code").values_list("name", flat=True)[: _NAMED_IN_ERRORS + 1])
        if extra:
            total = wider.count() if len(extra) > _NAMED_IN_ERRORS else len(extra)
            audience_errors.append(
                _("The relay would reach organisations the original does not: %(names)s.")
                % {"names": _named_list(extra[:_NAMED_IN_ERRORS], total)}
            )

    allowed_people = Q(pk__in=parent_item.audience.people.values("pk"))
    if parent_tlp != Tlp.RED:
        allowed_people |= Q(organisation__in=parent_organisations.values("pk"))
    strangers = audience.people.exclude(allowed_people)
    named = audience.people.exists()
    extra_people = list(strangers.order_by("username")[: _NAMED_IN_ERRORS + 1]) if named else []
    if extra_people:
        total = strangers.count() if len(extra_people) > _NAMED_IN_ERRORS else len(extra_people)
        names = [str(person) for person in extra_people[:_NAMED_IN_ERRORS]]
        if parent_tlp == Tlp.RED:
            message = _("A relay of TLP:RED may name only people the original names, not: %(names)s.")
        else:
            message = _(
                "A relay may name only people the original names or who belong to its organisations, "
                "not: %(names)s."
            )
        audience_errors.append(message % {"names": _named_list(names, total)})
    if audience_errors:
        errors["audience"] = audience_errors
    if errors:
        raise ValidationError(errors)


# -- the audit log --------------------------------------------------------------------------------


def can_browse_audit(user) -> bool:
    """The audit log (who read which AMBER+STRICT and RED items) is for auditors and superusers."""
    return is_active_person(user) and (user.is_superuser or user.has_role(Role.AUDITOR))
