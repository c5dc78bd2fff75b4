"""The journey map as the engine runs it: a brand's declared stages, triggers and goals (pure).

A map document (YAML or JSON, see ``docs/journey-maps.md``) is validated and compiled by
:func:`journey.domain.maps.compiler.compile_map` into a :class:`CompiledMap`, once per map
version; the engine (:mod:`journey.domain.engine`) only ever sees compiled maps. Every
condition in a compiled map is a CEL program compiled once (:class:`Condition`).

Waits are ISO 8601 durations (``P6M``, ``P30D``, ``PT24H``): a month is a calendar month, so
"six months after 31 August" is 28 February (or the 29th), never a 180-day approximation.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Final, Literal

# ----------------------------------------------------------------------------- durations

DURATION_PATTERN: Final = (
    r"^-?P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
    r"(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$"
)
_DURATION: Final = re.compile(DURATION_PATTERN)


@dataclass(frozen=True)
class Wait:
    """A calendar-aware span: months move the calendar, the rest is exact time."""

    months: int = 0
    """Calendar months (a year is 12)."""
    span: timedelta = timedelta(0)
    """Weeks, days, hours, minutes and seconds."""
    negative: bool = False
    text: str = "PT0S"
    """As written in the map, for explanations."""

    @classmethod
    def parse(cls, text: str) -> Wait:
        """``P6M``, ``P1Y``, ``P30D``, ``PT24H``, ``-P15D``; ValueError if not ISO 8601."""
        match = _DURATION.match(text)
        if match is None:
            raise ValueError(f"{text!r} is not an ISO 8601 duration such as P30D, P6M or PT24H")
        years, months, weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
        return cls(
            months=years * 12 + months,
            span=timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds),
            negative=text.startswith("-"),
            text=text,
        )

    def after(self, instant: datetime) -> datetime:
        """``instant`` moved by this wait (backwards when negative)."""
        sign = -1 if self.negative else 1
        return add_months(instant, sign * self.months) + sign * self.span

    def before(self, instant: datetime) -> datetime:
        """``instant`` moved back by this wait."""
        sign = 1 if self.negative else -1
        return add_months(instant, sign * self.months) + sign * self.span

    @property
    def is_zero(self) -> bool:
        return self.months == 0 and self.span == timedelta(0)


ZERO_WAIT: Final = Wait()


def add_months(instant: datetime, months: int) -> datetime:
    """The same day and time ``months`` later, on the month's last day when it is shorter."""
    if months == 0:
        return instant
    index = instant.year * 12 + (instant.month - 1) + months
    year, month = divmod(index, 12)
    day = min(instant.day, calendar.monthrange(year, month + 1)[1])
    return instant.replace(year=year, month=month + 1, day=day)


# ----------------------------------------------------------------------------- catalogues

ValueType = Literal["int", "double", "string", "bool", "timestamp", "list", "map"]


@dataclass(frozen=True)
class FactKind:
    """A member fact a map may declare, derived by journey from her events."""

    name: str
    type: ValueType
    description: str
    parameters: Mapping[str, str] = field(default_factory=dict)
    """Parameter name to its default (ISO duration or integer, as text)."""
    changes_with_time: bool = False
    """True when the fact changes with nothing happening (days since her last visit): a stage
    conditioned on it is only reached where a timer re-evaluates the member."""


FACT_KINDS: Final[Mapping[str, FactKind]] = {
    kind.name: kind
    for kind in (
        FactKind("visit_count", "int", "completed paid visits"),
        FactKind("total_spent", "double", "yuan spent on visits and purchases, all time"),
        FactKind(
            "recent_spend",
            "double",
            "yuan spent on visits and purchases within the window before now",
            {"window": "P90D"},
            changes_with_time=True,
        ),
        FactKind("spend_per_visit", "double", "yuan per visit (visits only); 0 before one"),
        FactKind(
            "days_since_last_visit",
            "int",
            "whole days since her last visit; since registration when she never visited",
            changes_with_time=True,
        ),
        FactKind("last_visit_at", "timestamp", "her latest visit; null before one"),
        FactKind("first_visit_at", "timestamp", "her first visit; null before one"),
        FactKind("registered_at", "timestamp", "when she registered; null if unknown"),
        FactKind(
            "ratings",
            "list",
            "her latest service satisfaction ratings (0-100), oldest first",
            {"last": "5"},
        ),
        FactKind(
            "low_ratings_in_a_row",
            "int",
            "how many of her latest ratings in a row are below the threshold",
            {"below": "80"},
        ),
        FactKind(
            "cancellations",
            "int",
            "appointments she cancelled within the window before now",
            {"window": "P90D"},
            changes_with_time=True,
        ),
        FactKind(
            "missed_appointments",
            "int",
            "appointments she missed within the window before now",
            {"window": "P90D"},
            changes_with_time=True,
        ),
        FactKind("tier", "string", "her loyalty tier; empty before the first TierChanged"),
        FactKind("tags", "list", "her tags (strings)"),
        FactKind("birthday", "timestamp", "her birthday at midnight UTC; null if unknown"),
        FactKind(
            "products",
            "list",
            "products she bought: maps with code, category and at (timestamp), oldest first",
        ),
        FactKind("referrals", "int", "newcomers she referred"),
        FactKind("store_id", "string", "her home store"),
        FactKind("associate_id", "string", "the associate she is bound to; empty if none"),
        FactKind("gender", "string", "female, male or unspecified"),
        FactKind("preferred_channel", "string", "sms, wechat or app"),
    )
}
"""Every fact a map may declare; a condition naming another is refused."""

DATE_FACTS: Final = frozenset({"birthday", "first_visit_at", "registered_at"})
"""Facts a date trigger may count from."""


@dataclass(frozen=True)
class EventKind:
    """A member event a map may react to, with the fields its conditions may read."""

    name: str
    event_type: str
    """The CloudEvents type of the contract in ``libs/events``."""
    fields: Mapping[str, ValueType]


EVENT_KINDS: Final[Mapping[str, EventKind]] = {
    kind.name: kind
    for kind in (
        EventKind(
            "member.registered",
            "rapport.identity.member.registered",
            {"store_id": "string", "gender": "string", "preferred_channel": "string"},
        ),
        EventKind(
            "member.bound",
            "rapport.identity.member.bound-to-associate",
            {"associate_id": "string", "store_id": "string", "via": "string"},
        ),
        EventKind(
            "referral.made",
            "rapport.identity.referral.made",
            {"newcomer_id": "string", "store_id": "string"},
        ),
        EventKind(
            "visit.completed",
            "rapport.service-orders.visit.completed",
            {
                "visit_id": "string",
                "store_id": "string",
                "service_code": "string",
                "amount": "double",
                "served_by": "string",
            },
        ),
        EventKind(
            "purchase.recorded",
            "rapport.service-orders.purchase.recorded",
            {
                "purchase_id": "string",
                "store_id": "string",
                "amount": "double",
                "description": "string",
                "items": "list",
            },
        ),
        EventKind(
            "appointment.booked",
            "rapport.service-orders.appointment.booked",
            {
                "appointment_id": "string",
                "store_id": "string",
                "service_code": "string",
                "scheduled_at": "timestamp",
                "booked_by": "string",
            },
        ),
        EventKind(
            "appointment.cancelled",
            "rapport.service-orders.appointment.cancelled",
            {
                "appointment_id": "string",
                "store_id": "string",
                "service_code": "string",
                "cancelled_by": "string",
                "reason": "string",
            },
        ),
        EventKind(
            "appointment.missed",
            "rapport.service-orders.appointment.missed",
            {"appointment_id": "string", "store_id": "string", "service_code": "string"},
        ),
        EventKind(
            "review.submitted",
            "rapport.service-orders.review.submitted",
            {
                "review_id": "string",
                "visit_id": "string",
                "store_id": "string",
                "recommendation": "int",
                "satisfaction": "int",
                "comment": "string",
            },
        ),
        EventKind(
            "tier.changed",
            "rapport.loyalty.tier.changed",
            {"from_tier": "string", "to_tier": "string", "reason": "string"},
        ),
        EventKind(
            "message.delivered",
            "rapport.notifier.message.delivered",
            {"touchpoint_id": "string", "channel": "string", "template": "string"},
        ),
        EventKind(
            "message.failed",
            "rapport.notifier.message.delivery-failed",
            {
                "touchpoint_id": "string",
                "channel": "string",
                "template": "string",
                "reason": "string",
            },
        ),
    )
}
"""Every event a map may name; ``event.type`` and ``event.at`` are there for all of them."""

ACTIVITY_EVENTS: Final = ("visit.completed",)
"""What counts as activity for an inactivity trigger unless it names its own."""

# ----------------------------------------------------------------------------- the map

KEY_PATTERN: Final = r"^[a-z][a-z0-9_]{0,63}$"

Audience = Literal["member", "associate", "store_manager"]
Category = Literal["marketing", "service"]
Priority = Literal["low", "normal", "high", "urgent"]
Reentry = Literal["always", "never"]


@dataclass(frozen=True)
class Condition:
    """A CEL expression compiled once; see :mod:`journey.domain.maps.cel`.

    Its variables are ``facts`` (the declared facts), ``event`` (the event being handled, or
    null when a timer fires), ``stage`` (her current stage key, or null) and ``now``.
    """

    source: str
    path: str
    """Where it is written in the map document (``stages[2].entry.when``)."""
    program: object = field(compare=False, repr=False)
    """The compiled CEL program (the binding's ``Program``)."""


@dataclass(frozen=True)
class Fact:
    kind: FactKind
    parameters: Mapping[str, str]
    """The declared parameters over the kind's defaults."""

    @property
    def name(self) -> str:
        return self.kind.name


@dataclass(frozen=True)
class Stage:
    key: str
    title: str
    priority: int
    """Higher wins: of the stages whose entry holds, she stands on the highest."""
    entry: Condition | None
    """None for a stage only the map's ``initial_stage`` puts her on."""


@dataclass(frozen=True)
class OnEvent:
    """Fires on each event of ``event`` (her moment is the event's time plus the wait)."""

    event: str


@dataclass(frozen=True)
class OnStageEntered:
    """Fires when she enters ``stage``."""

    stage: str


@dataclass(frozen=True)
class OnInactivity:
    """Fires once ``after`` has passed since her latest activity event with no new one; each
    activity re-arms it. Firing re-evaluates her stage before anything else."""

    after: Wait
    activity: tuple[str, ...] = ACTIVITY_EVENTS


@dataclass(frozen=True)
class OnDate:
    """Fires at ``at`` (local time, the map's time zone) ``offset`` from a date fact; yearly
    dates (birthdays, anniversaries) recur every year on the fact's month and day."""

    fact: str
    offset: Wait = ZERO_WAIT
    at: time = time(10, 0)
    yearly: bool = True


Trigger_On = OnEvent | OnStageEntered | OnInactivity | OnDate


@dataclass(frozen=True)
class Suggestion:
    """What a staff task proposes to send the member (her voucher, a message)."""

    template: str
    category: Category
    variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TouchpointSpec:
    to: Audience
    template: str
    category: Category
    priority: Priority = "normal"
    tolerance: Wait = field(default_factory=lambda: Wait.parse("P1D"))
    """How late past its moment it may still go out; later it is recorded as skipped."""
    variables: Mapping[str, str] = field(default_factory=dict)
    due_in: Wait | None = None
    """Staff touchpoints only: the task is due this long after it is created."""
    suggestion: Suggestion | None = None
    """Staff touchpoints only: what the task's "send" action sends the member."""

    @property
    def is_task(self) -> bool:
        return self.to != "member"


@dataclass(frozen=True)
class Goal:
    """The conversion a trigger aims at: ``event`` (matching ``when``) within ``within`` of
    its touchpoint."""

    event: str
    within: Wait
    when: Condition | None = None


@dataclass(frozen=True)
class Trigger:
    key: str
    on: Trigger_On
    when: Condition | None = None
    """Checked on the causing event when there is one (an ``event`` trigger is decided when
    the event arrives, even with a wait), otherwise when the trigger's moment comes."""
    wait: Wait = ZERO_WAIT
    """Between the causing moment and the touchpoint (``P6M`` after a mattress purchase)."""
    stages: tuple[str, ...] = ()
    """Only for members on one of these stages when it fires; empty for every stage."""
    cancel_on: tuple[str, ...] = ()
    """Events that call off a waiting occurrence (she booked before the reminder was due)."""
    touchpoint: TouchpointSpec | None = None
    goal: Goal | None = None
    once: bool = False
    """Fire at most once per member on this map (a first-visit voucher)."""


@dataclass(frozen=True)
class CompiledMap:
    brand_id: str
    key: str
    version: int
    """0 for a draft being dry-run; published versions count from 1."""
    title: str
    timezone: str
    facts: Mapping[str, Fact]
    stages: tuple[Stage, ...]
    """Highest priority first."""
    initial_stage: str
    triggers: tuple[Trigger, ...]
    exit_when: Condition | None = None
    reentry: Reentry = "always"

    def stage(self, key: str) -> Stage | None:
        return next((stage for stage in self.stages if stage.key == key), None)

    def trigger(self, key: str) -> Trigger | None:
        return next((trigger for trigger in self.triggers if trigger.key == key), None)

    @property
    def event_kinds(self) -> frozenset[str]:
        """Every event kind the map reacts to in any way."""
        names: set[str] = set(ACTIVITY_EVENTS)
        for trigger in self.triggers:
            if isinstance(trigger.on, OnEvent):
                names.add(trigger.on.event)
            if isinstance(trigger.on, OnInactivity):
                names.update(trigger.on.activity)
            names.update(trigger.cancel_on)
            if trigger.goal is not None:
                names.add(trigger.goal.event)
        return frozenset(names)


@dataclass(frozen=True)
class MapError:
    """One thing wrong with a map document: where (``stages[2].entry.when``) and why."""

    path: str
    message: str
