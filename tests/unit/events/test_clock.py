from datetime import UTC, datetime, timedelta

import pytest
from rapport_events.clock import AdjustableClock, ManualClock

START = datetime(2026, 1, 1, tzinfo=UTC)


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(START)
    assert clock.now() == START
    clock.advance(timedelta(days=30))
    assert clock.now() == START + timedelta(days=30)


def test_manual_clock_refuses_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2026, 1, 1))


def test_adjustable_clock_adds_its_offset_to_the_base() -> None:
    clock = AdjustableClock(ManualClock(START))
    clock.advance(timedelta(days=30))
    assert clock.now() == START + timedelta(days=30)
