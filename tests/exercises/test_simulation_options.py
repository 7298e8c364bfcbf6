"""`ceptoar exercise run`: bad options are refused with a message saying what is wrong, before anything is
made; without --simulate it says that real exercises are run from the pages."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from ceptoar.demo import sandbox
from ceptoar.exercises import simulation
from ceptoar.exercises.models import Exercise

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_workspace(monkeypatch):
    """Fails the test if the command starts making its throw-away database."""

    def refuse(name):
        raise AssertionError(f"a workspace was made ({name}) despite bad options")

    monkeypatch.setattr(sandbox, "workspace", refuse)


@pytest.mark.parametrize("share", ["1.5", "-0.1", "nan"])
def test_a_share_outside_0_to_1_is_refused(english, no_workspace, share):
    with pytest.raises(CommandError, match=r"--ack-share must be a number from 0 to 1"):
        call_command("exercise", "run", "--simulate", "--ack-share", share)


def test_an_unknown_ceptoar_is_refused_by_name(english, no_workspace):
    with pytest.raises(CommandError) as raised:
        call_command("exercise", "run", "--simulate", "--ceptoars", "gas,no-such-ceptoar")
    message = str(raised.value)
    assert "no CEPTOAR with the code no-such-ceptoar" in message
    assert "banks" in message  # the known codes are listed


def test_an_empty_ceptoar_list_is_refused(english, no_workspace):
    with pytest.raises(CommandError, match="--ceptoars names no CEPTOAR"):
        call_command("exercise", "run", "--simulate", "--ceptoars", " , ")


def test_without_simulate_it_points_to_the_pages(english, no_workspace):
    with pytest.raises(
        CommandError, match=r"Only simulated drills run from the command line.*exercise pages"
    ):
        call_command("exercise", "run")


def test_in_process_bad_options_write_nothing(english):
    before = Exercise.objects.count()
    with pytest.raises(simulation.SimulationError, match="no-such"):
        simulation.simulate(ack_share=0.5, ceptoars=["no-such"])
    with pytest.raises(simulation.SimulationError, match="--ack-share"):
        simulation.simulate(ack_share=2, ceptoars=["gas"])
    assert Exercise.objects.count() == before
