"""The one error an import of STIX or MISP raises: every problem found, each naming the object and where,
so that nothing is stored unless the whole input is sound."""

from __future__ import annotations


class ImportRefused(Exception):
    """Nothing was imported. `problems` are the messages to show, one per problem, each naming the object
    (its id, type or position) and what is wrong with it."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems[:5]))


def nul_paths(value, path: str = "") -> list[str]:
    """Where in a parsed JSON value a string (or a key) holds U+0000: JSON allows it, PostgreSQL's JSON
    cannot store it, and an import must refuse it by name rather than fail while storing. Paths read like
    `Attribute[3].value`."""
    found: list[str] = []
    if isinstance(value, str):
        if "\x00" in value:
            found.append(path or "(the value)")
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                found.append(where)
            found.extend(nul_paths(item, where))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(nul_paths(item, f"{path}[{index}]"))
    return found


def may_hold_nul(text: str | bytes) -> bool:
    """A cheap test of a file's text before walking it: U+0000 written raw, or as the JSON escape."""
    if isinstance(text, bytes):
        return b"\x00" in text or b"\\u0000" in text
    return "\x00" in text or "\\u0000" in text
