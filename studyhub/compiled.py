"""Querysets whose SQL is compiled once per process, then run with each request's values.

Django builds and compiles a queryset's SQL afresh every time it runs. For a query of a
fixed shape that is most of its cost: the question page's coverage panel spent 1.84 ms
building and compiling its query, and SQLite 0.05 ms running it (issue 18,
bench/results/2026-12-04-compiled-queries.md). `CompiledQuery` builds such a queryset
once per shape and database with stand-in values for what changes between requests,
keeps its SQL, and runs that SQL with each request's values through `raw()`: the same
statement, the same rows, the same model instances with their annotations.

Only for querysets whose SQL keeps its shape whatever the values: scalar parameters
(ids, levels), never a list (`__in` a list has one placeholder per item). Anything that
changes the query's structure (a flag, the user being staff, a setting) belongs in the
`shape` key. The build runs with stand-in integers and must put each of them into the
SQL as a parameter; compiling checks that it did, and that no other parameter could be
mistaken for one.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from django.db import connection
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)

#: Stand-ins for the values, far from any id or level the app stores.
_STAND_IN_BASE = -7_340_000_000_000


class _Slot:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class CompiledQuery(Generic[M]):
    """`build(shape, **values)` returns the queryset; `run(shape, **values)` its rows.

    `names` are the integer values that change between requests (say "user_id").
    """

    def __init__(self, build: Callable[..., QuerySet[M]], *names: str) -> None:
        self._build = build
        self._names = names
        self._compiled: dict[tuple[str, Hashable], tuple[QuerySet[M], str, list[Any]]] = {}

    def run(self, shape: Hashable, **values: int) -> list[M]:
        if set(values) != set(self._names):
            raise TypeError(f"values {sorted(values)}, expected {sorted(self._names)}")
        key = (connection.vendor, shape)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(shape)
        queryset, sql, params = compiled
        bound = [values[p.name] if isinstance(p, _Slot) else p for p in params]
        return list(queryset.model._default_manager.raw(sql, bound))

    def _compile(self, shape: Hashable) -> tuple[QuerySet[M], str, list[Any]]:
        stand_ins = {name: _STAND_IN_BASE - n for n, name in enumerate(self._names)}
        queryset = self._build(shape, **stand_ins)
        sql, raw_params = queryset.query.sql_with_params()
        by_value = {value: name for name, value in stand_ins.items()}
        params: list[Any] = []
        for param in raw_params:
            if param in by_value and type(param) is int:
                params.append(_Slot(by_value[param]))
            elif isinstance(param, int) and param <= _STAND_IN_BASE:
                raise ValueError(f"a parameter of the query looks like a stand-in: {param}")
            else:
                params.append(param)
        missing = set(self._names) - {p.name for p in params if isinstance(p, _Slot)}
        if missing:
            raise ValueError(f"the query does not use {sorted(missing)} as parameters")
        return queryset, sql, params
