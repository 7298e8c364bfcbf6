"""Every environment variable the code reads is documented: in the docstring at the top of settings.py (the
list of every variable) and in the settings table of docs/deployment.md. Found by reading the source, so a
variable added anywhere in the package without its line fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import ceptoar
from ceptoar import settings

PACKAGE = Path(ceptoar.__file__).resolve().parent
# The benchmarks read variables too, from the checkout beside the package (benchmarks/fanout.py).
BENCHMARKS = PACKAGE.parents[1] / "benchmarks"
DEPLOYMENT = PACKAGE.parents[1] / "docs" / "deployment.md"
# ceptoar.config's readers (env_str, env_int, env_bool, env_list, env_header, …) and os.environ / os.getenv.
NAME = re.compile(r"[A-Z][A-Z0-9_]*")
# Django's own, set for it rather than settings of the platform.
NOT_SETTINGS = {"DJANGO_SETTINGS_MODULE", "DJANGO_AUTORELOAD_ENV"}


def _is_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def _read_name(node: ast.AST) -> str | None:
    """The variable's name if `node` reads one from the environment with a literal name."""
    if isinstance(node, ast.Call) and node.args:
        first = node.args[0]
        function = node.func
        reads = (
            (isinstance(function, ast.Name) and function.id.startswith("env_"))
            or (isinstance(function, ast.Attribute) and function.attr == "getenv")
            or (
                isinstance(function, ast.Attribute) and function.attr == "get" and _is_environ(function.value)
            )
        )
        if reads and isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    if (
        isinstance(node, ast.Subscript)
        and _is_environ(node.value)
        and isinstance(node.ctx, ast.Load)
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, str)
    ):
        return node.slice.value
    return None


def variables_read() -> dict[str, list[str]]:
    """Variable name → the files that read it, over every module of the package (paths relative to it) and
    of the checkout's benchmarks (`benchmarks/…`)."""
    found: dict[str, list[str]] = {}
    modules = [(path, path.relative_to(PACKAGE)) for path in sorted(PACKAGE.rglob("*.py"))]
    modules += [(path, path.relative_to(BENCHMARKS.parent)) for path in sorted(BENCHMARKS.rglob("*.py"))]
    for path, shown in modules:
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            name = _read_name(node)
            if name and NAME.fullmatch(name) and name not in NOT_SETTINGS:
                found.setdefault(name, []).append(str(shown))
    return found


def documented_in_settings() -> set[str]:
    # One variable a line, its name first, indented by two spaces.
    return set(re.findall(r"^  ([A-Z][A-Z0-9_]+)\s", settings.__doc__, re.MULTILINE))


def documented_in_deployment() -> set[str]:
    # The settings table: a row per variable, its name in backticks in the first cell.
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", DEPLOYMENT.read_text(), re.MULTILINE))


def test_the_scan_finds_the_readers_it_is_meant_to_find():
    source = (
        "import os\nfrom os import environ\n"
        "a = env_int('CEPTOAR_A', 1)\nb = os.environ.get('CEPTOAR_B')\nc = os.getenv('CEPTOAR_C')\n"
        "d = os.environ['CEPTOAR_D']\ne = environ.get('CEPTOAR_E')\n"
        "child = {}\nchild['CEPTOAR_WRITTEN'] = '1'\nos.environ['CEPTOAR_SET'] = '1'\nsettings.get('NOT_ENV')\n"
    )
    names = {name for node in ast.walk(ast.parse(source)) if (name := _read_name(node))}
    assert names == {"CEPTOAR_A", "CEPTOAR_B", "CEPTOAR_C", "CEPTOAR_D", "CEPTOAR_E"}
    read = variables_read()
    assert "settings.py" in read["CEPTOAR_BASE_URL"]
    assert "site/management/commands/serve.py" in read["CEPTOAR_SERVE_THREADS"]
    assert "demo/sandbox.py" in read["CEPTOAR_BENCH_KEEP"]
    assert "config.py" in read["DATABASE_URL"]


def test_every_variable_the_code_reads_is_in_the_settings_docstring():
    missing = {
        name: files for name, files in variables_read().items() if name not in documented_in_settings()
    }
    assert not missing, f"add a line to the docstring of src/ceptoar/settings.py for: {missing}"


def test_the_settings_docstring_lists_no_variable_the_code_does_not_read():
    stale = documented_in_settings() - set(variables_read())
    assert not stale, f"settings.py's docstring lists variables nothing reads: {sorted(stale)}"


def test_every_variable_is_in_the_settings_table_of_the_deployment_guide():
    missing = sorted(set(variables_read()) - documented_in_deployment())
    assert not missing, f"add a row to the settings table of docs/deployment.md for: {missing}"
    stale = sorted(documented_in_deployment() - set(variables_read()))
    assert not stale, f"docs/deployment.md's settings table lists variables nothing reads: {stale}"
