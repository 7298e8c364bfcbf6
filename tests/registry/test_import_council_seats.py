"""Council seats in the registry import: a seat's kind (member or observer) is read, changed and checked."""

from __future__ import annotations

import pytest

from ceptoar.registry.importer import RegistryImportError, import_registry
from ceptoar.registry.models import CouncilSeat, SeatKind

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def seat(council: str, ceptoar: str) -> CouncilSeat:
    return CouncilSeat.objects.get(council__code=council, ceptoar__code=ceptoar)


def test_a_seat_becomes_an_observer_and_a_new_seat_is_a_member_by_default():
    import_registry(
        {
            "organisations": [
                {"code": "banks", "councils": [{"code": "ceptoar-council", "seat": "observer"}]},
                {"code": "gas", "councils": ["finance-council"]},
            ]
        }
    )
    assert seat("ceptoar-council", "banks").kind == SeatKind.OBSERVER
    assert seat("finance-council", "gas").kind == SeatKind.MEMBER
    # A seat named without its kind keeps the kind it has.
    import_registry({"organisations": [{"code": "railway", "councils": ["ceptoar-council"]}]})
    assert seat("ceptoar-council", "railway").kind == SeatKind.OBSERVER


def test_an_unknown_seat_kind_is_named_and_nothing_is_written():
    with pytest.raises(RegistryImportError) as caught:
        import_registry(
            {
                "organisations": [
                    {"code": "gas", "councils": [{"code": "finance-council", "seat": "guest"}]},
                    {"code": "banks", "councils": [{"code": "ceptoar-council", "seat": 3}]},
                ]
            }
        )
    problems = [str(problem) for problem in caught.value.problems]
    assert problems[0] == (
        "organisations[0] (code=gas) field \"councils[0].seat\": Value 'guest' is not a valid choice."
    )
    assert 'organisations[1] (code=banks) field "councils[0]": Expected a council code' in problems[1]
    assert not CouncilSeat.objects.filter(council__code="finance-council", ceptoar__code="gas").exists()
    assert seat("ceptoar-council", "banks").kind == SeatKind.MEMBER
