"""The command end to end, as a user runs it: a throw-away database with the demo population (not the
test database), the drill in a subprocess, one JSON object on stdout."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from ceptoar.exercises.models import Exercise

pytestmark = pytest.mark.django_db


def test_the_command_prints_the_drill_as_one_json_object():
    before = Exercise.objects.count()
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "exercise",
        "run",
        "--simulate",
        "--ack-share",
        "0.8",
        "--seed",
        "4",
        "--ceptoars",
        "gas",
        stdout=out,
        stderr=err,
    )
    result = json.loads(out.getvalue())
    assert result["confirmed_rate"] == 0.8
    assert result["by_ceptoar"] == {"GAS CEPTOAR": 0.8}
    assert {hop["to"] for hop in result["hops"]} == {"ministry", "ceptoar", "member"}
    assert result["median_ack_s"] > 0
    assert result["organisations"] == 12
    assert (
        result["seconds"]["demo_load"] > 0 and result["seconds"]["total"] >= result["seconds"]["simulation"]
    )
    assert err.getvalue()  # progress went to stderr, not into the JSON
    # The drill ran in its own database: the one the command was started with has no new exercise.
    assert Exercise.objects.count() == before
