"""The standing relay rules of the user's organisation: the list, adding one, no longer applying one."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ceptoar.accounts import access
from ceptoar.alerts.forms.relay_rules import RELAY_SOURCE_KINDS, RelayRuleForm
from ceptoar.alerts.models import Category, RelayRule
from ceptoar.alerts.services import relay_rules as rule_services


def relay_rules(request):
    access.require_sender(request.user)
    organisation = request.user.organisation
    status = 200
    if request.method == "POST":
        form = RelayRuleForm(
            request.POST, instance=RelayRule(organisation=organisation, created_by=request.user)
        )
        if form.is_valid():
            rule_services.add_relay_rule(request.user, **form.cleaned_data)
            messages.success(
                request,
                _(
                    "Relay rule added: matching alerts are relayed in your organisation’s name as soon as they arrive."
                ),
            )
            return redirect("alerts:relay_rules")
        status = 400
    else:
        form = RelayRuleForm()
    kinds = dict(RELAY_SOURCE_KINDS)
    categories = dict(Category.choices)
    rules = list(organisation.relay_rules.select_related("created_by").order_by("-is_active", "pk"))
    for rule in rules:
        rule.kind_labels = [str(kinds.get(kind, kind)) for kind in rule.from_organisation_kinds]
        rule.category_labels = [str(categories.get(category, category)) for category in rule.categories]
    context = {"organisation": organisation, "rules": rules, "form": form}
    return render(request, "alerts/relay_rules.html", context, status=status)


@require_POST
def relay_rule_deactivate(request, pk):
    access.require_sender(request.user)
    rule = get_object_or_404(RelayRule, pk=pk, organisation_id=request.user.organisation_id)
    if rule_services.deactivate_relay_rule(rule):
        messages.success(request, _("The relay rule is no longer applied."))
    return redirect("alerts:relay_rules")
