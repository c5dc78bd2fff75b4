from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from notifier.application.handlers import DeliverTouchpoint, trace_id_of
from notifier.application.ports import StoredTemplate
from notifier.domain.templates import Template
from rapport_events.clock import ManualClock
from rapport_events.consumer import RejectEvent
from rapport_events.contracts.journey import TouchpointRequested
from rapport_events.contracts.notifier import MessageDelivered, MessageDeliveryFailed
from rapport_events.envelope import EventEnvelope
from rapport_events.registry import registry

from tests.unit.notifier.fakes import FakeUnitOfWork, InMemoryNotifier

BRAND = "b-lumi"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
LIANG = {"surname": "梁", "title": "小姐", "offer": "50元护理券"}


class Harness:
    def __init__(self) -> None:
        self.clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        self.notifier = InMemoryNotifier()
        self.handle = DeliverTouchpoint[FakeUnitOfWork](self.notifier.ports)
        self.count = 0

    def request(self, **changes: Any) -> TouchpointRequested:
        self.count += 1
        fields: dict[str, Any] = {
            "touchpoint_id": f"tp-{self.count}",
            "member_id": "m-1",
            "brand_id": BRAND,
            "store_id": "s-1",
            "template": "welcome_back",
            "channel": "sms",
            "recipient_id": "m-1",
            "marketing": True,
            "variables": LIANG,
            "requested_at": self.clock.now(),
        }
        fields.update(changes)
        return TouchpointRequested(**fields)

    async def deliver(
        self, event: TouchpointRequested, *, brand_id: str = BRAND
    ) -> tuple[EventEnvelope, list[EventEnvelope]]:
        """Hand ``event`` to the handler as a fresh record; returns it and what was emitted."""
        envelope = EventEnvelope.wrap(
            event,
            source="/rapport/journey",
            brand_id=brand_id,
            time=self.clock.now(),
            correlation_id="corr-1",
            traceparent=TRACEPARENT,
        )
        uow = FakeUnitOfWork(self.clock)
        await self.handle(event, envelope, uow)
        return envelope, uow.emitted


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
    assert delivered.member_id == "m-1"
    assert delivered.channel == "sms"
    assert delivered.template == "welcome_back"
    assert delivered.delivered_at == harness.clock.now()
    assert delivered.delivery_id.startswith("dlv_") and len(delivered.delivery_id) == 36
    assert result.causationid == cause.id
    assert result.correlationid == "corr-1"
    assert result.brandid == BRAND

    [row] = harness.notifier.deliveries.rows
    assert row.delivery_id == delivered.delivery_id
    assert row.status == "delivered"
    assert row.reason is None
    assert row.text == "梁小姐，好久不见！50元护理券已放入您的账户，期待您再次光临。"
    assert row.trace_id == TRACE_ID
    assert row.correlation_id == "corr-1"
    assert row.touchpoint.recipient_id == "m-1"


async def test_a_touchpoint_requested_again_is_neither_sent_nor_reported_again(
    harness: Harness,
) -> None:
    request = harness.request()
    await harness.deliver(request)

    _, emitted = await harness.deliver(request)

    assert emitted == []
    assert len(harness.notifier.deliveries.rows) == 1


async def test_a_refused_touchpoint_requested_again_is_not_retried(harness: Harness) -> None:
    request = harness.request(variables={})
    await harness.deliver(request)

    _, emitted = await harness.deliver(request.model_copy(update={"variables": LIANG}))

    assert emitted == []
    [row] = harness.notifier.deliveries.rows
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
    [row] = harness.notifier.deliveries.rows
    assert (row.status, row.reason, row.text) == ("failed", failed.reason, None)
    assert row.delivery_id == failed.delivery_id


async def test_a_rendered_text_over_seventy_characters_is_not_sent(harness: Harness) -> None:
    offer = "头皮深层清洁护理体验券" * 4 + "两张"  # 46 characters: the text becomes 71
    request = harness.request(channel="wechat", variables={**LIANG, "offer": offer})

    _, emitted = await harness.deliver(request)

    failed = registry.decode(emitted[0])
    assert isinstance(failed, MessageDeliveryFailed)
    assert failed.reason == "wechat text is 71 characters, more than the 70 allowed"
    assert failed.channel == "wechat"


async def test_the_third_marketing_push_in_a_week_is_not_sent(harness: Harness) -> None:
    outcomes = []
    for _ in range(3):
        _, emitted = await harness.deliver(harness.request())
        outcomes.append(registry.decode(emitted[0]))
        harness.clock.advance(timedelta(days=2))

    assert [type(outcome) for outcome in outcomes] == [
        MessageDelivered,
        MessageDelivered,
        MessageDeliveryFailed,
    ]
    refused = outcomes[2]
    assert isinstance(refused, MessageDeliveryFailed)
    assert refused.reason == "weekly marketing cap reached (2 per 7 days)"
    row = harness.notifier.deliveries.rows[2]
    assert row.status == "failed"
    assert row.text is not None and row.text.startswith("梁小姐")


async def test_marketing_is_allowed_again_once_the_first_push_is_seven_days_old(
    harness: Harness,
) -> None:
    start = harness.clock.now()
    await harness.deliver(harness.request())
    harness.clock.advance(timedelta(days=1))
    await harness.deliver(harness.request())

    harness.clock.set(start + timedelta(days=7) - timedelta(minutes=1))
    _, emitted = await harness.deliver(harness.request())
    assert isinstance(registry.decode(emitted[0]), MessageDeliveryFailed)

    harness.clock.set(start + timedelta(days=7))
    _, emitted = await harness.deliver(harness.request())
    assert isinstance(registry.decode(emitted[0]), MessageDelivered)


async def test_the_cap_is_counted_per_member(harness: Harness) -> None:
    for _ in range(2):
        await harness.deliver(harness.request())

    _, emitted = await harness.deliver(harness.request(member_id="m-2", recipient_id="m-2"))

    assert isinstance(registry.decode(emitted[0]), MessageDelivered)


async def test_service_messages_are_neither_capped_nor_counted(harness: Harness) -> None:
    for _ in range(3):
        _, emitted = await harness.deliver(
            harness.request(template="care_guide_24h", marketing=False)
        )
        assert isinstance(registry.decode(emitted[0]), MessageDelivered)

    _, emitted = await harness.deliver(harness.request())

    assert isinstance(registry.decode(emitted[0]), MessageDelivered)


async def test_tasks_are_not_capped(harness: Harness) -> None:
    for _ in range(5):
        _, emitted = await harness.deliver(
            harness.request(
                template="churn_risk_alert",
                channel="task",
                audience="store_manager",
                recipient_id="staff-7",
                marketing=True,
                variables={},
            )
        )
        delivered = registry.decode(emitted[0])
        assert isinstance(delivered, MessageDelivered)
        assert delivered.channel == "task"

    row = harness.notifier.deliveries.rows[-1]
    assert row.text == "会员 m-1 有流失风险，请在24小时内联系回访并记录原因。"
    assert row.touchpoint.recipient_id == "staff-7"


async def test_tasks_have_no_length_limit(harness: Harness) -> None:
    harness.notifier.templates.saved[(BRAND, "long_task")] = StoredTemplate(
        Template(key="long_task", channel="task", body="请联系会员 {member_id}：" + "说明" * 60),
        updated_at=harness.clock.now(),
        updated_by="hq-1",
    )

    _, emitted = await harness.deliver(
        harness.request(template="long_task", channel="task", recipient_id="staff-7")
    )

    assert isinstance(registry.decode(emitted[0]), MessageDelivered)
    assert len(harness.notifier.deliveries.rows[0].text or "") > 70


async def test_a_brand_template_replaces_the_default(harness: Harness) -> None:
    harness.notifier.templates.saved[(BRAND, "welcome_back")] = StoredTemplate(
        Template(key="welcome_back", channel="sms", body="{surname}{title}，我们想您了！"),
        updated_at=harness.clock.now(),
        updated_by="hq-1",
    )

    await harness.deliver(harness.request())
    await harness.deliver(
        harness.request(brand_id="b-other", touchpoint_id="tp-x"), brand_id="b-other"
    )

    texts = [row.text for row in harness.notifier.deliveries.rows]
    assert texts == [
        "梁小姐，我们想您了！",
        "梁小姐，好久不见！50元护理券已放入您的账户，期待您再次光临。",
    ]


async def test_an_unknown_template_fails_the_delivery(harness: Harness) -> None:
    _, emitted = await harness.deliver(harness.request(template="spring_sale"))

    failed = registry.decode(emitted[0])
    assert isinstance(failed, MessageDeliveryFailed)
    assert failed.reason == "no template 'spring_sale' for this brand"


async def test_a_touchpoint_of_another_brand_than_its_envelope_is_rejected(
    harness: Harness,
) -> None:
    with pytest.raises(RejectEvent, match="does not match the envelope's brandid"):
        await harness.deliver(harness.request(), brand_id="b-other")

    assert harness.notifier.deliveries.rows == []


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
