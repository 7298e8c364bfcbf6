"""`ceptoar bench NAME` finds the benchmarks in the checkout's `benchmarks/`, beside `src/`, and says what is
wrong when this `ceptoar` is an installed package without a checkout."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

import ceptoar
from ceptoar.site.management.commands import bench

CHECKOUT = Path(ceptoar.__file__).resolve().parents[2]


def test_every_benchmark_is_found_in_the_checkout():
    for name in bench.BENCHMARKS:
        module = bench.load_benchmark(name)
        assert Path(module.__file__).resolve().parent == CHECKOUT / "benchmarks"
        assert callable(module.run)


def test_an_installed_package_without_a_checkout_is_told_so(monkeypatch, tmp_path):
    installed = tmp_path / "lib" / "python3" / "site-packages" / "ceptoar" / "__init__.py"
    installed.parent.mkdir(parents=True)
    installed.touch()
    monkeypatch.setattr(ceptoar, "__file__", str(installed))
    with pytest.raises(CommandError, match="benchmarks/ directory of a checkout"):
        call_command("bench", "demo")


def test_a_checkout_without_benchmarks_is_told_so(monkeypatch, tmp_path):
    source = tmp_path / "src" / "ceptoar" / "__init__.py"
    source.parent.mkdir(parents=True)
    source.touch()
    monkeypatch.setattr(ceptoar, "__file__", str(source))
    with pytest.raises(CommandError, match=str(tmp_path / "benchmarks")):
        bench.checkout_benchmarks()


def test_a_benchmark_that_takes_no_such_option_is_refused():
    with pytest.raises(CommandError, match="takes no --clients"):
        call_command("bench", "fanout", "--clients", "2")
