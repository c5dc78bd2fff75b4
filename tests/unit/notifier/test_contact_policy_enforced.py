"""The brand's contact policy decides every touchpoint the consumer hands over, and held
messages are released by the worker's handler when the brand's quiet hours end.

Times: ``NIGHT`` is 22:30 in Shanghai (inside the default quiet hours), ``MORNING`` 08:00 the
next day, when they end.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from notifier.adapters.memory import in_memory_database
from notifier.application.commands import ReleaseHeldMessages, SaveContactPolicy
from rapport_events.clock import ManualClock
from rapport_events.contracts.journey import TouchpointRequested
from rapport_events.contracts.notifier import (
    MessageCapped,
    MessageDelivered,
    MessageDeliveryFailed,
    MessageHeld,
)
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.registry import registry
from rapport_platform.auth import Role

from tests.support.http import principal
from tests.unit.notifier.builders import (
    CORRELATION_ID,
    MEMBER,
    STAFF,
    TRACE_ID,
    WELCOME_BACK_TEXT,
    deliver,
    handlers_on,
    recorded,
    touchpoint_requested,
)

NIGHT = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
MORNING = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
AFTERNOON = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
QUIET_REASON = "quiet hours 21:00-08:00 (Asia/Shanghai)"
CAP_REASON = "weekly marketing cap reached (2 per 7 days)"


def task(**changes: Any) -> dict[str, Any]:
    return {
        "template": "churn_risk_alert",
        "channel": "task",
        "audience": "store_manager",
        "recipient_id": STAFF,
        "marketing": False,
        "variables": {},
        **changes,
    }


class Harness:
    def __init__(self, at: datetime = NIGHT) -> None:
        self.clock = ManualClock(at)
        self.database = in_memory_database()
        self.handlers = handlers_on(self.database, self.clock)
        self.count = 0

    def request(self, **changes: Any) -> TouchpointRequested:
        self.count += 1
        return touchpoint_requested(self.count, at=self.clock.now(), **changes)

    async def deliver(
        self, event: TouchpointRequested
    ) -> tuple[EventEnvelope, list[EventEnvelope]]:
        return await deliver(self.database, self.clock, event, brand_id=event.brand_id)

    async def outcome(self, event: TouchpointRequested) -> DomainEvent:
        _, emitted = await self.deliver(event)
        [result] = emitted
        return registry.decode(result)

    async def release(self) -> list[DomainEvent]:
        """One round of the release worker at the clock's time: what it published."""
        before = len(self.database.published())
        await self.handlers.release_held_messages(ReleaseHeldMessages(now=self.clock.now()))
        return [registry.decode(envelope) for envelope in self.database.published()[before:]]

    async def save_policy(self, **changes: Any) -> None:
        fields: dict[str, Any] = {
            "marketing_limit": 2,
            "marketing_window_days": 7,
            "quiet_hours_enabled": True,
            "quiet_start": "21:00",
            "quiet_end": "08:00",
            "time_zone": "Asia/Shanghai",
            **changes,
        }
        await self.handlers.save_contact_policy(principal(Role.HQ), SaveContactPolicy(**fields))


@pytest.fixture
def harness() -> Harness:
    return Harness()


async def test_a_member_message_at_night_is_held_recorded_and_reported(harness: Harness) -> None:
    request = harness.request()

    cause, emitted = await harness.deliver(request)

    [result] = emitted
    held = registry.decode(result)
    assert held == MessageHeld(
        delivery_id=held.delivery_id,  # type: ignore[attr-defined]
        touchpoint_id=request.touchpoint_id,
        member_id=MEMBER,
        brand_id=request.brand_id,
        channel="sms",
        template="welcome_back",
        reason=QUIET_REASON,
        held_until=MORNING,
        held_at=NIGHT,
    )
    assert result.causationid == cause.id and result.correlationid == CORRELATION_ID
    [row] = recorded(harness.database)
    assert (row.status, row.reason, row.held_until) == ("held", QUIET_REASON, MORNING)
    assert row.text == WELCOME_BACK_TEXT
    assert harness.database.published(MessageDelivered) == []


async def test_a_held_message_is_sent_when_the_quiet_hours_end(harness: Harness) -> None:
    held = await harness.outcome(harness.request())
    assert isinstance(held, MessageHeld)

    harness.clock.set(MORNING - timedelta(seconds=1))
    assert await harness.release() == []

    harness.clock.set(MORNING)
    [delivered] = await harness.release()

    assert isinstance(delivered, MessageDelivered)
    assert delivered.delivery_id == held.delivery_id
    assert delivered.touchpoint_id == held.touchpoint_id
    assert delivered.delivered_at == MORNING
    [row] = recorded(harness.database)
    assert (row.status, row.reason, row.held_until) == ("delivered", None, None)
    assert (row.created_at, row.text) == (MORNING, WELCOME_BACK_TEXT)
    assert (row.trace_id, row.correlation_id) == (TRACE_ID, CORRELATION_ID)


async def test_a_released_message_is_sent_once(harness: Harness) -> None:
    await harness.deliver(harness.request())
    harness.clock.set(MORNING)

    first = await harness.release()
    harness.clock.advance(timedelta(hours=1))
    again = await harness.release()

    assert [type(event) for event in first] == [MessageDelivered]
    assert again == []


async def test_a_released_message_goes_on_in_its_trace_and_flow(harness: Harness) -> None:
    await harness.deliver(harness.request())
    harness.clock.set(MORNING)

    await harness.release()

    [published] = harness.database.published(MessageDelivered)
    assert published.correlationid == CORRELATION_ID
    assert published.time == MORNING


async def test_the_cap_is_checked_again_when_a_held_message_is_released(harness: Harness) -> None:
    harness.clock.set(NIGHT - timedelta(hours=8))  # 14:30 in Shanghai
    await harness.deliver(harness.request())
    harness.clock.set(NIGHT)
    held = []
    for _ in range(2):
        held.append(await harness.outcome(harness.request()))
        harness.clock.advance(timedelta(minutes=1))
    assert [type(event) for event in held] == [MessageHeld, MessageHeld]

    harness.clock.set(MORNING)
    released = await harness.release()

    assert [type(event) for event in released] == [MessageDelivered, MessageCapped]
    capped = released[1]
    assert isinstance(capped, MessageCapped)
    assert capped.reason == CAP_REASON and capped.capped_at == MORNING
    assert capped.delivery_id == held[1].delivery_id  # type: ignore[attr-defined]
    assert [row.status for row in recorded(harness.database)] == [
        "delivered",
        "delivered",
        "capped",
    ]


async def test_a_marketing_message_already_over_the_cap_is_capped_not_held(
    harness: Harness,
) -> None:
    harness.clock.set(AFTERNOON)
    for _ in range(2):
        await harness.deliver(harness.request())
    harness.clock.set(NIGHT)

    capped = await harness.outcome(harness.request())

    assert isinstance(capped, MessageCapped)
    assert capped.reason == CAP_REASON
    assert recorded(harness.database)[-1].status == "capped"


async def test_a_held_message_does_not_count_against_the_cap_until_sent(harness: Harness) -> None:
    await harness.deliver(harness.request())  # held at night
    harness.clock.set(MORNING + timedelta(hours=1))  # unreleased yet: the worker was slow

    outcomes = [await harness.outcome(harness.request()) for _ in range(2)]

    assert [type(event) for event in outcomes] == [MessageDelivered, MessageDelivered]
    [capped] = await harness.release()
    assert isinstance(capped, MessageCapped)


async def test_service_messages_are_held_at_night_but_never_capped(harness: Harness) -> None:
    harness.clock.set(AFTERNOON)
    for _ in range(2):
        await harness.deliver(harness.request())
    harness.clock.set(NIGHT)

    held = await harness.outcome(harness.request(template="care_guide_24h", marketing=False))
    harness.clock.set(MORNING)
    [released] = await harness.release()

    assert isinstance(held, MessageHeld)
    assert isinstance(released, MessageDelivered)


async def test_tasks_for_staff_are_neither_held_nor_capped(harness: Harness) -> None:
    outcomes = [await harness.outcome(harness.request(**task(marketing=True))) for _ in range(3)]

    assert [type(event) for event in outcomes] == [MessageDelivered] * 3
    assert {row.channel for row in recorded(harness.database)} == {"task"}


async def test_a_task_template_asked_for_on_sms_is_not_held(harness: Harness) -> None:
    outcome = await harness.outcome(harness.request(**task(channel="sms")))

    assert isinstance(outcome, MessageDelivered) and outcome.channel == "task"


async def test_a_message_that_cannot_be_made_fails_at_once_even_at_night(
    harness: Harness,
) -> None:
    failed = await harness.outcome(harness.request(variables={}))

    assert isinstance(failed, MessageDeliveryFailed)
    assert recorded(harness.database)[0].status == "failed"


async def test_a_touchpoint_arriving_again_while_held_is_not_held_twice(
    harness: Harness,
) -> None:
    request = harness.request()
    await harness.deliver(request)

    _, emitted = await harness.deliver(request)
    harness.clock.set(MORNING)
    released = await harness.release()

    assert emitted == []
    assert [type(event) for event in released] == [MessageDelivered]


async def test_a_release_that_falls_in_the_next_night_holds_it_until_that_morning(
    harness: Harness,
) -> None:
    first = await harness.outcome(harness.request())
    harness.clock.set(NIGHT + timedelta(days=1))  # the notifier was down all day

    [again] = await harness.release()

    assert isinstance(again, MessageHeld)
    assert again.delivery_id == first.delivery_id  # type: ignore[attr-defined]
    assert (again.held_at, again.held_until) == (
        NIGHT + timedelta(days=1),
        MORNING + timedelta(days=1),
    )
    harness.clock.set(MORNING + timedelta(days=1))
    assert [type(event) for event in await harness.release()] == [MessageDelivered]


async def test_a_brand_that_switched_quiet_hours_off_is_sent_to_at_night(harness: Harness) -> None:
    await harness.save_policy(quiet_hours_enabled=False)

    assert isinstance(await harness.outcome(harness.request()), MessageDelivered)


async def test_quiet_hours_follow_the_brands_time_zone(harness: Harness) -> None:
    # 22:30 in Shanghai is 15:30 in London: not quiet there.
    await harness.save_policy(time_zone="Europe/London")

    assert isinstance(await harness.outcome(harness.request()), MessageDelivered)


async def test_the_brands_own_cap_decides(harness: Harness) -> None:
    await harness.save_policy(marketing_limit=3, marketing_window_days=30)
    harness.clock.set(AFTERNOON)

    outcomes = []
    for _ in range(4):
        outcomes.append(await harness.outcome(harness.request()))
        harness.clock.advance(timedelta(days=8))

    assert [type(event) for event in outcomes] == [MessageDelivered] * 3 + [MessageCapped]
    assert outcomes[3].reason == "marketing cap reached (3 per 30 days)"  # type: ignore[attr-defined]


async def test_a_policy_changed_while_held_applies_at_release(harness: Harness) -> None:
    await harness.deliver(harness.request())
    await harness.save_policy(marketing_limit=0)
    harness.clock.set(MORNING)

    [capped] = await harness.release()

    assert isinstance(capped, MessageCapped)
    assert capped.reason == "weekly marketing cap reached (0 per 7 days)"


async def test_each_brand_is_under_its_own_policy() -> None:
    harness = Harness()
    await harness.save_policy(quiet_hours_enabled=False)
    other = "brd_2"

    mine = await harness.outcome(harness.request())
    theirs = await harness.outcome(harness.request(brand_id=other))

    assert isinstance(mine, MessageDelivered)
    assert isinstance(theirs, MessageHeld)
