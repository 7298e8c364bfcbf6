"""Markings, severities and hop times as the alert pages show them."""

from __future__ import annotations

import datetime

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from ceptoar.alerts.forms.tlp import TLP_EXPLANATIONS
from ceptoar.alerts.models import Severity
from ceptoar.alerts.rendering import envelope_title
from ceptoar.sharing import policy
from ceptoar.sharing.models import Tlp

register = template.Library()


@register.simple_tag
def tlp_badge(value: str):
    """TLP:AMBER etc. in FIRST's colours on black (see site.css)."""
    try:
        label = Tlp(value).label
    except ValueError:
        label = value
    return format_html('<span class="tlp tlp-{}">{}</span>', value, label)


@register.filter
def tlp_explanation(value: str) -> str:
    explanation = TLP_EXPLANATIONS.get(value)
    return str(explanation) if explanation is not None else ""


@register.simple_tag
def severity_badge(value: str):
    try:
        label = Severity(value).label
    except ValueError:
        label = value
    return format_html('<span class="severity severity-{}">{}</span>', value, label)


@register.filter
def duration(value: datetime.timedelta | None) -> str:
    """How long a hop took, in the largest two units a reader needs at a glance."""
    if value is None:
        return "—"
    seconds = max(0, int(value.total_seconds()))
    if seconds < 60:
        return _("%(seconds)d s") % {"seconds": seconds}
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return _("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": seconds}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    days, hours = divmod(hours, 24)
    return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}


@register.simple_tag(takes_context=True)
def alert_title(context, alert) -> str:
    """The alert's title, or its envelope's words where the reader only passes it on.

    Lists annotate `content_readable` (`policy.with_content_readable`, one query for the page); a row
    without it is asked of the policy on its own, so a template that forgets cannot show a title it
    should not."""
    if alert.tlp not in policy.ENVELOPE_TLPS:
        return alert.title
    readable = getattr(alert, "content_readable", None)
    if readable is None:
        request = context.get("request")
        readable = request is not None and policy.may_read_content(request.user, alert)
    return alert.title if readable else envelope_title(alert)
