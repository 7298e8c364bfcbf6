"""The person's notifications (list, open, mark read) and their settings: thin over `services`."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ceptoar.notifications import services
from ceptoar.notifications.forms import PreferencesForm
from ceptoar.notifications.models import Notification
from ceptoar.utilities.pagination import paginate

PER_PAGE = 30


def notification_list(request):
    show = "unread" if request.GET.get("show") == "unread" else "all"
    mine = Notification.objects.filter(user=request.user).only(
        "pk", "event", "title", "url", "created_at", "read_at"
    )
    if show == "unread":
        mine = mine.filter(read_at__isnull=True)
    page = paginate(request, mine, PER_PAGE)
    return render(
        request,
        "notifications/list.html",
        {"page": page, "show": show, "unread": services.unread_count(request.user)},
    )


def notification_open(request, pk: int):
    """Mark it read and go to the item (whose own page asks the policy again)."""
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    services.do_mark_read(request.user, [notification.pk])
    if not url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None):
        return redirect("notifications:list")
    return HttpResponseRedirect(notification.url)


@require_POST
def notification_mark_read(request):
    ids = [int(value) for value in request.POST.getlist("notification") if value.isdigit()]
    count = services.do_mark_read(request.user, ids or None)
    messages.success(request, _("%(count)d notifications marked as read.") % {"count": count})
    return redirect("notifications:list")


def notification_settings(request):
    current = services.preferences_of(request.user)
    form = PreferencesForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        services.do_set_preferences(request.user, form.cleaned_data)
        messages.success(request, _("Your notification settings were saved."))
        return redirect("notifications:settings")
    return render(request, "notifications/settings.html", {"form": form})
