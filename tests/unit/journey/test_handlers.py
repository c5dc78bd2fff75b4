"""The journey's reactions and its timer, on an in-memory store with a manual clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from journey.application import handlers
from journey.domain.journey import LifecycleRules
from rapport_events.clock import ManualClock
from rapport_events.contracts.identity import MemberBoundToAssociate, MemberRegistered
from rapport_events.contracts.journey import StageChanged, TouchpointRequested
from rapport_events.contracts.notifier import MessageDelivered
from rapport_events.contracts.service_orders import VisitCompleted
from rapport_events.envelope import DomainEvent, EventEnvelope

from tests.unit.journey.fakes import InMemoryJourneyStore, RecordingEmitter

RULES = LifecycleRules()
T0 = datetime(2026, 3, 1, 10, tzinfo=UTC)
TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def envelope(event: DomainEvent) -> EventEnvelope:
    return EventEnvelope.wrap(
        event, source="/test", brand_id="brd_1", time=T0, traceparent=TRACE, correlation_id="c-1"
    )


def registration() -> MemberRegistered:
    return MemberRegistered(
        member_id="mbr_1",
        brand_id="brd_1",
        store_id="sto_1",
        surname="梁",
        gender="female",
        preferred_channel="wechat",
        registered_at=T0,
    )


def visit(number: int, at: datetime) -> VisitCompleted:
    return VisitCompleted(
        visit_id=f"vst_{number}",
        member_id="mbr_1",
        brand_id="brd_1",
        store_id="sto_1",
        service_code="gel-manicure",
        amount=Decimal("268.00"),
        completed_at=at,
    )


class Scenario:
    def __init__(self) -> None:
        self.clock = ManualClock(T0)
        self.store = InMemoryJourneyStore()
        self.emitter = RecordingEmitter(self.clock)

    async def register(self) -> None:
        event = registration()
        await handlers.member_registered(event, envelope(event), self.store, self.emitter)

    async def visit(self, number: int) -> None:
        event = visit(number, self.clock.now())
        await handlers.visit_completed(event, envelope(event), self.store, self.emitter, RULES)

    async def days_pass(self, days: float) -> int:
        self.clock.advance(timedelta(days=days))
        return await handlers.fire_due_timers(self.store, self.emitter, self.clock.now(), RULES)

    def touchpoints(self) -> list[TouchpointRequested]:
        return [e for e in self.emitter.events if isinstance(e, TouchpointRequested)]


async def test_two_visits_then_thirty_quiet_days_make_her_dormant_with_one_welcome_back() -> None:
    s = Scenario()
    await s.register()
    await s.visit(1)
    await s.days_pass(3)
    await s.visit(2)

    assert await s.days_pass(29) == 0
    assert s.store.stages("mbr_1") == ["new", "potential"]
    assert await s.days_pass(1) == 1
    assert await s.days_pass(30) == 0

    assert s.store.stages("mbr_1") == ["new", "potential", "dormant"]
    [touchpoint] = s.touchpoints()
    assert touchpoint.template == "welcome_back"
    assert touchpoint.channel == "wechat"
    assert touchpoint.marketing is True
    assert touchpoint.variables == {"surname": "梁", "title": "女士", "offer": "回归礼券"}
    assert s.store.touchpoints[touchpoint.touchpoint_id].status == "requested"
    changes = [e for e in s.emitter.events if isinstance(e, StageChanged)]
    assert [c.to_stage for c in changes] == ["new", "potential", "dormant"]


async def test_a_visit_on_day_29_postpones_dormancy() -> None:
    s = Scenario()
    await s.register()
    await s.visit(1)
    await s.days_pass(29)
    await s.visit(2)

    assert await s.days_pass(2) == 0
    assert len(s.store.active("mbr_1", "dormancy")) == 1
    assert s.store.stages("mbr_1") == ["new", "potential"]
    assert await s.days_pass(28) == 1
    assert s.store.stages("mbr_1")[-1] == "dormant"


async def test_a_timer_whose_visit_was_overtaken_does_nothing() -> None:
    s = Scenario()
    await s.register()
    await s.visit(1)
    await s.days_pass(10)
    await s.visit(2)
    # Leave only the first visit's timer active, as if re-arming had not cancelled it.
    first, second = s.store.timers
    first.cancelled, second.cancelled = False, True

    assert await s.days_pass(21) == 1
    assert first.fired_at is not None
    assert s.store.stages("mbr_1") == ["new", "potential"]
    assert s.touchpoints() == []


async def test_a_dormant_member_who_visits_is_won_back() -> None:
    s = Scenario()
    await s.register()
    await s.visit(1)
    await s.days_pass(31)
    await s.visit(2)

    assert s.store.stages("mbr_1") == ["new", "dormant", "won_back"]


async def test_the_timer_carries_the_trace_and_correlation_of_the_visit() -> None:
    s = Scenario()
    await s.register()
    await s.visit(1)

    [active] = s.store.active("mbr_1", "dormancy")
    assert active.timer.traceparent == TRACE
    assert active.timer.correlation_id == "c-1"
    assert active.timer.due_at == T0 + timedelta(days=30)


async def test_binding_and_delivery_results_are_recorded() -> None:
    s = Scenario()
    await s.register()
    bound = MemberBoundToAssociate(
        member_id="mbr_1", brand_id="brd_1", store_id="sto_1", associate_id="stf_1", bound_at=T0
    )
    await handlers.member_bound(bound, envelope(bound), s.store, s.emitter)
    await s.visit(1)
    await s.days_pass(30)
    [touchpoint] = s.touchpoints()

    delivered = MessageDelivered(
        delivery_id="dlv_1",
        touchpoint_id=touchpoint.touchpoint_id,
        member_id="mbr_1",
        brand_id="brd_1",
        channel="wechat",
        template="welcome_back",
        delivered_at=s.clock.now(),
    )
    await handlers.delivery_result(delivered, s.store)

    assert s.store.journeys["mbr_1"].associate_id == "stf_1"
    assert s.store.touchpoints[touchpoint.touchpoint_id].status == "delivered"
