"""Hot-path statements: SQLAlchemy Core compiled once, run straight on the driver's cursor.

A dialogue step runs four to eight small statements. Going through SQLAlchemy's
execution context costs about 30 µs a statement on top of the 3–10 µs the database
needs (measured in ``bench/dialogue.py``); for the statements every step runs, that
overhead dominates. Here SQLAlchemy still writes the SQL for the dialect and converts
values with its own type processors; only the per-call bookkeeping is skipped. The
statements run on the connection of the open SQLAlchemy transaction, so they share
its BEGIN and COMMIT.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

Processor = Callable[[Any], Any] | None


class Prepared:
    """One statement compiled for one dialect."""

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        self.sql = str(compiled)
        self.positional = compiled.positiontup is not None
        self.names: list[str] = list(compiled.positiontup or compiled.binds)
        binds = compiled.binds
        self.bind_processors: dict[str, Processor] = {
            name: binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in self.names
        }
        # Literal values written into the statement (``.values(version=0)``) are binds too.
        self.defaults: dict[str, Any] = {
            name: binds[name].effective_value for name in self.names if not binds[name].required
        }
        columns = getattr(statement, "selected_columns", None)
        if columns is None:
            returning = getattr(statement, "_returning", ())
            columns = list(returning)
        self.result_processors: list[Processor] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ]
        self._needs_result_processing = any(self.result_processors)

    def _params(self, params: Mapping[str, Any]) -> Any:
        values = []
        for name in self.names:
            value = params[name] if name in params else self.defaults[name]
            processor = self.bind_processors[name]
            values.append(processor(value) if processor is not None and value is not None else value)
        return tuple(values) if self.positional else dict(zip(self.names, values, strict=True))

    def _row(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        if not self._needs_result_processing:
            return row
        return tuple(
            proc(value) if proc is not None and value is not None else value
            for proc, value in zip(self.result_processors, row, strict=True)
        )

    def execute(self, cursor: Any, params: Mapping[str, Any]) -> Any:
        cursor.execute(self.sql, self._params(params))
        return cursor

    def all(self, cursor: Any, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        return [self._row(tuple(row)) for row in self.execute(cursor, params).fetchall()]

    def first(self, cursor: Any, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        row = self.execute(cursor, params).fetchone()
        return self._row(tuple(row)) if row is not None else None

    def rowcount(self, cursor: Any, params: Mapping[str, Any]) -> int:
        return int(self.execute(cursor, params).rowcount)

    def executemany(self, cursor: Any, params: Sequence[Mapping[str, Any]]) -> None:
        cursor.executemany(self.sql, [self._params(p) for p in params])


class PreparedSet:
    """The hot statements of the store, compiled lazily for one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._cache: dict[int, Prepared] = {}

    def __call__(self, statement: ClauseElement) -> Prepared:
        key = id(statement)
        prepared = self._cache.get(key)
        if prepared is None:
            prepared = self._cache[key] = Prepared(statement, self.dialect)
        return prepared
