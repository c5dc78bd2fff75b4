"""One member living on the real default map, told as a story (for the default map's tests).

Time moves only through the story: an event happens at its own time (her timers due before
it fire first, on time), or arrives late at a later platform moment (her timers due before
that moment fire first, as a consumer that is behind would let them); :meth:`Story.until`
moves the clock on by firing her timers due up to then. A 6-month wait is a timer fired by
the in-memory replay, so it takes milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from journey.domain.engine import Decision, Engine, GoalReached, SkippedTouchpoint, StageMove
from journey.domain.facts import MemberEvent
from journey.domain.maps.compiler import compile_map
from journey.domain.maps.defaults import DEFAULT_TEMPLATES, default_map_document
from journey.domain.maps.model import CompiledMap
from journey.domain.simulation import MemberReplay

from tests.unit.journey.map_builders import BRAND, Events


def default_map(**document_changes: Any) -> CompiledMap:
    """The default map exactly as a new brand gets it (optionally with document changes)."""
    document = {**default_map_document(), **document_changes}
    return compile_map(document, brand_id=BRAND, version=1, templates=DEFAULT_TEMPLATES)


LIFECYCLE = default_map()


@dataclass(frozen=True)
class Sent:
    """A touchpoint she (or her staff) would get."""

    trigger: str
    template: str
    to: str
    moment: datetime
    touchpoint_id: str
    occasion: str
    variables: Mapping[str, str]


class StoryEvents(Events):
    """Her events, with the services and purchases the default map reacts to."""

    def visit(
        self, at: datetime, amount: str = "120.00", service_code: str = "facial"
    ) -> MemberEvent:
        return self.make(
            "visit.completed",
            at,
            visit_id=f"vst_{self.count}",
            store_id="sto_1",
            service_code=service_code,
            amount=amount,
            served_by="stf_9",
        )

    def purchase(self, at: datetime, amount: str, *categories: str) -> MemberEvent:
        return self.make(
            "purchase.recorded",
            at,
            purchase_id=f"pur_{self.count}",
            store_id="sto_1",
            amount=amount,
            description="门店购买",
            items=[
                {"product_code": f"SKU-{n}", "category": category}
                for n, category in enumerate(categories)
            ],
        )

    def cancelled(self, at: datetime) -> MemberEvent:
        return self.make(
            "appointment.cancelled",
            at,
            appointment_id=f"apt_{self.count}",
            store_id="sto_1",
            service_code="facial",
            cancelled_by="mbr",
            reason="schedule",
        )


class Story:
    """One member on one map, with everything the engine decided for her, in order."""

    def __init__(self, journey_map: CompiledMap = LIFECYCLE, member_id: str = "mbr_1") -> None:
        self.replay = MemberReplay(Engine(journey_map), member_id, BRAND)
        self.events = StoryEvents(member_id)
        self.decisions: list[Decision] = []

    # ------------------------------------------------------------------ telling

    def happen(self, event: MemberEvent) -> MemberEvent:
        """``event`` happens and is consumed at its own time."""
        self.until(event.at)
        self.decisions += self.replay.handle(event)
        return event

    def arrive_late(self, event: MemberEvent, *, now: datetime) -> MemberEvent:
        """``event`` happened at its time but is consumed only at ``now``: her timers due
        before ``now`` have fired without it; what it arms that is already due fires at once,
        with ``now`` as the platform moment."""
        self.until(now)
        self.decisions += self.replay.handle(event, now=now)
        self.decisions += self.replay.fire_due(now, now=now)
        return event

    def until(self, instant: datetime) -> None:
        """The clock moves on to ``instant``: her timers due by then fire, each on time."""
        self.decisions += self.replay.fire_due(instant)

    def mark(self) -> int:
        """A point in the story; queries with ``since`` see only what came after it."""
        return len(self.decisions)

    # ------------------------------------------------------------------ reading

    @property
    def stage(self) -> str | None:
        position = self.replay.position
        return None if position is None else position.stage

    def sent(self, template: str | None = None, *, since: int = 0) -> list[Sent]:
        return [
            Sent(
                planned.trigger,
                planned.spec.template,
                planned.spec.to,
                planned.moment,
                planned.touchpoint_id,
                planned.occasion,
                planned.variables,
            )
            for decision in self.decisions[since:]
            for planned in decision.touchpoints
            if template is None or planned.spec.template == template
        ]

    def moments(self, template: str, *, since: int = 0) -> list[datetime]:
        return [sent.moment for sent in self.sent(template, since=since)]

    def skipped(self, trigger: str | None = None, *, since: int = 0) -> list[SkippedTouchpoint]:
        return [
            skipped
            for decision in self.decisions[since:]
            for skipped in decision.skipped
            if trigger is None or skipped.trigger == trigger
        ]

    def moves(self, *, since: int = 0) -> list[StageMove]:
        return [move for decision in self.decisions[since:] for move in decision.stage_moves]

    def path(self, *, since: int = 0) -> list[tuple[str | None, str]]:
        """Her stage moves as (from, to)."""
        return [(move.from_stage, move.to_stage) for move in self.moves(since=since)]

    def goals_reached(self, *, since: int = 0) -> list[GoalReached]:
        return [
            reached for decision in self.decisions[since:] for reached in decision.goals_reached
        ]

    def timeline_kinds(self, rule: str, *, since: int = 0) -> list[str]:
        return [
            entry.kind
            for decision in self.decisions[since:]
            for entry in decision.timeline
            if entry.rule == rule
        ]
