"""(being written) The secretariat's triage panel and the conversation on a report's page."""

from django import template

register = template.Library()


@register.inclusion_tag("reports/_triage_panel.html", takes_context=True)
def report_triage_panel(context, report):
    return {"report": report, "request": context.get("request")}


@register.inclusion_tag("reports/_conversation.html", takes_context=True)
def report_conversation(context, report):
    return {"report": report, "request": context.get("request")}
