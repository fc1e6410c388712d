"""Office hours: open periods, lunch break, weekends, holidays and 调休 working days."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.office_hours import OfficeHours, OfficeHoursError, format_opening

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOURS = OfficeHours.parse(
    "mon-fri 09:00-12:00,13:30-17:30", ["2026-10-01", "2026-10-02"], ["2026-10-10"], "Asia/Shanghai"
)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2026-11-30 10:00", None),  # Monday morning
        ("2026-11-30 12:30", "2026-11-30 13:30"),  # lunch break
        ("2026-11-30 18:00", "2026-12-01 09:00"),  # evening
        ("2026-11-28 11:00", "2026-11-30 09:00"),  # Saturday
        # 国庆 1–7 from the maintained calendar (the settings list only 1 and 2)
        ("2026-09-30 18:00", "2026-10-08 09:00"),
        ("2026-10-10 10:00", None),  # Saturday made a working day
    ],
)
def test_next_opening(now: str, expected: str | None) -> None:
    opening = HOURS.next_opening(at(now))
    assert (opening.strftime("%Y-%m-%d %H:%M") if opening else None) == expected


def test_a_local_holiday_from_the_settings_closes_a_national_working_day() -> None:
    local = OfficeHours.parse("mon-fri 09:00-17:00", ["2026-11-30"], [], "Asia/Shanghai")
    opening = local.next_opening(at("2026-11-30 10:00"))
    assert opening is not None and opening.strftime("%Y-%m-%d %H:%M") == "2026-12-01 09:00"


def test_a_year_the_package_does_not_cover_uses_the_settings_lists() -> None:
    later = OfficeHours.parse("mon-fri 09:00-17:00", ["2031-01-01"], ["2031-01-04"], "Asia/Shanghai")
    assert later.next_opening(at("2031-01-01 10:00")) == at("2031-01-02 09:00")
    assert later.next_opening(at("2031-01-04 10:00")) is None  # a Saturday worked (调休)


def test_utc_input_is_read_in_local_time() -> None:
    assert HOURS.next_opening(dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)) is None  # 10:00 in Shanghai


def test_description_and_opening_read_naturally() -> None:
    assert HOURS.describe() == "周一至周五 9:00-12:00、13:30-17:30（法定节假日除外）"
    assert format_opening(at("2026-11-30 09:00")) == "11月30日（周一）9:00"


@pytest.mark.parametrize("spec", ["weekdays 9-5", "mon-fri 09:00-08:00", "mon-xyz 09:00-12:00"])
def test_bad_schedules_are_refused_with_a_chinese_message(spec: str) -> None:
    with pytest.raises(OfficeHoursError, match="OFFICE_HOURS"):
        OfficeHours.parse(spec, [], [], "Asia/Shanghai")
