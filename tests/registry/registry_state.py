"""The whole stored registry as plain values, to show that a refused import changed nothing."""

from __future__ import annotations

from ceptoar.registry.models import (
    CeptoarProfile,
    Contact,
    ContactChannel,
    CouncilSeat,
    HandlingRules,
    Membership,
    Organisation,
    Oversight,
    RulesAcceptance,
)

REGISTRY_MODELS = (
    Organisation,
    CeptoarProfile,
    Oversight,
    CouncilSeat,
    Membership,
    Contact,
    ContactChannel,
    HandlingRules,
    RulesAcceptance,
)


def registry_state() -> dict[str, list[tuple]]:
    """Every row of every registry table, every column, in primary-key order."""
    state = {}
    for model in REGISTRY_MODELS:
        columns = [f.attname for f in model._meta.concrete_fields]
        state[model.__name__] = list(model.objects.order_by("pk").values_list(*columns))
    return state
