"""Pages for the secretariat's follow-up work: the call list, broken channels and the escalation plan."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ceptoar.accounts import access
from ceptoar.channels.models import BrokenChannel
from ceptoar.channels.services import broken as breakages
from ceptoar.escalation import calls, services
from ceptoar.escalation.forms import CallForm, PlanForm
from ceptoar.escalation.models import EscalationPlan, default_plan
from ceptoar.utilities.pagination import paginate
from ceptoar.utilities.refusals import REFUSED, attempt


def _phone_channels(recipient) -> list:
    return [
        channel for contact in recipient.organisation.active_contacts for channel in contact.phone_channels
    ]


def call_list(request):
    access.require_sender(request.user)
    page = paginate(request, calls.call_list(request.user), 25)
    for recipient in page:
        recipient.call_form = CallForm(phone_channels=_phone_channels(recipient), prefix=f"r{recipient.pk}")
    return render(request, "escalation/call_list.html", {"page": page})


@require_POST
def log_call(request, recipient_pk):
    access.require_sender(request.user)
    entry = calls.call_list(request.user).filter(pk=recipient_pk).first()
    if entry is None:
        raise Http404
    form = CallForm(request.POST, phone_channels=_phone_channels(entry), prefix=f"r{entry.pk}")
    if form.is_valid():
        call = attempt(
            request,
            lambda: calls.log_call(
                request.user,
                entry.pk,
                form.cleaned_data["channel"],
                form.cleaned_data["number"],
                form.cleaned_data["outcome"],
                form.cleaned_data["note"],
            ),
        )
        if call is not REFUSED:
            messages.success(
                request,
                _("Call to %(organisation)s logged: %(outcome)s")
                % {"organisation": entry.organisation.name, "outcome": call.get_outcome_display()},
            )
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, f"{entry.organisation.name}: {message}")
    return redirect("escalation:call_list")


def broken_channels(request):
    organisations = access.organisations_maintained_by(request.user)
    broken = breakages.broken_channels_for(organisations)
    page = paginate(request, broken, 50)
    # The technical reason (addresses, ports, error texts) only for those who fix channels: a member reading
    # it about an address it chose could map the network behind the platform.
    show_details = access.sees_delivery_details(request.user)
    return render(request, "escalation/broken_channels.html", {"page": page, "show_details": show_details})


@require_POST
def clear_broken_channel(request, pk):
    breakage = get_object_or_404(BrokenChannel.objects.select_related("channel__contact"), pk=pk)
    if not access.can_edit_contacts(request.user, breakage.channel.contact.organisation):
        raise Http404
    breakages.clear_broken_channel(breakage.channel)
    messages.success(request, _("Marked as corrected: %(value)s") % {"value": breakage.channel.value})
    return redirect("escalation:broken_channels")


def plan(request):
    access.require_sender(request.user)
    organisation = request.user.organisation
    instance = EscalationPlan.objects.filter(organisation=organisation).first()
    current = (
        {name: getattr(instance, name) for name in default_plan()} if instance is not None else default_plan()
    )
    instance = instance or EscalationPlan(organisation=organisation)
    status = 200
    if request.method == "POST":
        form = PlanForm(request.POST, instance=instance, initial_times=current)
        if form.is_valid():
            services.save_plan(organisation, form.instance)
            messages.success(request, _("Escalation plan saved. It applies to alerts published from now on."))
            return redirect("escalation:plan")
        status = 400
    else:
        form = PlanForm(instance=instance, initial_times=current)
    return render(
        request,
        "escalation/plan.html",
        {"form": form, "organisation": organisation, "is_default": instance.pk is None},
        status=status,
    )
