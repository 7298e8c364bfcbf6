"""The one error an import of STIX or MISP raises: every problem found, each naming the object and where,
so that nothing is stored unless the whole input is sound."""

from __future__ import annotations


class ImportRefused(Exception):
    """Nothing was imported. `problems` are the messages to show, one per problem, each naming the object
    (its id, type or position) and what is wrong with it."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems[:5]))
