from datetime import timedelta
from typing import Any

import pytest
from notifier.adapters.memory import in_memory_database
from notifier.application.commands import SaveTemplate
from notifier.application.handlers import trace_id_of
from rapport_events.clock import ManualClock
from rapport_events.consumer import RejectEvent
from rapport_events.contracts.journey import TouchpointRequested
from rapport_events.contracts.notifier import MessageCapped, MessageDelivered, MessageDeliveryFailed
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.registry import registry
from rapport_platform.auth import Role

from tests.support.http import BRAND, NOW, principal
from tests.unit.notifier.builders import (
    CORRELATION_ID,
    LIANG,
    MEMBER,
    OTHER_MEMBER,
    STAFF,
    TRACE_ID,
    TRACEPARENT,
    WELCOME_BACK_TEXT,
    deliver,
    handlers_on,
    recorded,
    touchpoint_requested,
)

OTHER_BRAND = "brd_2"


class Harness:
    def __init__(self) -> None:
        self.clock = ManualClock(NOW)
        self.database = in_memory_database()
        self.handlers = handlers_on(self.database, self.clock)
        self.count = 0

    def request(self, **changes: Any) -> TouchpointRequested:
        self.count += 1
        return touchpoint_requested(self.count, at=self.clock.now(), **changes)

    async def deliver(
        self, event: TouchpointRequested, *, brand_id: str = BRAND
    ) -> tuple[EventEnvelope, list[EventEnvelope]]:
        return await deliver(self.database, self.clock, event, brand_id=brand_id)

    async def outcome(self, event: TouchpointRequested) -> DomainEvent:
        _, emitted = await self.deliver(event)
        [result] = emitted
        return registry.decode(result)

    async def save_template(self, key: str, channel: Any, body: str) -> None:
        command = SaveTemplate(key=key, channel=channel, body=body)
        await self.handlers.save_template(principal(Role.HQ), command)


@pytest.fixture
def harness() -> Harness:
    return Harness()


async def test_a_touchpoint_is_rendered_sent_and_reported(harness: Harness) -> None:
    request = harness.request()

    cause, emitted = await harness.deliver(request)

    [result] = emitted
    delivered = registry.decode(result)
    assert isinstance(delivered, MessageDelivered)
    assert delivered.touchpoint_id == request.touchpoint_id
    assert delivered.member_id == MEMBER
    assert delivered.channel == "sms"
    assert delivered.template == "welcome_back"
    assert delivered.delivered_at == harness.clock.now()
    assert delivered.delivery_id.startswith("dlv_") and len(delivered.delivery_id) == 36
    assert result.causationid == cause.id
    assert result.correlationid == CORRELATION_ID
    assert result.brandid == BRAND
    assert harness.database.published(MessageDelivered) == [result]

    [row] = recorded(harness.database)
    assert row.delivery_id == delivered.delivery_id
    assert row.status == "delivered"
    assert row.reason is None
    assert row.text == WELCOME_BACK_TEXT
    assert row.trace_id == TRACE_ID
    assert row.correlation_id == CORRELATION_ID
    assert row.touchpoint.recipient_id == MEMBER


async def test_a_touchpoint_requested_again_is_neither_sent_nor_reported_again(
    harness: Harness,
) -> None:
    request = harness.request()
    await harness.deliver(request)

    _, emitted = await harness.deliver(request)

    assert emitted == []
    assert len(recorded(harness.database)) == 1


async def test_a_refused_touchpoint_requested_again_is_not_retried(harness: Harness) -> None:
    request = harness.request(variables={})
    await harness.deliver(request)

    _, emitted = await harness.deliver(request.model_copy(update={"variables": LIANG}))

    assert emitted == []
    [row] = recorded(harness.database)
    assert row.status == "failed"


async def test_a_missing_variable_fails_the_delivery_with_the_reason(harness: Harness) -> None:
    request = harness.request(variables={"title": "小姐", "offer": "50元护理券"})

    cause, emitted = await harness.deliver(request)

    [result] = emitted
    failed = registry.decode(result)
    assert isinstance(failed, MessageDeliveryFailed)
    assert failed.reason == "template welcome_back needs variable 'surname'"
    assert failed.touchpoint_id == request.touchpoint_id
    assert failed.failed_at == harness.clock.now()
    assert result.causationid == cause.id
    [row] = recorded(harness.database)
    assert (row.status, row.reason, row.text) == ("failed", failed.reason, None)
    assert row.delivery_id == failed.delivery_id


async def test_a_rendered_text_over_seventy_characters_is_not_sent(harness: Harness) -> None:
    offer = "头皮深层清洁护理体验券" * 4 + "两张"  # 46 characters: the text becomes 71
    request = harness.request(channel="wechat", variables={**LIANG, "offer": offer})

    failed = await harness.outcome(request)

    assert isinstance(failed, MessageDeliveryFailed)
    assert failed.reason == "wechat text is 71 characters, more than the 70 allowed"
    assert failed.channel == "wechat"


async def test_the_third_marketing_push_in_a_week_is_not_sent(harness: Harness) -> None:
    outcomes = []
    for _ in range(3):
        outcomes.append(await harness.outcome(harness.request()))
        harness.clock.advance(timedelta(days=2))

    assert [type(outcome) for outcome in outcomes] == [
        MessageDelivered,
        MessageDelivered,
        MessageCapped,
    ]
    refused = outcomes[2]
    assert isinstance(refused, MessageCapped)
    assert refused.reason == "weekly marketing cap reached (2 per 7 days)"
    assert refused.capped_at == harness.clock.now() - timedelta(days=2)
    assert refused.template == "welcome_back" and refused.channel == "sms"
    row = recorded(harness.database)[2]
    assert (row.status, row.reason) == ("capped", refused.reason)
    assert row.delivery_id == refused.delivery_id
    assert row.text is not None and row.text.startswith("梁小姐")


async def test_marketing_is_allowed_again_once_the_first_push_is_seven_days_old(
    harness: Harness,
) -> None:
    start = harness.clock.now()
    await harness.deliver(harness.request())
    harness.clock.advance(timedelta(days=1))
    await harness.deliver(harness.request())

    harness.clock.set(start + timedelta(days=7) - timedelta(minutes=1))
    assert isinstance(await harness.outcome(harness.request()), MessageCapped)

    harness.clock.set(start + timedelta(days=7))
    assert isinstance(await harness.outcome(harness.request()), MessageDelivered)


async def test_the_cap_is_counted_per_member(harness: Harness) -> None:
    for _ in range(2):
        await harness.deliver(harness.request())

    outcome = await harness.outcome(
        harness.request(member_id=OTHER_MEMBER, recipient_id=OTHER_MEMBER)
    )

    assert isinstance(outcome, MessageDelivered)


async def test_service_messages_are_neither_capped_nor_counted(harness: Harness) -> None:
    for _ in range(3):
        outcome = await harness.outcome(harness.request(template="care_guide_24h", marketing=False))
        assert isinstance(outcome, MessageDelivered)

    assert isinstance(await harness.outcome(harness.request()), MessageDelivered)


async def test_tasks_are_neither_capped_nor_counted(harness: Harness) -> None:
    for _ in range(5):
        delivered = await harness.outcome(
            harness.request(
                template="churn_risk_alert",
                channel="task",
                audience="store_manager",
                recipient_id=STAFF,
                marketing=True,
                variables={},
            )
        )
        assert isinstance(delivered, MessageDelivered)
        assert delivered.channel == "task"

    row = recorded(harness.database)[-1]
    assert row.text == f"会员 {MEMBER} 有流失风险，请在24小时内联系回访并记录原因。"
    assert row.touchpoint.recipient_id == STAFF
    # Tasks address staff: the member may still receive her marketing pushes.
    assert isinstance(await harness.outcome(harness.request()), MessageDelivered)


async def test_tasks_have_no_length_limit(harness: Harness) -> None:
    await harness.save_template("long_task", "task", "请联系会员 {member_id}：" + "说明" * 60)

    outcome = await harness.outcome(
        harness.request(template="long_task", channel="task", recipient_id=STAFF)
    )

    assert isinstance(outcome, MessageDelivered)
    assert len(recorded(harness.database)[0].text or "") > 70


async def test_a_brand_template_replaces_the_default(harness: Harness) -> None:
    await harness.save_template("welcome_back", "sms", "{surname}{title}，我们想您了！")

    await harness.deliver(harness.request())
    await harness.deliver(harness.request(brand_id=OTHER_BRAND), brand_id=OTHER_BRAND)

    texts = [row.text for row in recorded(harness.database)]
    assert texts == ["梁小姐，我们想您了！", WELCOME_BACK_TEXT]


async def test_an_unknown_template_fails_the_delivery(harness: Harness) -> None:
    failed = await harness.outcome(harness.request(template="spring_sale"))

    assert isinstance(failed, MessageDeliveryFailed)
    assert failed.reason == "no template 'spring_sale' for this brand"


async def test_a_touchpoint_of_another_brand_than_its_envelope_is_rejected(
    harness: Harness,
) -> None:
    with pytest.raises(RejectEvent, match="differs from the data's brand_id"):
        await harness.deliver(harness.request(), brand_id=OTHER_BRAND)

    assert recorded(harness.database) == []


@pytest.mark.parametrize(
    ("traceparent", "expected"),
    [
        (TRACEPARENT, TRACE_ID),
        (None, None),
        ("garbage", None),
        ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", None),
    ],
)
def test_the_trace_id_is_the_second_part_of_the_traceparent(
    traceparent: str | None, expected: str | None
) -> None:
    assert trace_id_of(traceparent) == expected
