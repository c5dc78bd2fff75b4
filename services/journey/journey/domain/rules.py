"""The lifecycle rules: what a member's facts and due timers make happen (pure, no I/O).

A rule looks at one fact (a registration, a visit, one of its own timers coming due), may
move the journey to another stage, and answers with a :class:`Reaction`: timers to arm and
touchpoints to request. A new playbook entry is a new :class:`Rule` with its own timer kinds
added to the :class:`Rulebook`; nothing else changes. For example, a care guide 24 hours
after each service is a rule whose ``on_visit`` arms a ``care_guide`` timer in the visit's
slot and whose ``on_timer`` asks for the ``care_guide_24h`` touchpoint.

Rules run in the rulebook's order on the same journey, each seeing the stage the previous
ones left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar, Final

from journey.domain.journey import MemberJourney, Visit
from journey.domain.timers import Timer, TimerRequest
from journey.domain.touchpoints import Touchpoint, to_member

DORMANCY_AFTER: Final = timedelta(days=30)
POTENTIAL_AFTER_VISITS: Final = 2
DORMANCY_TIMER: Final = "dormancy"
WELCOME_BACK: Final = "welcome_back"
WELCOME_BACK_OFFER: Final = "回归礼券"


@dataclass(frozen=True)
class Reaction:
    timers: tuple[TimerRequest, ...] = ()
    touchpoints: tuple[Touchpoint, ...] = ()

    def __add__(self, other: Reaction) -> Reaction:
        return Reaction(self.timers + other.timers, self.touchpoints + other.touchpoints)


NOTHING: Final = Reaction()


class Rule:
    """Base of every rule: reacts to nothing until a subclass says otherwise."""

    name: ClassVar[str]
    timer_kinds: ClassVar[frozenset[str]] = frozenset()
    """The kinds of timer this rule arms, and is called back for when they are due."""

    def on_registered(self, journey: MemberJourney, at: datetime) -> Reaction:
        return NOTHING

    def on_visit(self, journey: MemberJourney, visit: Visit) -> Reaction:
        return NOTHING

    def on_timer(self, journey: MemberJourney, timer: Timer, now: datetime) -> Reaction:
        return NOTHING


class StartsAsNew(Rule):
    """A member enters the map as "new", by registering or by a first visit seen earlier."""

    name = "starts_as_new"

    def on_registered(self, journey: MemberJourney, at: datetime) -> Reaction:
        if journey.stage is None:
            journey.move_to("new", "registered", at)
        return NOTHING

    def on_visit(self, journey: MemberJourney, visit: Visit) -> Reaction:
        if journey.stage is None:
            journey.move_to("new", "first visit", visit.at)
        return NOTHING


@dataclass(frozen=True)
class BecomesPotential(Rule):
    """A new member who comes back is worth growing."""

    name = "becomes_potential"
    after_visits: int = POTENTIAL_AFTER_VISITS

    def on_visit(self, journey: MemberJourney, visit: Visit) -> Reaction:
        if journey.stage == "new" and journey.visit_count >= self.after_visits:
            journey.move_to("potential", _visit_number(self.after_visits), visit.at)
        return NOTHING


class WinsBack(Rule):
    """A dormant member who visits again has been won back."""

    name = "wins_back"

    def on_visit(self, journey: MemberJourney, visit: Visit) -> Reaction:
        # A late record of a visit from before she went quiet does not bring her back.
        if journey.stage == "dormant" and journey.is_latest(visit):
            journey.move_to("won_back", "visit after dormancy", visit.at)
        return NOTHING


@dataclass(frozen=True)
class Dormancy(Rule):
    """No visit for ``after`` makes her dormant, and she is invited back with a voucher."""

    name = "dormancy"
    timer_kinds = frozenset({DORMANCY_TIMER})
    after: timedelta = DORMANCY_AFTER

    def on_visit(self, journey: MemberJourney, visit: Visit) -> Reaction:
        if not journey.is_latest(visit):
            return NOTHING
        return Reaction(timers=(self._timer_from(visit.at),))

    def on_timer(self, journey: MemberJourney, timer: Timer, now: datetime) -> Reaction:
        last_visit = journey.last_visit_at
        if last_visit is None or last_visit > timer.armed_for:
            return NOTHING  # she came back after it was armed; her visit armed a newer timer
        if now < last_visit + self.after:
            # Armed under a shorter period than today's: wait for the full period.
            return Reaction(timers=(self._timer_from(last_visit),))
        if not journey.move_to("dormant", f"no visit for {_duration(self.after)}", now):
            return NOTHING
        welcome_back = to_member(
            journey,
            rule=self.name,
            occasion=timer.timer_id,
            template=WELCOME_BACK,
            marketing=True,
            variables={"offer": WELCOME_BACK_OFFER},
        )
        return Reaction(touchpoints=(welcome_back,))

    def _timer_from(self, visit_at: datetime) -> TimerRequest:
        return TimerRequest(kind=DORMANCY_TIMER, due_at=visit_at + self.after, armed_for=visit_at)


class Rulebook:
    """The rules a service applies, in order; each timer kind belongs to exactly one rule."""

    def __init__(self, *rules: Rule) -> None:
        owners: dict[str, Rule] = {}
        for rule in rules:
            for kind in rule.timer_kinds:
                if kind in owners:
                    raise ValueError(
                        f"timer kind {kind!r} is claimed by both {owners[kind].name!r} "
                        f"and {rule.name!r}"
                    )
                owners[kind] = rule
        self.rules = rules
        self._owners = owners

    @property
    def timer_kinds(self) -> frozenset[str]:
        return frozenset(self._owners)

    def on_registered(self, journey: MemberJourney, at: datetime) -> Reaction:
        return sum((rule.on_registered(journey, at) for rule in self.rules), NOTHING)

    def on_visit(self, journey: MemberJourney, visit: Visit) -> Reaction:
        return sum((rule.on_visit(journey, visit) for rule in self.rules), NOTHING)

    def on_timer(self, journey: MemberJourney, timer: Timer, now: datetime) -> Reaction:
        owner = self._owners.get(timer.kind)
        return owner.on_timer(journey, timer, now) if owner is not None else NOTHING


def standard_rulebook(
    *,
    dormant_after: timedelta = DORMANCY_AFTER,
    potential_after_visits: int = POTENTIAL_AFTER_VISITS,
) -> Rulebook:
    return Rulebook(
        StartsAsNew(),
        WinsBack(),
        BecomesPotential(after_visits=potential_after_visits),
        Dormancy(after=dormant_after),
    )


_ORDINALS: Final = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}


def _visit_number(number: int) -> str:
    return f"{_ORDINALS[number]} visit" if number in _ORDINALS else f"visit number {number}"


def _duration(period: timedelta) -> str:
    if period.seconds == 0 and period.microseconds == 0:
        return f"{period.days} days" if period.days != 1 else "1 day"
    return str(period)
