"""The secretariat's triage panel and the conversation on a report's page, and the deadline badges of the
triage queue. The report page renders `{% report_triage_panel report %}` and `{% report_conversation report %}`;
what each reader is shown is decided in `reports.tracking` (and `sharing.policy`), not here."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from ceptoar.alerts.templatetags.alert_tags import duration
from ceptoar.reports import access, tracking
from ceptoar.reports.models import ConsentScope, TriageStatus
from ceptoar.sharing import policy

register = template.Library()

# Existing colours of the style sheet: green done, amber late, red overdue, plain while due.
_BADGE_CLASSES = {
    tracking.DeadlineState.MET: "ok",
    tracking.DeadlineState.MET_LATE: "track-tag-confirmed_late",
    tracking.DeadlineState.DUE: "",
    tracking.DeadlineState.OVERDUE: "track-tag-unreachable",
    tracking.DeadlineState.UNKNOWN: "",
}


def _user(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    return user if user is not None else context.get("user")


def _url(name: str, pk: int) -> str | None:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return None


@register.simple_tag
def deadline_badge(deadline: tracking.Deadline):
    """A deadline in words: 期限超過 3 h 20 min, 残り 5 h …, with the colour of its state."""
    time = duration(deadline.delta) if deadline.delta is not None else ""
    if deadline.state == tracking.DeadlineState.OVERDUE:
        text = _("Overdue by %(time)s") % {"time": time}
    elif deadline.state == tracking.DeadlineState.DUE:
        text = _("Due in %(time)s") % {"time": time}
    elif deadline.state == tracking.DeadlineState.MET_LATE:
        text = _("Met, %(time)s late") % {"time": time}
    else:
        text = deadline.state_label
    return format_html(
        '<span class="tag deadline deadline-{} {}" title="{}">{}: {}</span>',
        deadline.state,
        _BADGE_CLASSES.get(deadline.state, ""),
        timezone.localtime(deadline.due_at).strftime("%Y-%m-%d %H:%M") if deadline.due_at else "",
        deadline.label,
        text,
    )


@register.inclusion_tag("reports/_triage_panel.html", takes_context=True)
def report_triage_panel(context, report):
    user = _user(context)
    base = {"report": report, "request": context.get("request"), "user": user}
    if user is None or not policy.holds_report(user, report) or report.status == TriageStatus.DRAFT:
        return base | {"shown": False}
    hops = list(
        report.hops.select_related("organisation", "sent_by", "received_by").order_by("sent_at", "id")
    )
    base |= {"shown": True, "hops": hops}
    if not access.can_triage(user, report):
        return base | {"can_triage": False}
    return base | {
        "can_triage": True,
        "status_label": TriageStatus(report.status).label,
        "consent_label": ConsentScope(report.scope).label,
        "deadline_list": tracking.deadlines(report),
        "forward_options": tracking.forward_options(report),
        "can_forward": report.status != TriageStatus.CLOSED,
        "next_statuses": tracking.next_statuses(report),
        "more_information": TriageStatus.MORE_INFORMATION,
        "forward_url": _url("reports:forward", report.pk),
        "status_url": _url("reports:set_status", report.pk),
        "case_create_url": _url("reports:case_create", report.pk),
    }


@register.inclusion_tag("reports/_conversation.html", takes_context=True)
def report_conversation(context, report):
    user = _user(context)
    base = {"report": report, "request": context.get("request"), "user": user}
    if user is None or not policy.holds_report(user, report) or report.status == TriageStatus.DRAFT:
        return base | {"shown": False}
    return base | {
        "shown": True,
        "comments": list(tracking.comments_for(user, report)),
        "can_comment": tracking.can_comment(user, report),
        "can_write_internal": tracking.can_write_internal(user, report),
        "comment_url": _url("reports:comment", report.pk),
    }
