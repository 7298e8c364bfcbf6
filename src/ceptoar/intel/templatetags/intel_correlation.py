"""`{% related_items item %}`: the items the reader may see that share observables with `item` (an alert,
report, failure case or indicator set), for its detail page. Needs `request` in the context."""

from __future__ import annotations

from django import template

from ceptoar.intel import correlation

register = template.Library()


@register.inclusion_tag("intel/_related_items.html", takes_context=True)
def related_items(context, item):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or item is None:
        return {"result": correlation.empty(shown=False)}
    try:
        page = max(1, int(request.GET.get("related_page", 1)))
    except (TypeError, ValueError):
        page = 1
    return {"result": correlation.related_items(user, item, page=page)}
