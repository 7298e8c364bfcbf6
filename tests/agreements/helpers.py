"""Agreements for tests, made through the same service the pages use."""

from __future__ import annotations

import datetime
import itertools

from django.utils import timezone

from ceptoar.accounts.models import Role, User
from ceptoar.agreements.models import FlowKind
from ceptoar.agreements.services import lifecycle
from ceptoar.agreements.services.lifecycle import AgreementSpec, TermSpec
from ceptoar.registry.models import Organisation

_numbers = itertools.count(1)


def staff_of(code: str, role: str = Role.SECRETARIAT) -> User:
    """A staff account of the organisation `code`, authorised to act for it."""
    organisation = Organisation.objects.get(code=code)
    user = User.objects.create_user(username=f"agreements-{code}-{next(_numbers)}", organisation=organisation)
    user.role_grants.create(role=role)
    return user


def term(source: str, receiver: str, **overrides) -> TermSpec:
    values = dict(
        kinds=[FlowKind.ALERT], categories=["vulnerability", "malware"], highest_tlp="amber", may_relay=True
    )
    values.update(overrides)
    return TermSpec(source=source, receiver=receiver, **values)


def spec(parties: list[str], terms: list[TermSpec], **overrides) -> AgreementSpec:
    number = next(_numbers)
    values = dict(
        code=f"test-agreement-{number}",
        title=f"試験協定 {number}",
        text="相互に情報を共有する。",
        valid_from=timezone.localdate() - datetime.timedelta(days=1),
    )
    values.update(overrides)
    return AgreementSpec(parties=parties, terms=terms, **values)


def in_force(parties: list[str], terms: list[TermSpec], **overrides):
    """An agreement proposed by the first party and accepted by every other: in force."""
    users = {code: staff_of(code) for code in parties}
    agreement = lifecycle.do_propose(users[parties[0]], spec(parties, terms, **overrides))
    for code in parties[1:]:
        agreement = lifecycle.do_accept(agreement, users[code], Organisation.objects.get(code=code))
    return agreement
