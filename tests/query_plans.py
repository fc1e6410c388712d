"""The plans the database chose for a report's statements: how a test pins the index a query
reads, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event


@contextmanager
def query_plans(engine: Engine, chosen: Callable[[str], bool]) -> Iterator[list[str]]:
    """Collects, while the block runs, the plan of each statement `chosen` picks, one string a
    plan. On PostgreSQL sequential scans are turned off for them: the planner's view of a big
    table, where the test's few rows would make it read the whole table."""
    plans: list[str] = []

    def explain(
        conn: object, cursor: Any, statement: str, params: object, context: object, many: bool
    ) -> None:
        if chosen(statement) and not statement.startswith("EXPLAIN"):
            prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
            if engine.dialect.name == "postgresql":
                cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(prefix + statement, params)
            plans.append(" ".join(str(row) for row in cursor.fetchall()))

    event.listen(engine, "before_cursor_execute", explain)
    try:
        yield plans
    finally:
        event.remove(engine, "before_cursor_execute", explain)
