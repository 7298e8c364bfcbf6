"""The navigation's link to the notifications with the unread count: `{% include "notifications/_nav.html" %}`."""

from __future__ import annotations

from django import template

from ceptoar.notifications.services import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return unread_count(user)
