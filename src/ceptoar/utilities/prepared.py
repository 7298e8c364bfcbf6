"""Queries on a hot path, compiled to SQL once and run many times with other values.

Each click on an e-mail acknowledgement link runs the same look-up with a different id; Django built that
query's SQL afresh each time, which cost more than the database took to answer it. The query stays an
ordinary queryset (tested as such); only its compilation is kept.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connections
from django.db.models import QuerySet
from django.db.models.sql import UpdateQuery

# Stands for the value in the compiled parameters; no real id is negative.
_PLACEHOLDER = -7_700_000_000_000_077


def _positions(params) -> list[int]:
    positions = [index for index, param in enumerate(params) if param == _PLACEHOLDER]
    if not positions:
        raise ValueError("a prepared query must use its value as a parameter")
    return positions


def _with_value(params: list, positions: list[int], value: int) -> list:
    params = list(params)
    for index in positions:
        params[index] = value
    return params


class PreparedValues:
    """`PreparedValues(lambda value: Model.objects.filter(pk=value).values_list(...))`, then `.first(42)`:
    the first row (a tuple) of the query built with 42, or None."""

    def __init__(self, build: Callable[[int], QuerySet]) -> None:
        self._build = build
        self._compiled: dict[str, tuple[str, list, list[int]]] = {}

    def _compile(self, using: str) -> tuple[str, list, list[int]]:
        compiled = self._compiled.get(using)
        if compiled is None:
            queryset = self._build(_PLACEHOLDER).using(using)
            sql, params = queryset.query.get_compiler(using).as_sql()
            compiled = self._compiled[using] = (sql, list(params), _positions(params))
        return compiled

    def first(self, value: int, using: str = "default") -> tuple | None:
        sql, params, positions = self._compile(using)
        with connections[using].cursor() as cursor:
            cursor.execute(sql, _with_value(params, positions, value))
            return cursor.fetchone()


class PreparedUpdate:
    """`PreparedUpdate(lambda value: Model.objects.filter(owner_id=value), state="done", done_at=Now())`,
    then `.run(42)`: the UPDATE of the rows the query built with 42 selects; returns how many changed.
    The new values are fixed when it is made (use database functions such as `Now()` for times)."""

    def __init__(self, build: Callable[[int], QuerySet], **values) -> None:
        self._build = build
        self._values = values
        self._compiled: dict[str, tuple[str, list, list[int]]] = {}

    def _compile(self, using: str) -> tuple[str, list, list[int]]:
        compiled = self._compiled.get(using)
        if compiled is None:
            query = self._build(_PLACEHOLDER).using(using).query.chain(UpdateQuery)
            query.add_update_values(self._values)
            compiler = query.get_compiler(using)
            compiler.pre_sql_setup()
            sql, params = compiler.as_sql()
            compiled = self._compiled[using] = (sql, list(params), _positions(params))
        return compiled

    def run(self, value: int, using: str = "default") -> int:
        sql, params, positions = self._compile(using)
        with connections[using].cursor() as cursor:
            cursor.execute(sql, _with_value(params, positions, value))
            return cursor.rowcount
