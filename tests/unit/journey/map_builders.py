"""Compiled maps built directly from the model, for engine and dry-run tests.

A small version of the default map: the stages of the domain brief and one trigger of each
kind, each with the touchpoint the brief names.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time
from typing import Any

from journey.domain.facts import MemberEvent
from journey.domain.maps.cel import compile_condition
from journey.domain.maps.model import (
    FACT_KINDS,
    CompiledMap,
    Condition,
    Fact,
    Goal,
    OnDate,
    OnEvent,
    OnInactivity,
    OnStageEntered,
    Stage,
    TouchpointSpec,
    Trigger,
    Wait,
)

BRAND = "brd_1"
ZONE = "Asia/Shanghai"


def when(source: str, path: str = "test") -> Condition:
    return compile_condition(source, path)


def facts(*names: str, **parameters: dict[str, str]) -> dict[str, Fact]:
    declared = {name: Fact(FACT_KINDS[name], {}) for name in names}
    for name, given in parameters.items():
        declared[name] = Fact(FACT_KINDS[name], given)
    return declared


def to_member(template: str, category: str = "marketing", **options: Any) -> TouchpointSpec:
    return TouchpointSpec(to="member", template=template, category=category, **options)  # type: ignore[arg-type]


def task(template: str, to: str = "associate", **options: Any) -> TouchpointSpec:
    return TouchpointSpec(to=to, template=template, category="service", **options)  # type: ignore[arg-type]


STAGES = (
    Stage(
        "churn_risk",
        "Churn risk",
        50,
        when(
            "facts.low_ratings_in_a_row >= 2 || facts.cancellations > 3",
            "stages[0].entry.when",
        ),
    ),
    Stage(
        "dormant", "Dormant", 40, when("facts.days_since_last_visit >= 30", "stages[1].entry.when")
    ),
    Stage(
        "won_back",
        "Won back",
        30,
        when(
            "stage == 'dormant' && event != null && event.type == 'visit.completed'",
            "stages[2].entry.when",
        ),
    ),
    Stage(
        "high_value", "High value", 25, when("facts.total_spent >= 5000.0", "stages[3].entry.when")
    ),
    Stage("potential", "Potential", 20, when("facts.visit_count >= 2", "stages[4].entry.when")),
    Stage("new", "New", 10, None),
)

TRIGGERS = (
    Trigger(
        "first_visit_voucher",
        OnStageEntered("new"),
        touchpoint=to_member("first_visit_voucher"),
        once=True,
    ),
    Trigger(
        "welcome_back",
        OnInactivity(Wait.parse("P30D")),
        stages=("dormant",),
        touchpoint=to_member("welcome_back", variables={"offer": "回归礼券"}),
        goal=Goal("visit.completed", Wait.parse("P30D")),
    ),
    Trigger(
        "churn_alert",
        OnStageEntered("churn_risk"),
        touchpoint=task("churn_risk_alert", to="store_manager", priority="high"),
    ),
    Trigger(
        "care_guide",
        OnEvent("visit.completed"),
        touchpoint=to_member("care_guide", "service", tolerance=Wait.parse("PT24H")),
    ),
    Trigger(
        "deep_cleaning",
        OnEvent("purchase.recorded"),
        when=when("event.items.exists(i, i.category == 'mattress')", "triggers[4].when"),
        wait=Wait.parse("P6M"),
        cancel_on=("appointment.booked",),
        touchpoint=task("deep_cleaning_due", due_in=Wait.parse("P7D"), tolerance=Wait.parse("P3D")),
        goal=Goal(
            "appointment.booked",
            Wait.parse("P14D"),
            when("event.service_code == 'deep-cleaning'", "triggers[4].goal.when"),
        ),
    ),
    Trigger(
        "birthday_task",
        OnDate("birthday", offset=Wait.parse("-P15D"), at=time(9, 0)),
        touchpoint=task("birthday_call", due_in=Wait.parse("P7D")),
    ),
    Trigger(
        "birthday_greeting",
        OnDate("birthday"),
        touchpoint=to_member("birthday_greeting", variables={"offer": "护理券"}),
    ),
    Trigger("anniversary", OnDate("first_visit_at"), touchpoint=to_member("anniversary_gift")),
)


def lifecycle_map(**changes: Any) -> CompiledMap:
    base = CompiledMap(
        brand_id=BRAND,
        key="lifecycle",
        version=1,
        title="Lifecycle",
        timezone=ZONE,
        facts=facts(
            "visit_count",
            "total_spent",
            "days_since_last_visit",
            "low_ratings_in_a_row",
            "cancellations",
            "associate_id",
            "birthday",
            "first_visit_at",
            "tags",
        ),
        stages=STAGES,
        initial_stage="new",
        triggers=TRIGGERS,
    )
    return replace(base, **changes)


def only(journey_map: CompiledMap, *keys: str) -> CompiledMap:
    """The map with only the named triggers."""
    return replace(journey_map, triggers=tuple(t for t in journey_map.triggers if t.key in keys))


class Events:
    """Member events with ids stable across replays."""

    def __init__(self, member_id: str = "mbr_1") -> None:
        self.member_id = member_id
        self.count = 0

    def make(self, kind: str, at: datetime, **data: Any) -> MemberEvent:
        self.count += 1
        event_id = f"evt_{self.member_id}_{kind}_{at:%Y%m%d%H%M}_{self.count}"
        return MemberEvent(event_id, self.member_id, BRAND, kind, at, data)

    def registered(
        self, at: datetime, birthday: str | None = "1990-05-17", **data: Any
    ) -> MemberEvent:
        return self.make(
            "member.registered",
            at,
            store_id="sto_1",
            surname="梁",
            gender="female",
            preferred_channel="wechat",
            birthday=birthday,
            registered_at=at.isoformat(),
            **data,
        )

    def bound(self, at: datetime, associate_id: str = "stf_1") -> MemberEvent:
        return self.make("member.bound", at, associate_id=associate_id, store_id="sto_1")

    def visit(self, at: datetime, amount: str = "268.00") -> MemberEvent:
        return self.make(
            "visit.completed",
            at,
            visit_id=f"vst_{self.count}",
            store_id="sto_1",
            service_code="gel-manicure",
            amount=amount,
        )

    def mattress(self, at: datetime) -> MemberEvent:
        return self.make(
            "purchase.recorded",
            at,
            purchase_id=f"pur_{self.count}",
            store_id="sto_1",
            amount="3999.00",
            items=[{"product_code": "MAT-1", "category": "mattress"}],
        )

    def booked(self, at: datetime, service_code: str = "deep-cleaning") -> MemberEvent:
        return self.make(
            "appointment.booked",
            at,
            appointment_id=f"apt_{self.count}",
            store_id="sto_1",
            service_code=service_code,
            scheduled_at=at.isoformat(),
            booked_by=self.member_id,
        )

    def review(self, at: datetime, satisfaction: int) -> MemberEvent:
        return self.make(
            "review.submitted", at, review_id=f"rev_{self.count}", satisfaction=satisfaction
        )


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)
