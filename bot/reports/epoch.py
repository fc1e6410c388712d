"""Moments as whole microseconds since 1970-01-01 UTC, computed by the database, and their
local wall-clock reading.

Why: the reports measure every ticket of a range (~35,000 for 30 days at scale), and the
driver building four time-zone-aware datetimes per ticket cost more than the arithmetic
done with them. Integers are exact (both databases keep microseconds), cheap to fetch and to
subtract, and both backends can produce them: PostgreSQL from EXTRACT(EPOCH …) (a numeric,
exact), SQLite from the text SQLAlchemy stores ('YYYY-MM-DD HH:MM:SS.ffffff', read as UTC,
like `as_utc`). A difference of two such integers divided by 1,000,000 is the same float as
`timedelta.total_seconds()` of the two datetimes.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from sqlalchemy import BigInteger, ColumnElement, Integer, cast, extract, func
from sqlalchemy.orm import QueryableAttribute

SECOND = 1_000_000
HOUR = 3600 * SECOND
DAY = 24 * HOUR
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
SWITCHES = -(2**62)  # not an offset: the zone's offset changes within that hour
IntArray = npt.NDArray[np.int64]
# unixepoch() (SQLite 3.38) reads a datetime three times faster than strftime('%s')
UNIXEPOCH = sqlite3.sqlite_version_info >= (3, 38)


Moment = ColumnElement[Any] | QueryableAttribute[Any]  # a datetime column or expression


def epoch_microseconds(column: Moment, dialect: str) -> ColumnElement[int]:
    """The moment in `column` as microseconds since the epoch (NULL stays NULL)."""
    if dialect == "sqlite":
        # whole seconds from 'YYYY-MM-DD HH:MM:SS' alone: SQLite's date functions keep
        # milliseconds and would round …59.999999 up to the next second
        whole = func.substr(column, 1, 19)
        seconds = func.unixepoch(whole) if UNIXEPOCH else cast(func.strftime("%s", whole), Integer)
        return seconds * SECOND + cast(func.substr(column, 21, 6), Integer)  # the digits after the dot
    return cast(extract("epoch", column) * SECOND, BigInteger)


def as_datetime(microseconds: int) -> dt.datetime:
    """The UTC datetime of an epoch microsecond count."""
    return EPOCH + dt.timedelta(microseconds=microseconds)


def wall_microseconds(moment: dt.datetime, zone: ZoneInfo) -> int:
    """The local wall-clock reading of a moment, as microseconds since a local 1970-01-01."""
    local = moment.astimezone(zone).replace(tzinfo=None)
    return (local - EPOCH.replace(tzinfo=None)) // dt.timedelta(microseconds=1)


class WallClock:
    """Epoch microseconds → the zone's wall clock, on the same scale: local midnight is a
    multiple of DAY, so `wall // DAY + EPOCH_ORDINAL` is the local date's ordinal.

    The zone's offset is looked up once per UTC hour and kept; an hour in which the offset
    changes (a daylight-saving switch) is converted moment by moment instead, so the reading
    is exact in every zone."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._offsets: dict[int, int] = {}  # UTC hour → offset in µs, or SWITCHES

    def local_many(self, moments: IntArray) -> IntArray:
        """The wall-clock reading of each moment."""
        hours, inverse = np.unique(moments // HOUR, return_inverse=True)
        offsets = np.array([self._hour_offset(hour) for hour in hours.tolist()], dtype=np.int64)[inverse]
        result = moments + offsets
        for i in np.flatnonzero(offsets == SWITCHES).tolist():
            result[i] = moments[i] + self._offset_at(int(moments[i]))
        return result

    def _hour_offset(self, hour: int) -> int:
        offset = self._offsets.get(hour)
        if offset is None:
            first, last = self._offset_at(hour * HOUR), self._offset_at(hour * HOUR + HOUR - 1)
            offset = self._offsets[hour] = first if first == last else SWITCHES
        return offset

    def _offset_at(self, microseconds: int) -> int:
        offset = as_datetime(microseconds).astimezone(self.zone).utcoffset()
        return 0 if offset is None else offset // dt.timedelta(microseconds=1)
