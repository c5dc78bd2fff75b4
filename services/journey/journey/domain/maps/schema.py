"""The JSON Schema of a journey map document, as the service publishes it (pure).

Everything an editor can check on its own is here: shapes, keys, durations, enums of facts
and events. It is built from :mod:`journey.domain.maps.model` so that adding a fact or an
event kind there extends the schema too. What needs the whole map or the brand (a stage a
trigger names, a condition reading an undeclared fact, a template the notifier lacks) is
checked by :func:`journey.domain.maps.compiler.compile_map`.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Final

from journey.domain.maps.model import (
    ACTIVITY_EVENTS,
    DATE_FACTS,
    DURATION_PATTERN,
    EVENT_KINDS,
    FACT_KINDS,
    KEY_PATTERN,
    FactKind,
)

SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"

NON_NEGATIVE_DURATION_PATTERN: Final = DURATION_PATTERN.replace("^-?P", "^P", 1)
"""A duration that cannot point backwards: waits, windows, tolerances."""
TIME_PATTERN: Final = r"^(?:[01]\d|2[0-3]):[0-5]\d$"
TRIGGER_KINDS: Final = ("event", "stage_entered", "inactivity", "date")
"""The properties of ``on`` that say what a trigger fires on; exactly one is given."""

_DURATION_DESCRIPTION: Final = (
    "ISO 8601 duration: P30D, P6M, P1Y, PT24H; a month is a calendar month"
)


def _duration(description: str, *, signed: bool = False) -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": DURATION_PATTERN if signed else NON_NEGATIVE_DURATION_PATTERN,
        "description": f"{description} ({_DURATION_DESCRIPTION})",
        "examples": ["-P15D"] if signed else ["P30D"],
    }


def _key(description: str) -> dict[str, Any]:
    return {"type": "string", "pattern": KEY_PATTERN, "description": description}


def _condition(description: str) -> dict[str, Any]:
    return {
        "type": "string",
        "minLength": 1,
        "description": (
            f"{description}. A CEL expression over facts, event, stage and now "
            "(see docs/journey-maps.md)"
        ),
    }


def _fact_parameter(name: str, default: str) -> dict[str, Any]:
    if re.match(DURATION_PATTERN, default):
        return _duration(f"{name}; default {default}")
    return {
        "type": "integer",
        "minimum": 1,
        "description": f"{name}; default {default}",
        "default": int(default),
    }


def _fact(kind: FactKind) -> dict[str, Any]:
    return {
        "type": "object",
        "description": f"{kind.description} ({kind.type})",
        "properties": {
            name: _fact_parameter(name, default) for name, default in kind.parameters.items()
        },
        "additionalProperties": False,
    }


def _build() -> dict[str, Any]:
    event_kinds = sorted(EVENT_KINDS)
    event_kind = {
        "type": "string",
        "enum": event_kinds,
        "description": "An event kind of the catalogue",
    }
    variables = {
        "type": "object",
        "description": "Values the template fills in (text)",
        "additionalProperties": {"type": "string"},
    }
    category = {
        "enum": ["marketing", "service"],
        "description": "marketing touchpoints count against the brand's cap; service ones do not",
    }
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "Journey map",
        "description": (
            "A brand's lifecycle map: the facts it reads, its stages and the triggers that "
            "send touchpoints to members and tasks to staff. See docs/journey-maps.md."
        ),
        "type": "object",
        "required": ["map", "title", "timezone", "initial_stage", "stages"],
        "additionalProperties": False,
        "properties": {
            "map": _key("The map's key, the same for all its versions"),
            "title": {"type": "string", "minLength": 1, "description": "Shown to HQ"},
            "timezone": {
                "type": "string",
                "minLength": 1,
                "description": "IANA time zone (Asia/Shanghai); date triggers' times are local",
                "examples": ["Asia/Shanghai"],
            },
            "initial_stage": _key("The stage a member starts on; one of stages[].key"),
            "facts": {"$ref": "#/$defs/facts"},
            "stages": {
                "type": "array",
                "minItems": 1,
                "items": {"$ref": "#/$defs/stage"},
                "description": "She stands on the highest-priority stage whose entry holds",
            },
            "triggers": {
                "type": "array",
                "items": {"$ref": "#/$defs/trigger"},
                "description": "What fires, when, and what it sends",
            },
            "exit": {
                "type": "object",
                "description": "When a member leaves the map (see reentry)",
                "required": ["when"],
                "additionalProperties": False,
                "properties": {"when": _condition("She leaves the map when this holds")},
            },
            "reentry": {
                "enum": ["always", "never"],
                "default": "always",
                "description": "Whether a member who exited may enter the map again",
            },
        },
        "$defs": {
            "facts": {
                "type": "object",
                "description": (
                    "The facts the map's conditions read: name -> parameters ({} when none)"
                ),
                "properties": {name: _fact(kind) for name, kind in FACT_KINDS.items()},
                "additionalProperties": False,
            },
            "stage": {
                "type": "object",
                "required": ["key", "title", "priority"],
                "additionalProperties": False,
                "properties": {
                    "key": _key("The stage's key, unique in the map"),
                    "title": {"type": "string", "minLength": 1, "description": "Shown to HQ"},
                    "priority": {
                        "type": "integer",
                        "description": "Unique; of the stages whose entry holds, the highest wins",
                    },
                    "entry": {
                        "type": "object",
                        "required": ["when"],
                        "additionalProperties": False,
                        "properties": {"when": _condition("She enters the stage when it holds")},
                        "description": "Required for every stage but the initial one",
                    },
                },
            },
            "trigger": {
                "type": "object",
                "required": ["key", "on"],
                "additionalProperties": False,
                "properties": {
                    "key": _key("The trigger's key, unique in the map"),
                    "on": {"$ref": "#/$defs/on"},
                    "when": _condition(
                        "Fires only when this holds (decided on the causing event when there "
                        "is one, otherwise when its moment comes)"
                    ),
                    "wait": _duration("Between the causing moment and the touchpoint"),
                    "stages": {
                        "type": "array",
                        "items": _key("A stage key"),
                        "description": "Only for members on one of these stages; all if absent",
                    },
                    "cancel_on": {
                        "type": "array",
                        "items": event_kind,
                        "description": "Events that call off a waiting occurrence",
                    },
                    "once": {
                        "type": "boolean",
                        "default": False,
                        "description": "Fire at most once per member on this map",
                    },
                    "touchpoint": {"$ref": "#/$defs/touchpoint"},
                    "goal": {"$ref": "#/$defs/goal"},
                },
            },
            "on": {
                "type": "object",
                "description": "Exactly one of event, stage_entered, inactivity or date",
                "additionalProperties": False,
                "properties": {
                    "event": {**event_kind, "description": "Fires on each event of this kind"},
                    "stage_entered": _key("Fires when she enters this stage"),
                    "inactivity": _duration(
                        "Fires when no activity event came for this long; re-evaluates her stage"
                    ),
                    "activity": {
                        "type": "array",
                        "minItems": 1,
                        "items": event_kind,
                        "description": (
                            "With inactivity: the events that count as activity; default "
                            + ", ".join(ACTIVITY_EVENTS)
                        ),
                    },
                    "date": {
                        "enum": sorted(DATE_FACTS),
                        "description": "A date fact (declared under facts) to count from",
                    },
                    "offset": _duration(
                        "With date: before (negative) or after the date", signed=True
                    ),
                    "at": {
                        "type": "string",
                        "pattern": TIME_PATTERN,
                        "default": "10:00",
                        "description": "With date: local time HH:MM in the map's time zone",
                    },
                    "yearly": {
                        "type": "boolean",
                        "default": True,
                        "description": "With date: recur every year on the date's month and day",
                    },
                },
                "oneOf": [{"required": [kind]} for kind in TRIGGER_KINDS],
                "dependentRequired": {
                    "activity": ["inactivity"],
                    "offset": ["date"],
                    "at": ["date"],
                    "yearly": ["date"],
                },
            },
            "touchpoint": {
                "type": "object",
                "required": ["to", "template", "category"],
                "additionalProperties": False,
                "properties": {
                    "to": {
                        "enum": ["member", "associate", "store_manager"],
                        "description": (
                            "member: a message on her preferred channel; associate: a task for "
                            "her bound associate; store_manager: an alert for her store's manager"
                        ),
                    },
                    "template": {
                        "type": "string",
                        "minLength": 1,
                        "description": (
                            "A notifier template of the brand: a message template for the "
                            "member, a task template for staff"
                        ),
                    },
                    "category": category,
                    "priority": {
                        "enum": ["low", "normal", "high", "urgent"],
                        "default": "normal",
                        "description": "How urgent it is, shown with tasks and alerts",
                    },
                    "tolerance": _duration(
                        "How late past its moment it may still go out; later it is skipped "
                        "(default P1D)"
                    ),
                    "variables": variables,
                    "due_in": _duration("Staff only: the task is due this long after creation"),
                    "suggestion": {
                        "type": "object",
                        "description": "Staff only: what the task's send action sends the member",
                        "required": ["template", "category"],
                        "additionalProperties": False,
                        "properties": {
                            "template": {
                                "type": "string",
                                "minLength": 1,
                                "description": "A message template of the brand",
                            },
                            "category": category,
                            "variables": variables,
                        },
                    },
                },
            },
            "goal": {
                "type": "object",
                "description": "The conversion the trigger aims at, counted from its touchpoint",
                "required": ["event", "within"],
                "additionalProperties": False,
                "properties": {
                    "event": {**event_kind, "description": "The converting event"},
                    "within": _duration("How long after the touchpoint it counts"),
                    "when": _condition("Only events for which this holds count"),
                },
            },
        },
    }


MAP_SCHEMA: Final[dict[str, Any]] = _build()
"""The schema itself; treat it as read-only and hand out :func:`map_schema` copies."""


def map_schema() -> dict[str, Any]:
    """A copy of :data:`MAP_SCHEMA` the caller may serialise or change."""
    return copy.deepcopy(MAP_SCHEMA)
