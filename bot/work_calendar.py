"""Working days on the Chinese calendar: public holidays and 调休 (weekend days worked in
exchange) from the maintained `chinese-calendar` package, which the State Council's yearly
notice updates; the settings' hand-kept HOLIDAYS / MAKEUP_WORKDAYS are used only for a year
the installed package does not cover yet (it raises NotImplementedError for those).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import chinese_calendar


class WorkCalendar:
    def __init__(self, holidays: Iterable[dt.date] = (), makeup_workdays: Iterable[dt.date] = ()) -> None:
        self._holidays = frozenset(holidays)
        self._makeup = frozenset(makeup_workdays)

    @classmethod
    def from_iso(cls, holidays: Iterable[str], makeup_workdays: Iterable[str]) -> WorkCalendar:
        """From the settings' ISO date lists (HOLIDAYS, MAKEUP_WORKDAYS)."""
        try:
            return cls(
                (dt.date.fromisoformat(d) for d in holidays),
                (dt.date.fromisoformat(d) for d in makeup_workdays),
            )
        except ValueError as exc:
            raise ValueError(f"HOLIDAYS / MAKEUP_WORKDAYS 中有不正确的日期：{exc}") from exc

    def covered_by_library(self, day: dt.date) -> bool:
        try:
            chinese_calendar.is_workday(day)
        except NotImplementedError:
            return False
        return True

    def is_public_holiday(self, day: dt.date) -> bool:
        """A day off by law or by the yearly notice (not an ordinary weekend): listed in the
        settings (a local addition), or a named holiday the package does not make a workday."""
        if day in self._holidays:
            return True
        try:
            off, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            return False
        return bool(off) and name is not None

    def is_makeup_workday(self, day: dt.date) -> bool:
        """A weekend day worked in exchange for a holiday (调休): listed in the settings, or a
        weekend workday in the package."""
        if day in self._makeup:
            return True
        try:
            return day.weekday() >= 5 and bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            return False

    def is_workday(self, day: dt.date) -> bool:
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            if day in self._holidays:
                return False
            return day in self._makeup or day.weekday() < 5

    def add_working_days(self, start: dt.date, count: int) -> dt.date:
        """The `count`-th working day after `start` (the day itself not counted): from
        Wednesday 2026-09-30, 5 working days end on Tuesday 2026-10-13 (国庆 1–7 skipped, the
        调休 Saturday 10-10 counted)."""
        day, counted = start, 0
        while counted < count:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        return day
