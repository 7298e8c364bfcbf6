"""The demo's relay chain: every ministry relays what the hub sends it on to the CEPTOARs it oversees, and
every CEPTOAR relays what its ministry sends on to its members (and to its sub-groups and relay hubs, whose
own rules, made with the population, carry it to theirs). So an alert or a drill the hub publishes in the
demo reaches the member organisations, hop by hop, each hop in its own name, as it would where every
organisation had set up its standing rule.

Not part of `load_demo()`, which the test suite loads: there each test decides which hops relay (a test of
a ministry relaying by hand needs a ministry without a rule). `ceptoar demo` adds it after loading, and a
test adds it to see the chain (`tests/demo/test_relay_chain.py`). It draws nothing from the population's
random stream, so every demo organisation keeps its names and numbers (the anonymiser's corpus quotes them).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from ceptoar.accounts.access import can_send_alerts
from ceptoar.accounts.models import Role, RoleGrant, User
from ceptoar.alerts.models import RelayRule, Severity
from ceptoar.alerts.services.relay_rules import add_relay_rule
from ceptoar.demo.population import DEMO_ACCOUNTS
from ceptoar.registry.models import Organisation, OrganisationKind

# The note each automatic relay carries, by the relaying organisation's kind.
MINISTRY_RELAY_NOTE = "所管省庁より自動転送"
CEPTOAR_RELAY_NOTE = "セプター事務局より自動転送"
# The demo's accounts that answer for automatic relays where no demo login of that organisation may send.
RELAY_ACCOUNT_PREFIX = "relay-"


@dataclass(frozen=True)
class RelayChain:
    ministries: int
    ceptoars: int


# (kind of the relaying organisation, the kind it relays from, the role of its relay account, the note)
_HOPS = (
    (OrganisationKind.MINISTRY, OrganisationKind.HUB, Role.MINISTRY_LIAISON, MINISTRY_RELAY_NOTE),
    (OrganisationKind.CEPTOAR, OrganisationKind.MINISTRY, Role.SECRETARIAT, CEPTOAR_RELAY_NOTE),
)


def load_demo_relay_chain() -> RelayChain:
    """A standing rule for every ministry (from the hub) and every CEPTOAR (from its ministry) that has
    none yet: every category, every severity. Returns how many were added; adding again adds none."""
    added = {OrganisationKind.MINISTRY: 0, OrganisationKind.CEPTOAR: 0}
    with transaction.atomic():
        for kind, relays_from, role, note in _HOPS:
            for organisation in Organisation.objects.filter(kind=kind).order_by("code"):
                if relays_already(organisation, relays_from):
                    continue
                add_relay_rule(
                    _relay_person(organisation, role),
                    from_organisation_kinds=[relays_from],
                    categories=[],
                    minimum_severity=Severity.LOW,
                    note=note,
                )
                added[kind] += 1
    return RelayChain(ministries=added[OrganisationKind.MINISTRY], ceptoars=added[OrganisationKind.CEPTOAR])


def relays_already(organisation: Organisation, relays_from: str) -> bool:
    """Whether an active rule of the organisation relays every alert from organisations of that kind."""
    return any(
        (not rule.from_organisation_kinds or relays_from in rule.from_organisation_kinds)
        and not rule.categories
        and rule.minimum_severity == Severity.LOW
        for rule in RelayRule.objects.filter(organisation=organisation, is_active=True)
    )


def _relay_person(organisation: Organisation, role: str) -> User:
    """The demo login of the organisation that may send (demo-ministry, demo-secretariat …), else its relay
    account, which has no password: nobody logs in as it, the rule acts in its name."""
    logins = User.objects.filter(
        organisation=organisation, username__in=[account.username for account in DEMO_ACCOUNTS]
    ).order_by("pk")
    existing = next((user for user in logins if can_send_alerts(user)), None)
    if existing is not None:
        return existing
    user, created = User.objects.get_or_create(
        username=f"{RELAY_ACCOUNT_PREFIX}{organisation.code}",
        defaults={
            "organisation": organisation,
            "email": f"relay@{organisation.domain}",
            "display_name": f"{organisation.name} 自動転送",
            "is_demo": True,
        },
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        RoleGrant.objects.create(user=user, role=role)
    return user
