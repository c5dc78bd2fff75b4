"""The journey's reactions to events and its timers, on in-memory stores with a manual clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from journey.adapters.memory import (
    InMemoryJourneyUnitOfWork,
    JourneyTables,
    journey_database,
    tables_of,
)
from journey.application.commands import FireDueTimers
from journey.application.handlers import JourneyHandlers
from journey.domain.journey import MemberJourney, Visit
from journey.domain.rules import Reaction, Rule, Rulebook, standard_rulebook
from journey.domain.timers import Timer, TimerRequest
from journey.domain.touchpoints import to_member
from rapport_events.clock import ManualClock
from rapport_events.contracts.identity import MemberBoundToAssociate, MemberRegistered
from rapport_events.contracts.journey import StageChanged, TouchpointRequested
from rapport_events.contracts.notifier import MessageDelivered, MessageDeliveryFailed
from rapport_events.contracts.service_orders import VisitCompleted
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.tracing import trace_id_of

T0 = datetime(2026, 3, 1, 10, tzinfo=UTC)
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
E = TypeVar("E", bound=DomainEvent)


def envelope(event: DomainEvent, correlation_id: str = "corr-visit") -> EventEnvelope:
    return EventEnvelope.wrap(
        event,
        source="/rapport/test",
        brand_id="brd_1",
        time=T0,
        correlation_id=correlation_id,
        traceparent=TRACEPARENT,
    )


class Scenario:
    """One member's life on a manual clock; events are handled the moment they happen, each
    in a unit of work of its own, as the consumer would."""

    def __init__(self, rules: Rulebook | None = None, member_id: str = "mbr_1") -> None:
        self.clock = ManualClock(T0)
        self.database = journey_database()
        self.handlers = JourneyHandlers(self.begin, self.clock, rules=rules or standard_rulebook())
        self.member_id = member_id
        self.visits = 0
        self.last_visit_envelope: EventEnvelope | None = None

    def begin(self) -> InMemoryJourneyUnitOfWork:
        return InMemoryJourneyUnitOfWork(self.database, clock=self.clock)

    @property
    def tables(self) -> JourneyTables:
        """What is committed."""
        return tables_of(self.database)

    async def register(self, gender: str = "female") -> None:
        event = MemberRegistered(
            member_id=self.member_id,
            brand_id="brd_1",
            store_id="sto_1",
            surname="梁",
            gender="female" if gender == "female" else "male",
            preferred_channel="wechat",
            registered_at=self.clock.now(),
        )
        async with self.begin() as uow:
            await self.handlers.on_member_registered(event, envelope(event), uow)

    async def visit(self, at: datetime | None = None, correlation_id: str = "corr-visit") -> None:
        self.visits += 1
        event = VisitCompleted(
            visit_id=f"vst_{self.visits}",
            member_id=self.member_id,
            brand_id="brd_1",
            store_id="sto_1",
            service_code="gel-manicure",
            amount=Decimal("268.00"),
            completed_at=at or self.clock.now(),
        )
        self.last_visit_envelope = envelope(event, correlation_id)
        async with self.begin() as uow:
            await self.handlers.on_visit_completed(event, self.last_visit_envelope, uow)

    async def deliver(self, event: MessageDelivered | MessageDeliveryFailed) -> None:
        async with self.begin() as uow:
            await self.handlers.on_delivery_result(event, envelope(event), uow)

    async def days_pass(self, days: float, limit: int = 100) -> int:
        self.clock.advance(timedelta(days=days))
        return await self.handlers.fire_due_timers(FireDueTimers(self.clock.now(), limit))

    def stages(self) -> list[str]:
        return list(self.tables.stages(self.member_id))

    def envelopes(self, kind: type[DomainEvent]) -> list[EventEnvelope]:
        return self.database.published(kind)

    def events(self, kind: type[E]) -> list[E]:
        return [kind.model_validate(e.data) for e in self.envelopes(kind)]

    def touchpoints(self) -> list[TouchpointRequested]:
        return self.events(TouchpointRequested)

    def active_dormancy(self) -> list[Timer]:
        return [s.timer for s in self.tables.active_timers(self.member_id, "dormancy")]


async def test_the_second_visit_makes_her_potential_and_each_change_is_published() -> None:
    s = Scenario()
    await s.register()
    await s.visit()
    await s.days_pass(3)
    await s.visit()

    assert s.stages() == ["new", "potential"]
    changes = s.events(StageChanged)
    assert [(c.from_stage, c.to_stage) for c in changes] == [(None, "new"), ("new", "potential")]
    caused_by_visit = s.envelopes(StageChanged)[-1]
    assert s.last_visit_envelope is not None
    assert caused_by_visit.causationid == s.last_visit_envelope.id
    assert s.tables.journeys["mbr_1"].visit_count == 2


async def test_thirty_days_without_a_visit_make_her_dormant_with_one_welcome_back() -> None:
    s = Scenario()
    await s.register()
    await s.visit()
    await s.days_pass(3)
    await s.visit()

    assert await s.days_pass(29) == 0
    assert s.stages() == ["new", "potential"]
    assert await s.days_pass(1) == 1
    assert await s.days_pass(30) == 0

    assert s.stages() == ["new", "potential", "dormant"]
    assert s.active_dormancy() == []
    [touchpoint] = s.touchpoints()
    assert touchpoint.template == "welcome_back"
    assert (touchpoint.audience, touchpoint.recipient_id) == ("member", "mbr_1")
    assert touchpoint.channel == "wechat"
    assert touchpoint.marketing is True
    assert touchpoint.variables == {"surname": "梁", "title": "女士", "offer": "回归礼券"}
    assert touchpoint.requested_at == T0 + timedelta(days=33)
    assert s.tables.touchpoints[touchpoint.touchpoint_id].status == "requested"


async def test_a_visit_on_day_29_postpones_dormancy() -> None:
    s = Scenario()
    await s.register()
    await s.visit()
    await s.days_pass(29)
    await s.visit()

    [active] = s.active_dormancy()
    assert active.due_at == T0 + timedelta(days=59)
    assert await s.days_pass(2) == 0
    assert s.stages() == ["new", "potential"]
    assert await s.days_pass(28) == 1
    assert s.stages() == ["new", "potential", "dormant"]
    assert len(s.touchpoints()) == 1


async def test_a_stale_timer_fires_as_a_no_op() -> None:
    s = Scenario()
    await s.register()
    await s.visit()
    await s.days_pass(10)
    await s.visit()
    # As if the second visit's re-arming had been lost: only the first visit's timer remains.
    first, second = s.tables.timers.values()
    first.cancelled_at, second.cancelled_at = None, s.clock.now()

    assert await s.days_pass(21) == 1

    assert s.tables.timers[first.timer.timer_id].fired_at == T0 + timedelta(days=31)
    assert s.stages() == ["new", "potential"]
    assert s.touchpoints() == []


async def test_a_dormant_member_who_visits_is_won_back_and_can_fall_quiet_again() -> None:
    s = Scenario()
    await s.register()
    await s.visit()
    await s.days_pass(31)
    await s.visit()
    await s.days_pass(30)

    assert s.stages() == ["new", "dormant", "won_back", "dormant"]
    first, second = s.touchpoints()
    assert first.touchpoint_id != second.touchpoint_id
    assert [c.reason for c in s.events(StageChanged)][2] == "visit after dormancy"


async def test_visits_before_the_registration_keep_their_stage_and_timer() -> None:
    s = Scenario()
    await s.visit()
    await s.days_pass(1)
    await s.visit()
    await s.days_pass(1)
    await s.register(gender="male")

    assert s.stages() == ["new", "potential"]
    journey = s.tables.journeys["mbr_1"]
    assert (journey.surname, journey.gender, journey.visit_count) == ("梁", "male", 2)
    [active] = s.active_dormancy()
    assert active.due_at == T0 + timedelta(days=31)

    await s.days_pass(29)
    [touchpoint] = s.touchpoints()
    assert touchpoint.variables["title"] == "先生"


async def test_a_binding_before_the_registration_does_not_place_her_on_the_map() -> None:
    s = Scenario()
    bound = MemberBoundToAssociate(
        member_id="mbr_1", brand_id="brd_1", store_id="sto_1", associate_id="stf_1", bound_at=T0
    )
    async with s.begin() as uow:
        await s.handlers.on_member_bound(bound, envelope(bound), uow)
    assert s.tables.journeys["mbr_1"].stage is None

    await s.register()

    journey = s.tables.journeys["mbr_1"]
    assert (journey.associate_id, journey.stage) == ("stf_1", "new")


async def test_the_firing_timer_continues_the_trace_and_correlation_of_the_visit() -> None:
    s = Scenario()
    await s.register()
    await s.visit(correlation_id="corr-of-the-visit")
    [timer] = s.active_dormancy()
    assert s.last_visit_envelope is not None
    assert timer.armed_by_event_id == s.last_visit_envelope.id
    assert (timer.traceparent, timer.correlation_id) == (TRACEPARENT, "corr-of-the-visit")

    await s.days_pass(30)

    fired = s.envelopes(TouchpointRequested) + s.envelopes(StageChanged)[-1:]
    assert len(fired) == 2
    for env in fired:
        assert trace_id_of(env.traceparent) == TRACE_ID
        assert env.correlationid == "corr-of-the-visit"
        assert env.causationid is None


async def test_the_worker_takes_at_most_a_batch_and_the_rest_on_the_next_round() -> None:
    s = Scenario()
    for member in ("mbr_1", "mbr_2", "mbr_3"):
        s.member_id = member
        await s.register()
        await s.visit()

    assert await s.days_pass(30, limit=2) == 2
    assert await s.days_pass(0, limit=2) == 1
    assert await s.days_pass(0, limit=2) == 0
    assert len(s.touchpoints()) == 3


async def test_timers_of_a_kind_no_rule_owns_are_left_for_a_version_that_knows_it() -> None:
    s = Scenario()
    await s.register()
    anniversary = Timer(
        timer_id="tmr_future",
        member_id="mbr_1",
        brand_id="brd_1",
        kind="anniversary",
        due_at=T0,
        armed_for=T0,
    )
    async with s.begin() as uow:
        await uow.timers.arm(anniversary, T0)

    assert await s.days_pass(1) == 0
    assert next(iter(s.tables.timers.values())).fired_at is None


async def test_delivery_outcomes_are_noted_on_the_touchpoint_log() -> None:
    s = Scenario()
    await s.register()
    await s.visit()
    await s.days_pass(30)
    [touchpoint] = s.touchpoints()
    common = {
        "delivery_id": "dlv_1",
        "touchpoint_id": touchpoint.touchpoint_id,
        "member_id": "mbr_1",
        "brand_id": "brd_1",
        "channel": "wechat",
        "template": "welcome_back",
    }
    failed = MessageDeliveryFailed(**common, reason="no wechat id", failed_at=s.clock.now())
    delivered = MessageDelivered(**common, delivered_at=s.clock.now() + timedelta(minutes=5))
    unknown = MessageDelivered(**{**common, "touchpoint_id": "tpt_other"}, delivered_at=T0)

    await s.deliver(failed)
    assert s.tables.touchpoints[touchpoint.touchpoint_id].reason == "no wechat id"
    await s.deliver(delivered)
    await s.deliver(failed)  # a late failure does not undo a delivery
    await s.deliver(unknown)

    record = s.tables.touchpoints[touchpoint.touchpoint_id]
    assert (record.status, record.reason) == ("delivered", None)
    assert record.resolved_at == s.clock.now() + timedelta(minutes=5)
    assert list(s.tables.touchpoints) == [touchpoint.touchpoint_id]


@dataclass(frozen=True)
class CareGuide(Rule):
    """A rule the service does not have yet: a care guide 24 hours after every service."""

    name = "care_guide"
    timer_kinds = frozenset({"care_guide"})
    after: timedelta = timedelta(hours=24)

    def on_visit(self, journey: MemberJourney, visit: Visit) -> Reaction:
        timer = TimerRequest(
            kind="care_guide",
            due_at=visit.at + self.after,
            armed_for=visit.at,
            slot=visit.visit_id,
            payload={"service_code": visit.service_code},
        )
        return Reaction(timers=(timer,))

    def on_timer(self, journey: MemberJourney, timer: Timer, now: datetime) -> Reaction:
        guide = to_member(
            journey,
            rule=self.name,
            occasion=timer.timer_id,
            template="care_guide_24h",
            marketing=False,
            variables=dict(timer.payload),
        )
        return Reaction(touchpoints=(guide,))


async def test_a_new_rule_plugs_in_with_its_own_timer_kind() -> None:
    s = Scenario(rules=Rulebook(*standard_rulebook().rules, CareGuide()))
    await s.register()
    await s.visit()
    await s.days_pass(0.25)
    await s.visit()  # another service the same day: its own guide, the first one stays

    assert len(s.tables.active_timers("mbr_1", "care_guide", "vst_1")) == 1
    assert await s.days_pass(0.75) == 1
    assert await s.days_pass(0.25) == 1

    guides = [t for t in s.touchpoints() if t.template == "care_guide_24h"]
    assert len(guides) == 2
    assert guides[0].variables["service_code"] == "gel-manicure"
    assert guides[0].marketing is False
    assert s.stages() == ["new", "potential"]
