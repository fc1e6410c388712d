"""Office seconds between two moments, on the Chinese working-day calendar.

The staff report asks this once per ticket (a 30-day range at scale is ~35,000 tickets), so
the answer is a difference of two lookups instead of a walk over the days in between:
office(a, b) = before(b) - before(a), where before(t) is the office time from a fixed day up
to t. That is the office time of the whole days before t's day (a cumulative table by day,
built once and extended as later or earlier days are asked for) plus the part of t's own day.

Times are read on the local wall clock, like the day-by-day walk this replaces (Python
compares and subtracts two datetimes of one zone by their wall clock), and counted in whole
microseconds, so the figures are exact (the walk added float seconds period by period, which
could differ from the exact sum in the last bit).
"""

from __future__ import annotations

import datetime as dt
import threading
from itertools import accumulate

import numpy as np

from bot.office_hours import OfficeHours
from bot.reports.epoch import DAY, EPOCH_ORDINAL, SECOND, IntArray, wall_microseconds

MINUTE = 60_000_000  # µs
MARGIN_DAYS = 366  # a table extended for one day covers a year beyond it
Periods = tuple[tuple[int, int], ...]  # (opens, closes) in microseconds after local midnight


class OfficeClock:
    """Office seconds between two moments: the office hours of each day, which know public
    holidays and 调休 (`OfficeHours.periods`: a 调休 weekend working day keeps a Monday's hours)."""

    def __init__(self, hours: OfficeHours) -> None:
        self._hours = hours
        self.zone = hours.zone
        self._days: dict[int, Periods] = {}  # by date ordinal
        # (first ordinal, office µs from the anchor day, the first day asked about, to the
        # start of day first + i; negative before the anchor). A value once there never
        # changes, and the pair is replaced whole, so the app's report threads read it
        # without a lock and two lookups always share one anchor.
        self._table: tuple[int, tuple[int, ...]] = (0, ())
        self._extending = threading.Lock()

    def seconds_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Office seconds in [start, end]; 0 when end is not after start."""
        zone = self.zone
        return self.office_microseconds(wall_microseconds(start, zone), wall_microseconds(end, zone)) / SECOND

    def office_microseconds(self, first: int, last: int) -> int:
        """Office µs between two wall-clock readings of `zone` (see epoch.WallClock); 0 when
        the second is not after the first."""
        if last <= first:
            return 0
        return self._before(last) - self._before(first)

    def office_microseconds_many(self, first: IntArray, last: IntArray) -> IntArray:
        """`office_microseconds` for two arrays of wall-clock readings, pair by pair."""
        office: IntArray = np.where(last > first, self._before_many(last) - self._before_many(first), 0)
        return office

    def _before_many(self, wall: IntArray) -> IntArray:
        days, into_day = np.divmod(wall, DAY)
        ordinals, inverse = np.unique(days + EPOCH_ORDINAL, return_inverse=True)
        listed = ordinals.tolist()
        whole = np.array([self._whole_days_before(ordinal) for ordinal in listed], dtype=np.int64)
        # each day's periods side by side, padded with empty ones: [day, period] → opens, closes
        periods = [self._periods(ordinal) for ordinal in listed]
        bounds = np.zeros((len(listed), max(map(len, periods), default=0), 2), dtype=np.int64)
        for row, found in enumerate(periods):
            if found:
                bounds[row, : len(found)] = found
        opens, closes = bounds[inverse, :, 0], bounds[inverse, :, 1]
        today: IntArray = np.clip(into_day[:, np.newaxis] - opens, 0, closes - opens).sum(axis=1)
        return whole[inverse] + today

    def _before(self, wall: int) -> int:
        """Office µs from the anchor day to this wall-clock reading."""
        day, into_day = divmod(wall, DAY)
        ordinal = day + EPOCH_ORDINAL
        total = self._whole_days_before(ordinal)
        for opens, closes in self._periods(ordinal):
            if into_day > opens:
                total += min(into_day, closes) - opens
        return total

    def _whole_days_before(self, ordinal: int) -> int:
        first, cumulative = self._table
        if not first <= ordinal < first + len(cumulative):
            first, cumulative = self._extend(ordinal)
        return cumulative[ordinal - first]

    def _extend(self, ordinal: int) -> tuple[int, tuple[int, ...]]:
        """Cover `ordinal`, with MARGIN_DAYS more on the side that was missing it."""
        with self._extending:
            first, cumulative = self._table
            if not cumulative:
                first, cumulative = ordinal, (0,)
            if ordinal < first:  # counted backwards from the first day: the values kept stay valid
                totals = [self._day_total(day) for day in range(first - 1, ordinal - MARGIN_DAYS - 1, -1)]
                earlier = tuple(accumulate(totals, lambda value, total: value - total, initial=cumulative[0]))
                cumulative = earlier[:0:-1] + cumulative
                first = ordinal - MARGIN_DAYS
            end = first + len(cumulative)  # the first day not covered
            if ordinal >= end:
                later = accumulate(
                    (self._day_total(day) for day in range(end - 1, ordinal + MARGIN_DAYS)),
                    initial=cumulative[-1],
                )
                cumulative = cumulative + tuple(later)[1:]
            self._table = (first, cumulative)
            return self._table

    def _day_total(self, ordinal: int) -> int:
        return sum(closes - opens for opens, closes in self._periods(ordinal))

    def _periods(self, ordinal: int) -> Periods:
        found = self._days.get(ordinal)
        if found is None:
            minutes = self._hours.periods(dt.date.fromordinal(ordinal))
            found = tuple((opens * MINUTE, closes * MINUTE) for opens, closes in minutes)
            self._days[ordinal] = found
        return found
