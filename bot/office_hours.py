"""When staff are at their desks: a weekly schedule, public holidays and 调休 working days.

`OFFICE_HOURS="mon-fri 09:00-12:00,13:30-17:30"` (several day ranges may be joined with `;`),
public holidays and 调休 from the maintained `chinese-calendar` package (`bot/work_calendar.py`),
plus `HOLIDAYS=[…]` / `MAKEUP_WORKDAYS=[…]` from the settings as local additions (and for a year
the package does not cover yet): a holiday is closed all day; a make-up working day keeps the
hours of a Monday.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

from bot.settings import Settings
from bot.work_calendar import WorkCalendar

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_RULE = re.compile(r"^\s*([a-z]{3})(?:-([a-z]{3}))?\s+([\d:,\-\s]+)$")
_PERIOD = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
SEARCH_DAYS = 40


class OfficeHoursError(ValueError):
    pass


@dataclass(frozen=True)
class OfficeHours:
    # weekday (0 = Monday) → periods as (start minute, end minute) of the day
    weekly: dict[int, tuple[tuple[int, int], ...]]
    holidays: frozenset[dt.date]
    makeup_workdays: frozenset[dt.date]
    zone: ZoneInfo

    @classmethod
    def from_settings(cls, settings: Settings) -> OfficeHours:
        return cls.parse(
            settings.office_hours, settings.holidays, settings.makeup_workdays, settings.timezone
        )

    @classmethod
    def parse(cls, spec: str, holidays: list[str], makeup: list[str], timezone: str) -> OfficeHours:
        weekly: dict[int, tuple[tuple[int, int], ...]] = {}
        for rule in filter(None, (part.strip() for part in spec.lower().split(";"))):
            found = _RULE.match(rule)
            if not found or found.group(1) not in DAY_NAMES or (found.group(2) or "mon") not in DAY_NAMES:
                raise OfficeHoursError(
                    f"OFFICE_HOURS 格式不正确：「{rule}」，应如 mon-fri 09:00-12:00,13:30-17:30"
                )
            first = DAY_NAMES.index(found.group(1))
            last = DAY_NAMES.index(found.group(2)) if found.group(2) else first
            periods = tuple(_period(text) for text in found.group(3).split(","))
            for day in range(first, last + 1):
                weekly[day] = tuple(sorted(weekly.get(day, ()) + periods))
        try:
            return cls(
                weekly,
                frozenset(dt.date.fromisoformat(d) for d in holidays),
                frozenset(dt.date.fromisoformat(d) for d in makeup),
                ZoneInfo(timezone),
            )
        except ValueError as exc:
            raise OfficeHoursError(f"HOLIDAYS / MAKEUP_WORKDAYS 中有不正确的日期：{exc}") from exc

    @cached_property
    def _calendar(self) -> WorkCalendar:
        return WorkCalendar(self.holidays, self.makeup_workdays)

    def periods(self, day: dt.date) -> tuple[tuple[int, int], ...]:
        """The open periods of a local day, as (start minute, end minute)."""
        if self._calendar.is_public_holiday(day):
            return ()
        if self._calendar.is_makeup_workday(day):
            return self.weekly.get(0, ())
        return self.weekly.get(day.weekday(), ())

    def next_opening(self, now: dt.datetime) -> dt.datetime | None:
        """None while open; else the local time staff are next at their desks."""
        local = now.astimezone(self.zone)
        minute = local.hour * 60 + local.minute
        for offset in range(SEARCH_DAYS):
            day = local.date() + dt.timedelta(days=offset)
            for start, end in self.periods(day):
                if offset == 0 and start <= minute < end:
                    return None
                if offset > 0 or minute < start:
                    midnight = dt.datetime.combine(day, dt.time(), tzinfo=self.zone)
                    return midnight + dt.timedelta(minutes=start)
        raise OfficeHoursError(f"未来 {SEARCH_DAYS} 天内没有任何办公时间，请检查 OFFICE_HOURS 和 HOLIDAYS")

    def describe(self) -> str:
        """«周一至周五 9:00-12:00、13:30-17:30» for the citizen."""
        groups: list[tuple[int, int, tuple[tuple[int, int], ...]]] = []
        for day in range(7):
            periods = self.weekly.get(day)
            if not periods:
                continue
            if groups and groups[-1][1] == day - 1 and groups[-1][2] == periods:
                groups[-1] = (groups[-1][0], day, periods)
            else:
                groups.append((day, day, periods))
        parts = []
        for first, last, periods in groups:
            days = (
                WEEKDAY_LABELS[first] if first == last else f"{WEEKDAY_LABELS[first]}至{WEEKDAY_LABELS[last]}"
            )
            parts.append(days + " " + "、".join(f"{_clock(s)}-{_clock(e)}" for s, e in periods))
        return "；".join(parts) + "（法定节假日除外）"


def _period(text: str) -> tuple[int, int]:
    found = _PERIOD.match(text)
    if not found:
        raise OfficeHoursError(f"OFFICE_HOURS 中的时段不正确：「{text.strip()}」，应如 09:00-12:00")
    start = int(found.group(1)) * 60 + int(found.group(2))
    end = int(found.group(3)) * 60 + int(found.group(4))
    if not 0 <= start < end <= 24 * 60:
        raise OfficeHoursError(f"OFFICE_HOURS 中的时段不正确：「{text.strip()}」")
    return start, end


def _clock(minute: int) -> str:
    return f"{minute // 60}:{minute % 60:02d}"


def format_opening(moment: dt.datetime) -> str:
    """«11月30日（周一）9:00»."""
    weekday = WEEKDAY_LABELS[moment.weekday()]
    return f"{moment.month}月{moment.day}日（{weekday}）{moment.hour}:{moment.minute:02d}"
