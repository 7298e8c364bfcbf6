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


def _strongly_connected(graph) -> list[set[str]]:
    """The import graph's loops (Tarjan's algorithm, iteratively): each set of two or more modules that reach
    one another through imports, counting those inside functions (grimp reads every import statement)."""
    edges = {module: sorted(graph.find_modules_directly_imported_by(module)) for module in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    loops: list[set[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            targets = edges[node]
            if position < len(targets):
                work.append((node, position + 1))
                target = targets[position]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                loop = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    loop.add(member)
                    if member == node:
                        break
                if len(loop) > 1:
                    loops.append(loop)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return loops


def test_no_two_modules_import_each_other_even_around_a_loop(graph):
    loops = [sorted(loop) for loop in _strongly_connected(graph)]
    assert not loops, f"modules that import each other, directly or around a loop: {loops}"


def test_the_loop_finder_finds_a_loop():
    """The check above could pass by finding nothing; on a graph with a known loop it must find it."""
    made = grimp.ImportGraph()
    for module in ("p", "p.a", "p.b", "p.c", "p.d"):
        made.add_module(module)
    for importer, imported in (("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.d", "p.a")):
        made.add_import(importer=importer, imported=imported)
    assert [sorted(loop) for loop in _strongly_connected(made)] == [["p.a", "p.b", "p.c"]]


def _app(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_apps_that_import_each_other_are_the_ones_the_contract_lists_with_a_reason(graph):
    """Two apps may import each other only one layer apart, and only when pyproject.toml's comment above the
    contract names the pair (`a <-> b`) with its reason; a new pair, or a listed one that no longer holds,
    fails here so the list stays true."""
    app_edges = {
        (_app(importer), _app(imported))
        for importer in graph.modules
        if ".migrations" not in importer
        for imported in graph.find_modules_directly_imported_by(importer)
        if _app(importer) != _app(imported)
    }
    mutual = {tuple(sorted(edge)) for edge in app_edges if edge[::-1] in app_edges}
    text = PYPROJECT.read_text(encoding="utf-8")
    listed = {tuple(sorted(pair)) for pair in re.findall(r"^#.*?(\w+) <-> (\w+)", text, re.M)}
    listed |= {tuple(sorted(pair)) for pair in re.findall(r", (\w+) <-> (\w+)", text)}
    assert sorted(mutual - listed) == [], "apps that import each other, not listed with a reason in pyproject.toml"
    assert sorted(listed - mutual) == [], "pairs listed in pyproject.toml that no longer import each other"
