"""The contact policy's rules: marketing cap windows and quiet hours in the brand's zone."""

from datetime import UTC, datetime, time, timedelta

import pytest
from notifier.domain.contact_policy import (
    DEFAULT_CONTACT_POLICY,
    MarketingCap,
    QuietHours,
    clock_time,
)
from notifier.domain.errors import InvalidContactPolicy, MarketingCapReached

SHANGHAI_DEFAULT = QuietHours()


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_the_default_policy_is_two_pushes_a_week_and_quiet_nights_in_shanghai() -> None:
    assert DEFAULT_CONTACT_POLICY.marketing_cap == MarketingCap(2, timedelta(days=7))
    assert DEFAULT_CONTACT_POLICY.quiet_hours == QuietHours(
        start=time(21), end=time(8), time_zone="Asia/Shanghai", enabled=True
    )


def test_a_brand_cap_counts_its_own_limit_in_its_own_window() -> None:
    cap = MarketingCap.of_days(3, 14)
    now = utc(2026, 3, 20, 9)
    sent = [now - timedelta(days=13), now - timedelta(days=5), now - timedelta(days=1)]

    with pytest.raises(MarketingCapReached) as refused:
        cap.check(sent, now)
    assert refused.value.reason == "marketing cap reached (3 per 14 days)"

    cap.check(sent, now + timedelta(days=1))  # the first push left the window


def test_a_one_day_window_says_so() -> None:
    with pytest.raises(MarketingCapReached, match=r"^marketing cap reached \(1 per 1 day\)$"):
        MarketingCap.of_days(1, 1).check([utc(2026, 3, 2, 8)], utc(2026, 3, 2, 9))


def test_a_limit_of_zero_sends_no_marketing_at_all() -> None:
    with pytest.raises(MarketingCapReached):
        MarketingCap.of_days(0, 7).check([], utc(2026, 3, 2, 9))


@pytest.mark.parametrize(
    ("limit", "days", "field"),
    [
        (-1, 7, "marketing_cap.limit"),
        (101, 7, "marketing_cap.limit"),
        (2, 0, "marketing_cap.window_days"),
        (2, 366, "marketing_cap.window_days"),
    ],
)
def test_a_cap_out_of_bounds_is_refused_naming_its_field(limit: int, days: int, field: str) -> None:
    with pytest.raises(InvalidContactPolicy) as refused:
        MarketingCap.of_days(limit, days)

    assert refused.value.field == field


@pytest.mark.parametrize(
    ("instant", "quiet"),
    [
        (utc(2026, 3, 2, 12, 59), False),  # 20:59 in Shanghai
        (utc(2026, 3, 2, 13, 0), True),  # 21:00
        (utc(2026, 3, 2, 15, 59), True),  # 23:59
        (utc(2026, 3, 2, 16, 0), True),  # 00:00 the next day
        (utc(2026, 3, 2, 23, 59), True),  # 07:59
        (utc(2026, 3, 3, 0, 0), False),  # 08:00
        (utc(2026, 3, 3, 4, 0), False),  # noon
    ],
)
def test_quiet_hours_run_across_midnight_in_the_brands_zone(instant: datetime, quiet: bool) -> None:
    assert SHANGHAI_DEFAULT.is_quiet(instant) is quiet


def test_a_message_in_the_evening_is_held_until_eight_the_next_morning() -> None:
    evening = utc(2026, 3, 2, 14, 30)  # 22:30 on 2 March in Shanghai

    assert SHANGHAI_DEFAULT.held_until(evening) == utc(2026, 3, 3, 0, 0)  # 08:00 on 3 March


def test_a_message_after_midnight_is_held_until_eight_the_same_morning() -> None:
    small_hours = utc(2026, 3, 2, 18, 0)  # 02:00 on 3 March in Shanghai

    assert SHANGHAI_DEFAULT.held_until(small_hours) == utc(2026, 3, 3, 0, 0)


def test_the_day_of_the_brand_decides_not_the_utc_day() -> None:
    # 23:30 UTC on 2 March is already 07:30 on 3 March in Shanghai: held half an hour.
    assert SHANGHAI_DEFAULT.held_until(utc(2026, 3, 2, 23, 30)) == utc(2026, 3, 3, 0, 0)


def test_outside_quiet_hours_nothing_is_held() -> None:
    assert SHANGHAI_DEFAULT.held_until(utc(2026, 3, 2, 9)) is None


def test_a_window_within_one_day_holds_until_its_end() -> None:
    siesta = QuietHours(start=time(12), end=time(14, 30), time_zone="Asia/Tokyo")

    assert siesta.held_until(utc(2026, 3, 2, 3, 0)) == utc(2026, 3, 2, 5, 30)  # 12:00 JST
    assert siesta.held_until(utc(2026, 3, 2, 5, 30)) is None  # 14:30 JST
    assert siesta.held_until(utc(2026, 3, 2, 2, 59)) is None  # 11:59 JST


def test_switched_off_quiet_hours_hold_nothing() -> None:
    off = QuietHours(enabled=False)

    assert off.held_until(utc(2026, 3, 2, 15)) is None


def test_other_zones_without_daylight_saving_keep_their_own_offset() -> None:
    kolkata = QuietHours(start=time(21), end=time(8), time_zone="Asia/Kolkata")  # UTC+05:30

    assert kolkata.held_until(utc(2026, 7, 1, 16, 0)) == utc(2026, 7, 2, 2, 30)


def test_an_opening_on_a_daylight_saving_night_is_a_real_instant() -> None:
    # New York springs forward on 8 March 2026: 02:00 EST becomes 03:00 EDT.
    new_york = QuietHours(start=time(22), end=time(7), time_zone="America/New_York")

    held_until = new_york.held_until(utc(2026, 3, 8, 4, 0))  # 23:00 EST on the 7th

    assert held_until == utc(2026, 3, 8, 11, 0)  # 07:00 EDT


@pytest.mark.parametrize("name", ["Mars/Olympus", "asia/shanghai", "", "../etc/passwd", "CST"])
def test_an_unknown_time_zone_is_refused_naming_the_field(name: str) -> None:
    with pytest.raises(InvalidContactPolicy) as refused:
        QuietHours(time_zone=name)

    assert refused.value.field == "quiet_hours.time_zone"


@pytest.mark.parametrize(
    "text", ["24:00", "8:00", "08:60", "0800", "08:00:00", "ab:cd", "０８:００"]
)
def test_a_time_not_written_hh_mm_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidContactPolicy) as refused:
        clock_time(text, field="quiet_hours.start")

    assert refused.value.field == "quiet_hours.start"


def test_times_are_read_on_a_24_hour_clock() -> None:
    assert clock_time("00:00", field="f") == time(0)
    assert clock_time("23:59", field="f") == time(23, 59)


def test_a_window_that_starts_where_it_ends_is_refused() -> None:
    with pytest.raises(InvalidContactPolicy) as refused:
        QuietHours(start=time(21), end=time(21))

    assert refused.value.field == "quiet_hours.end"


def test_the_reason_names_the_window_and_the_zone() -> None:
    assert SHANGHAI_DEFAULT.reason == "quiet hours 21:00-08:00 (Asia/Shanghai)"
