"""Querysets whose SQL is compiled once per process, then run with each request's values.

Django builds and compiles a queryset's SQL afresh every time it runs. For a query of a
fixed shape that is most of its cost: the question page's coverage panel spent 1.84 ms
building and compiling its query, and SQLite 0.05 ms running it (issue 18,
bench/results/2026-12-04-compiled-queries.md). `CompiledQuery` builds such a queryset
once per shape and database with stand-in values for what changes between requests,
keeps its SQL, and runs that SQL with each request's values through `raw()`: the same
statement, the same rows, the same model instances with their annotations.

Only for querysets whose SQL keeps its shape whatever the values: scalar parameters
(ids, levels, an exact slug), never a list (`__in` a list has one placeholder per item).
Anything that changes the query's structure (a flag, the user being staff, a setting)
belongs in the `shape` key. The build runs with stand-in values (integers, and strings
for `texts`) and must put each of them into the SQL as a parameter, unchanged (a
`__contains` lookup wraps its text in wildcards, so it cannot be compiled); compiling
checks that it did, and that no other parameter could be mistaken for one.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from django.db import connection
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)

#: Stand-ins for the values, far from any id or level the app stores.
_STAND_IN_BASE = -7_340_000_000_000
#: Stand-ins for text values begin so: no slug or text the app stores does.
_TEXT_STAND_IN = "\x1estudyhub-compiled-stand-in-"


class _Slot:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class CompiledQuery(Generic[M]):
    """`build(shape, **values)` returns the queryset; `run(shape, **values)` its rows.

    `names` are the integer values that change between requests (say "user_id"),
    `texts` the string ones (say "slug"). Each must be a parameter of the SQL, except
    those in `may_ignore`, which some shapes need not read (staff see every bank,
    whoever they are); none may be written into the SQL's text.
    """

    def __init__(
        self,
        build: Callable[..., QuerySet[M]],
        *names: str,
        texts: tuple[str, ...] = (),
        may_ignore: tuple[str, ...] = (),
    ) -> None:
        self._build = build
        self._names = names
        self._texts = texts
        self._may_ignore = set(may_ignore)
        self._compiled: dict[tuple[str, Hashable], tuple[QuerySet[M], str, list[Any]]] = {}

    def run(self, shape: Hashable, **values: int | str) -> list[M]:
        if set(values) != {*self._names, *self._texts}:
            expected = sorted([*self._names, *self._texts])
            raise TypeError(f"values {sorted(values)}, expected {expected}")
        for name, value in values.items():
            if type(value) is not (str if name in self._texts else int):
                raise TypeError(f"{name}: {value!r} is not of the type it was compiled for")
        key = (connection.vendor, shape)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(shape)
        queryset, sql, params = compiled
        bound = [values[p.name] if isinstance(p, _Slot) else p for p in params]
        return list(queryset.model._default_manager.raw(sql, bound))

    def _compile(self, shape: Hashable) -> tuple[QuerySet[M], str, list[Any]]:
        stand_ins: dict[str, int | str] = {
            name: _STAND_IN_BASE - n for n, name in enumerate(self._names)
        }
        stand_ins.update({name: f"{_TEXT_STAND_IN}{n}" for n, name in enumerate(self._texts)})
        queryset = self._build(shape, **stand_ins)
        sql, raw_params = queryset.query.sql_with_params()
        by_value = {(type(value), value): name for name, value in stand_ins.items()}
        params: list[Any] = []
        for param in raw_params:
            if (type(param), param) in by_value:
                params.append(_Slot(by_value[type(param), param]))
            elif (isinstance(param, int) and param <= _STAND_IN_BASE) or (
                isinstance(param, str) and _TEXT_STAND_IN in param
            ):
                raise ValueError(f"a parameter of the query looks like a stand-in: {param!r}")
            else:
                params.append(param)
        written = [name for name, value in stand_ins.items() if str(value).lstrip("-") in sql]
        if written:
            raise ValueError(f"the query writes {sorted(written)} into its SQL")
        used = {p.name for p in params if isinstance(p, _Slot)}
        missing = {*self._names, *self._texts} - used - self._may_ignore
        if missing:
            raise ValueError(f"the query does not use {sorted(missing)} as parameters")
        return queryset, sql, params
