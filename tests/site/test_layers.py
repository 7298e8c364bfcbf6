"""The layer contract of pyproject.toml (checked by `lint-imports` in `make test`) covers every module: a
module left out of every layer would escape the check, so a new module must be given its place."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import grimp
import pytest

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _layers() -> list[set[str]]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    (contract,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == "layers"]
    return [set(re.split(r"[\s:|]+", layer.strip())) - {""} for layer in contract["layers"]]


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("ceptoar")


def _placed(module: str, layers: list[set[str]]) -> list[int]:
    return [
        index
        for index, layer in enumerate(layers)
        if any(module == name or module.startswith(name + ".") for name in layer)
    ]


def test_every_module_has_exactly_one_layer(graph):
    layers = _layers()
    listed = set().union(*layers)
    unplaced, twice = [], []
    for module in sorted(graph.modules):
        if ".migrations" in module:
            continue
        places = _placed(module, layers)
        if len(places) > 1:
            twice.append(module)
        elif not places:
            # A package above the listed modules (ceptoar, ceptoar.alerts) may stay unlisted only while its
            # __init__ imports nothing of the project.
            is_parent = any(name.startswith(module + ".") for name in listed)
            if not is_parent or graph.find_modules_directly_imported_by(module):
                unplaced.append(module)
    assert not unplaced, f"modules in no layer of pyproject.toml's contract: {unplaced}"
    assert not twice, f"modules in more than one layer: {twice}"


def test_every_listed_module_exists(graph):
    missing = sorted(name for layer in _layers() for name in layer if name not in graph.modules)
    assert not missing, f"the contract names modules that do not exist: {missing}"
