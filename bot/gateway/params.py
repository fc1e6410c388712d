"""Integers callers may send in a path or query string.

Every id and cursor ends up in a 64-bit signed database column; a number beyond that would
reach the driver and come back as an OverflowError (a 500). Bounded here, once, an oversized
or negative number is the caller's mistake: 422 with the usual Chinese error body.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import HTTPException
from pydantic import Field, TypeAdapter

MAX_ROW_ID = 2**63 - 1

RowId = Annotated[int, Field(ge=0, le=MAX_ROW_ID)]
"""A database id or an «after this id» cursor: 0 ≤ n ≤ 2**63-1."""

_ROW_ID: TypeAdapter[int] = TypeAdapter(RowId)


def parse_row_id(text: str) -> int:
    """A `RowId` from text outside FastAPI's parameter parsing (a WebSocket's query string);
    raises pydantic's ValidationError, which `bot.gateway.errors` explains in Chinese."""
    return _ROW_ID.validate_python(text)


def parse_statuses(text: str, known: Iterable[str], what: str) -> list[str]:
    """A comma-separated `?status=` list; an unknown name is a 422 naming it («未知的工单状态：x»)."""
    allowed = frozenset(known)
    statuses = [s for s in text.split(",") if s]
    unknown = [s for s in statuses if s not in allowed]
    if unknown:
        raise HTTPException(status_code=422, detail=f"未知的{what}：{'、'.join(unknown)}")
    return statuses
