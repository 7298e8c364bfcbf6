"""Who is told of what: one function per event, called by the areas' services inside their transaction (one
call each), each naming the people the event concerns and the item they act on; `services.do_notify` then
asks the sharing policy, per person, whether they may see that item.

Titles name the item by its number or reference, never its content: they go into e-mails."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from ceptoar.accounts import access
from ceptoar.accounts.models import Role, User
from ceptoar.alerts.models import Alert, RelayApproval, RelayApprovalStatus
from ceptoar.notifications.models import Event
from ceptoar.notifications.services import Notice, do_notify
from ceptoar.registry.models import POC_ROLES, ChannelKind, ContactChannel, HandlingRules, Organisation
from ceptoar.registry.queries import organisations_bound_by_rules_of, poc_email_addresses
from ceptoar.reports.models import (
    AnalysisForward,
    Case,
    PartnerAnalysis,
    Report,
    ReportComment,
    ReportHop,
    ReportVersion,
)


def _people_at(organisation_ids) -> QuerySet[User]:
    """The active people of these organisations, and of the organisations running their secretariats (who
    stand at a CEPTOAR's hop: `sharing.policy.at_users_organisation`)."""
    ids = set(organisation_ids)
    runners = Organisation.objects.filter(pk__in=ids).values("ceptoar_profile__secretariat_id")
    return (
        User.objects.filter(Q(organisation_id__in=ids) | Q(organisation_id__in=runners), is_active=True)
        .select_related("organisation")
        .order_by("pk")
    )


def _in_installation_language(function):
    """Notifications are written once for everyone: in the installation's language."""

    def wrapped(*args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return function(*args, **kwargs)

    return wrapped


# -- alerts -----------------------------------------------------------------------------------------


@_in_installation_language
def alert_approval_requested(alert: Alert) -> list[str]:
    """An alert asks for a second person: the other senders of its organisation."""
    people = access.alert_senders_of(alert.origin_organisation).exclude(pk=alert.author_id)
    notice = Notice(
        Event.ALERT_APPROVAL,
        f"alert-approval:{alert.pk}",
        _("Alert #%(number)s waits for a second person's approval") % {"number": alert.pk},
        reverse("alerts:detail", args=[alert.pk]),
    )
    return do_notify(notice, people, item=alert)


def _originator(alert: Alert) -> Organisation:
    return (alert.root or alert).origin_organisation


@_in_installation_language
def relay_approval_asked(approval: RelayApproval) -> list[str]:
    """The originator's senders, and its points of contact by e-mail. No title: the alert may be
    AMBER+STRICT or RED, whose content does not leave the platform."""
    originator = _originator(approval.parent)
    root = approval.parent.root or approval.parent
    values = {
        "asker": approval.asking_organisation.name,
        "person": approval.asked_by,
        "number": root.pk,
        "tlp": approval.parent.get_tlp_display(),
    }
    notice = Notice(
        Event.RELAY_APPROVAL,
        f"relay-approval:{approval.pk}:asked",
        _("%(asker)s asks to relay your alert #%(number)s") % values,
        reverse("alerts:detail", args=[root.pk]),
        lead="\n".join(
            [
                _("%(asker)s (%(person)s) asks for your approval to relay alert #%(number)s (%(tlp)s).")
                % values,
                _("The relay waits until your organisation grants or refuses it on the alert's page:"),
            ]
        ),
    )
    addresses = poc_email_addresses(Organisation.objects.filter(pk=originator.pk))
    return do_notify(notice, access.alert_senders_of(originator), item=root, addresses=addresses)


@_in_installation_language
def relay_approval_answered(approval: RelayApproval) -> list[str]:
    """The person who asked learns the answer (and the reason)."""
    values = {"number": approval.parent.pk, "originator": _originator(approval.parent).name}
    if approval.status == RelayApprovalStatus.GRANTED:
        title = _("Relay of alert #%(number)s approved and sent") % values
        first = (
            _("%(originator)s approved your relay; it has been sent in your organisation's name.") % values
        )
    else:
        title = _("Relay of alert #%(number)s refused") % values
        first = _("%(originator)s refused your relay. Their reason:") % values
    item = approval.relay or approval.parent
    notice = Notice(
        Event.RELAY_APPROVAL,
        f"relay-approval:{approval.pk}:{approval.status}",
        title,
        reverse("alerts:detail", args=[item.pk]),
        lead="\n\n".join([first, approval.reason] if approval.reason else [first]),
    )
    return do_notify(notice, [approval.asked_by], item=item)


# -- reports ----------------------------------------------------------------------------------------


def _hop_organisations(report: Report) -> set[int]:
    return set(report.hops.values_list("organisation_id", flat=True))


@_in_installation_language
def report_arrived(version: ReportVersion) -> list[str]:
    """A report's first version or a follow-up was sent: every hop it has reached."""
    report = version.report
    notice = Notice(
        Event.REPORT_ARRIVED,
        f"report-version:{version.pk}",
        _("Report %(reference)s: %(stage)s received")
        % {"reference": report.reference, "stage": version.get_stage_display()},
        reverse("reports:detail", args=[report.pk]),
    )
    people = _people_at(_hop_organisations(report)).exclude(organisation_id=report.organisation_id)
    return do_notify(notice, people, item=report)


@_in_installation_language
def report_forwarded(report: Report, hops: list[ReportHop]) -> list[str]:
    """A report was forwarded to a ministry or the hub: the organisations of the new hops."""
    notice = Notice(
        Event.REPORT_ARRIVED,
        "report-forwarded:" + ",".join(str(hop.pk) for hop in hops),
        _("Report %(reference)s was forwarded to your organisation") % {"reference": report.reference},
        reverse("reports:detail", args=[report.pk]),
    )
    people = _people_at(hop.organisation_id for hop in hops).exclude(organisation_id=report.organisation_id)
    return do_notify(notice, people, item=report)


def poc_addresses(organisation: Organisation) -> list[str]:
    """The e-mail addresses of the organisation's active primary POCs and 24/7 desks (and, for a CEPTOAR,
    of the organisation that runs its secretariat), in the order of the contacts."""
    organisations = [organisation.pk]
    profile = getattr(organisation, "ceptoar_profile", None) if organisation.kind == "ceptoar" else None
    if profile is not None and profile.secretariat_id:
        organisations.append(profile.secretariat_id)
    rows = ContactChannel.objects.filter(
        contact__organisation_id__in=organisations,
        contact__role__in=POC_ROLES,
        contact__is_active=True,
        kind=ChannelKind.EMAIL,
    ).order_by("contact__organisation_id", "contact__position", "position", "id")
    return list(dict.fromkeys(rows.values_list("value", flat=True)))


@_in_installation_language
def report_forwarded_for_analysis(forward: AnalysisForward) -> list[str]:
    """The partner's people, and its points of contact by e-mail: a link and nothing of the content."""
    ceptoar = forward.report.ceptoar
    notice = Notice(
        Event.REPORT_ARRIVED,
        f"analysis-forward:{forward.pk}",
        _("A report was forwarded to you for analysis (%(ceptoar)s)") % {"ceptoar": ceptoar.name},
        reverse("reports:analysis_forward", args=[forward.pk]),
        lead=_("%(ceptoar)s has forwarded an incident report to you for analysis. Sign in to read it:")
        % {"ceptoar": ceptoar.name},
    )
    partner = forward.partner
    return do_notify(notice, _people_at([partner.pk]), item=forward, addresses=poc_addresses(partner))


@_in_installation_language
def analysis_returned(analysis: PartnerAnalysis) -> list[str]:
    """The CEPTOAR's people (and its secretariat's), and its points of contact by e-mail, by a link."""
    partner = analysis.partner.name
    notice = Notice(
        Event.REPORT_ARRIVED,
        f"partner-analysis:{analysis.pk}",
        _("%(partner)s returned an analysis") % {"partner": partner},
        reverse("reports:analysis_detail", args=[analysis.pk]),
        lead=_("%(partner)s has returned its analysis of reports you forwarded. Sign in to read it:")
        % {"partner": partner},
    )
    ceptoar = analysis.ceptoar
    return do_notify(notice, _people_at([ceptoar.pk]), item=analysis, addresses=poc_addresses(ceptoar))


@_in_installation_language
def report_comment(comment: ReportComment) -> list[str]:
    """A comment on a report: the reporter and every hop, or (internal note) the hops alone; a request for
    more information is said as such. Never the author."""
    report = comment.report
    organisations = _hop_organisations(report)
    if not comment.internal:
        organisations.add(report.organisation_id)
    people = _people_at(organisations).exclude(pk=comment.author_id)
    if comment.internal:
        people = people.exclude(organisation_id=report.organisation_id)
    values = {"reference": report.reference}
    if report.status == "more_information" and comment.organisation_id != report.organisation_id:
        title = _("Report %(reference)s: more information is asked for") % values
    else:
        title = _("Report %(reference)s: a new comment") % values
    notice = Notice(
        Event.REPORT_COMMENT,
        f"report-comment:{comment.pk}",
        title,
        reverse("reports:detail", args=[report.pk]) + "#conversation",
    )
    return do_notify(notice, people, item=report)


@_in_installation_language
def case_approval_requested(case: Case) -> list[str]:
    """The reporting organisation's points of contact approve the anonymised text."""
    people = _people_at([case.report.organisation_id]).filter(role_grants__role=Role.MEMBER_POC).distinct()
    stamp = (
        case.submitted_for_approval_at.strftime("%Y%m%d%H%M%S%f") if case.submitted_for_approval_at else ""
    )
    notice = Notice(
        Event.CASE_APPROVAL,
        f"case-approval:{case.pk}:{stamp}",
        _("A failure case made from your report %(reference)s waits for your approval")
        % {"reference": case.report.reference},
        reverse("reports:case_approval", args=[case.pk]),
    )
    return do_notify(notice, people, item=case)


@_in_installation_language
def case_published(case: Case) -> list[str]:
    """Everyone the published case reaches, except where it was made (they published it)."""
    people = (
        User.objects.filter(is_active=True, organisation__isnull=False)
        .exclude(organisation_id=case.origin_organisation_id)
        .order_by("pk")
    )
    notice = Notice(
        Event.CASE_PUBLISHED,
        f"case-published:{case.pk}",
        _("A new failure case was published in the library (#%(number)s)") % {"number": case.pk},
        reverse("reports:case_detail", args=[case.pk]),
    )
    return do_notify(notice, people, item=case)


# -- handling rules (a receiver of `registry.signals.rules_published`) ------------------------------


@_in_installation_language
def rules_to_accept(sender, *, rules: HandlingRules, owner: Organisation, lead: str, **kwargs) -> list[str]:
    """Those who may accept the new version for an organisation bound by it, and the points of contact of
    those organisations by e-mail."""
    bound = organisations_bound_by_rules_of(owner)
    bound_ids = set(bound.values_list("pk", flat=True))
    people = [
        user
        for user in _people_at(bound_ids)
        if set(access.organisations_accepting_rules_through(user).values_list("pk", flat=True)) & bound_ids
    ]
    notice = Notice(
        Event.RULES_TO_ACCEPT,
        f"rules:{rules.pk}",
        _("%(owner)s: handling rules version %(version)s to accept")
        % {"owner": owner.name, "version": rules.version},
        reverse("registry:my_rules"),
        lead=lead,
    )
    return do_notify(notice, people, addresses=poc_email_addresses(bound))
