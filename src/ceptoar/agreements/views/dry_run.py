"""The dry run "what may flow between A and B now": each direction with what the agreements in force let
through, read from `agreements.flows` (through `agreements.register`), the same read every flow asks."""

from __future__ import annotations

from django.shortcuts import render

from ceptoar.agreements import register
from ceptoar.agreements.access import agreements_visible_to
from ceptoar.agreements.forms.lookups import DryRunForm


def dry_run(request):
    asked = bool(request.GET)
    form = DryRunForm(request.GET if asked else None, user=request.user)
    directions = []
    if asked and form.is_valid():
        directions = register.dry_run(form.cleaned_data["first"], form.cleaned_data["second"])
    visible = set(agreements_visible_to(request.user).values_list("pk", flat=True)) if directions else set()
    context = {"form": form, "directions": directions, "visible": visible}
    return render(request, "agreements/dry_run.html", context, status=400 if asked and form.errors else 200)
