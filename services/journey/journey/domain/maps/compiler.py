"""From a map document (YAML or JSON) to the :class:`CompiledMap` the engine runs (pure).

Two steps, both refusing with :class:`InvalidMap` and every error at once:

* :func:`parse_map` reads the text. YAML is read with the YAML 1.2 core scalars, because
  YAML 1.1 (PyYAML's default) reads the ``on:`` every trigger has as the boolean true and
  ``10:00`` as the number 600; a duplicated key is an error rather than a silent override.
* :func:`compile_map` validates the document against :data:`MAP_SCHEMA`, then checks what
  needs the whole map and the brand: references between stages and triggers, the facts and
  event fields conditions read, stages no member can reach, templates the notifier lacks.
  Each condition is compiled once here; the engine never parses text.

Errors are sorted in document order and each carries a path (``triggers[4].touchpoint``)
and a message that says what is wrong and what to do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from typing import Any, Final, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from jsonschema import Draft202012Validator, ValidationError
from yaml.constructor import ConstructorError

from journey.domain.maps.cel import (
    VARIABLES,
    ConditionSyntaxError,
    compile_condition,
    free_variables,
    selected_fields,
)
from journey.domain.maps.errors import InvalidMap, UnsupportedMapFormat
from journey.domain.maps.model import (
    ACTIVITY_EVENTS,
    DATE_FACTS,
    DURATION_PATTERN,
    EVENT_KINDS,
    FACT_KINDS,
    KEY_PATTERN,
    ZERO_WAIT,
    Audience,
    Category,
    CompiledMap,
    Condition,
    Fact,
    Goal,
    MapError,
    OnDate,
    OnEvent,
    OnInactivity,
    OnStageEntered,
    Priority,
    Reentry,
    Stage,
    Suggestion,
    TouchpointSpec,
    Trigger,
    Trigger_On,
    Wait,
)
from journey.domain.maps.schema import (
    MAP_SCHEMA,
    NON_NEGATIVE_DURATION_PATTERN,
    TIME_PATTERN,
    TRIGGER_KINDS,
)

__all__ = ["InvalidMap", "UnsupportedMapFormat", "compile_map", "parse_map"]

YAML_MEDIA_TYPES: Final = frozenset(
    {"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"}
)
JSON_MEDIA_TYPES: Final = frozenset({"application/json"})
MAX_NODES: Final = 20_000
"""Values in a document once YAML aliases are expanded; the default map has about 400. An
alias "bomb" of a few lines would otherwise cost every later walk exponential time."""
MAX_DEPTH: Final = 32
"""Nesting depth; a map is at most about 6 deep."""

_TOP_LEVEL_ORDER: Final = (
    "map", "title", "timezone", "initial_stage", "facts", "stages", "triggers", "exit",
    "reentry",
)  # fmt: skip
_TIMED_FACTS: Final = frozenset(name for name, kind in FACT_KINDS.items() if kind.changes_with_time)
_COMMON_EVENT_FIELDS: Final = frozenset({"type", "at"})
_ANY_EVENT_FIELDS: Final = _COMMON_EVENT_FIELDS.union(
    *(kind.fields for kind in EVENT_KINDS.values())
)
_TYPE_WORDS: Final = {
    "object": "a mapping",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}

PathPart = str | int


# ----------------------------------------------------------------------------- parsing


class _MapLoader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 core scalars and duplicate keys refused.

    Only true/false are booleans (``on``, ``yes``, ``no`` stay text), numbers are decimal
    (``10:00`` stays text, ``010`` too) and dates stay text, as they would in JSON.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if key_node.value in seen:
                    raise ConstructorError(
                        "while reading a mapping",
                        node.start_mark,
                        f"found the key {key_node.value!r} twice",
                        key_node.start_mark,
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


_REPLACED_TAGS: Final = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("bool", "int", "float", "timestamp")
)
_MapLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag not in _REPLACED_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_MapLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_MapLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)
_MapLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?$"
        r"|^[-+]?[0-9]+[eE][-+]?[0-9]+$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$"
    ),
    list("-+0123456789."),
)


class _DuplicateJsonKey(ValueError):
    pass


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateJsonKey(key)
        result[key] = value
    return result


def parse_map(text: str, media_type: str) -> dict[str, Any]:
    """The document in ``text``; :class:`InvalidMap` with the line and column when it is not
    YAML or JSON, :class:`UnsupportedMapFormat` for another media type."""
    essence = media_type.partition(";")[0].strip().lower()
    if essence in YAML_MEDIA_TYPES:
        document = _load_yaml(text)
    elif essence in JSON_MEDIA_TYPES or essence.endswith("+json"):
        document = _load_json(text)
    else:
        raise UnsupportedMapFormat(media_type)
    if not isinstance(document, dict):
        raise InvalidMap(
            [
                MapError(
                    "",
                    f"a map document is a mapping (map, title, timezone, initial_stage, "
                    f"facts, stages, triggers), not {_describe(document)}",
                )
            ]
        )
    shape = _shape_errors(document)
    if shape:
        raise InvalidMap(shape)
    return document


def _load_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_MapLoader)
    except yaml.MarkedYAMLError as error:
        raise InvalidMap([MapError("", _yaml_message(error))]) from error
    except yaml.YAMLError as error:
        raise InvalidMap([MapError("", f"not YAML: {error}")]) from error
    except RecursionError as error:
        raise InvalidMap([MapError("", f"nested more than {MAX_DEPTH} levels deep")]) from error


def _yaml_message(error: yaml.MarkedYAMLError) -> str:
    mark = error.problem_mark or error.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    problem = error.problem or error.context or "not YAML"
    context = f" ({error.context})" if error.context and error.problem else ""
    return f"not YAML: {where}{problem}{context}"


def _load_json(text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_refuse_duplicate_keys)
    except json.JSONDecodeError as error:
        message = f"not JSON: line {error.lineno}, column {error.colno}: {error.msg}"
        raise InvalidMap([MapError("", message)]) from error
    except _DuplicateJsonKey as error:
        message = f"not a JSON map: the key {error.args[0]!r} appears twice in one object"
        raise InvalidMap([MapError("", message)]) from error
    except RecursionError as error:
        raise InvalidMap([MapError("", f"nested more than {MAX_DEPTH} levels deep")]) from error


class _TooLarge(Exception):
    pass


def _shape_errors(document: Mapping[Any, Any]) -> list[MapError]:
    """Keys that are not text, YAML aliases that loop or expand beyond :data:`MAX_NODES`."""
    errors: list[MapError] = []
    sizes: dict[int, int] = {}
    open_ids: set[int] = set()

    def size(value: Any, parts: tuple[PathPart, ...]) -> int:
        if not isinstance(value, Mapping | list):
            return 1
        identity = id(value)
        if identity in sizes:
            return sizes[identity]
        if identity in open_ids:
            errors.append(MapError(_path(parts), "contains itself (a YAML alias to its parent)"))
            return 1
        if len(parts) > MAX_DEPTH:
            errors.append(MapError(_path(parts), f"nested more than {MAX_DEPTH} levels deep"))
            return 1
        open_ids.add(identity)
        total = 1
        children: Iterable[tuple[Any, Any]] = (
            value.items() if isinstance(value, Mapping) else enumerate(value)
        )
        for key, child in children:
            if isinstance(value, Mapping) and not isinstance(key, str):
                errors.append(MapError(_path((*parts, str(key))), "a key must be text: quote it"))
                continue
            total += size(child, (*parts, key))
            if total > MAX_NODES:
                raise _TooLarge
        open_ids.discard(identity)
        sizes[identity] = total
        return total

    try:
        size(document, ())
    except _TooLarge:
        return [MapError("", f"has more than {MAX_NODES} values once YAML aliases are expanded")]
    return errors


# ----------------------------------------------------------------------------- compiling


def compile_map(
    document: Mapping[str, Any],
    *,
    brand_id: str,
    version: int,
    templates: Mapping[str, bool],
) -> CompiledMap:
    """The map the engine runs, or :class:`InvalidMap` listing every error.

    ``templates`` maps each notifier template key the brand has to whether it is a staff
    task template (True) or a message template for members (False).
    """
    shape = _shape_errors(document)
    if shape:
        raise InvalidMap(shape)
    checker = _Checker(document, templates)
    problems = [*_schema_problems(document), *checker.problems()]
    if problems:
        raise InvalidMap(_in_document_order(problems))
    return _build(document, checker.conditions, brand_id=brand_id, version=version)


@dataclass(frozen=True)
class _Problem:
    parts: tuple[PathPart, ...]
    message: str


def _path(parts: Iterable[PathPart]) -> str:
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def _in_document_order(problems: Iterable[_Problem]) -> list[MapError]:
    def order(problem: _Problem) -> tuple[int, tuple[tuple[int, int, str], ...]]:
        first = problem.parts[0] if problem.parts else ""
        top = _TOP_LEVEL_ORDER.index(first) if first in _TOP_LEVEL_ORDER else -1
        rest = tuple(
            (0, part, "") if isinstance(part, int) else (1, 0, part) for part in problem.parts
        )
        return top, rest

    unique = dict.fromkeys(problems)
    return [MapError(_path(p.parts), p.message) for p in sorted(unique, key=order)]


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _listing(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))


# ----------------------------------------------------------------------------- the schema

_VALIDATOR: Final = Draft202012Validator(MAP_SCHEMA)


def _schema_problems(document: Mapping[str, Any]) -> list[_Problem]:
    problems: list[_Problem] = []
    for error in _VALIDATOR.iter_errors(document):
        problems.extend(_translate(error))
    return problems


def _translate(error: ValidationError) -> list[_Problem]:
    """A jsonschema error in the words of a map author, at the place it is about."""
    parts = tuple(error.absolute_path)
    # The error is about an instance of the document, so none of these is Unset.
    instance: Any = error.instance
    expected: Any = error.validator_value
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    match error.validator:
        case "required":
            properties = schema.get("properties", {})
            return [
                _Problem((*parts, name), _required_message(properties.get(name, {})))
                for name in expected
                if isinstance(instance, Mapping) and name not in instance
            ]
        case "additionalProperties":
            allowed = schema.get("properties", {})
            return [
                _Problem((*parts, name), _unknown_field_message(parts, name, allowed))
                for name in instance
                if name not in allowed
            ]
        case "oneOf" | "dependentRequired" if not isinstance(instance, Mapping):
            return []  # the type error says it
        case "dependentRequired":
            return [
                _Problem((*parts, name), f"goes with {' and '.join(needed)}: add it or drop this")
                for name, needed in expected.items()
                if name in instance and any(need not in instance for need in needed)
            ]
        case "type":
            if len(parts) == 2 and parts[0] == "facts" and instance is None:
                return [_Problem(parts, f"must be a mapping: write {parts[1]}: {{}} for none")]
            return [_Problem(parts, _type_message(expected, instance))]
        case "pattern":
            return [_Problem(parts, _pattern_message(expected, instance))]
        case "enum":
            if "type" in schema and not isinstance(instance, str):
                return []  # the type error says it
            return [_Problem(parts, _enum_message(expected, instance))]
        case "oneOf":
            given = [kind for kind in TRIGGER_KINDS if kind in instance]
            kinds = ", ".join(TRIGGER_KINDS)
            if not given:
                return [_Problem(parts, f"say what the trigger fires on: give one of {kinds}")]
            return [
                _Problem(parts, f"give exactly one of {kinds}; this one has {', '.join(given)}")
            ]
        case "minItems" | "minLength":
            return [_Problem(parts, "must not be empty")]
        case "minimum":
            return [_Problem(parts, f"must be at least {expected}")]
        case _:
            return [_Problem(parts, error.message)]


def _required_message(property_schema: Mapping[str, Any]) -> str:
    description = property_schema.get("description")
    return f"is required: {description}" if description else "is required"


def _unknown_field_message(
    parts: tuple[PathPart, ...], name: str, allowed: Mapping[str, Any]
) -> str:
    if parts == ("facts",):
        return f"unknown fact {name!r}: the fact catalogue has {_listing(FACT_KINDS)}"
    if len(parts) == 2 and parts[0] == "facts":
        fact = str(parts[1])
        if not allowed:
            return f"unknown parameter {name!r}: {fact} takes no parameters; write {fact}: {{}}"
        return f"unknown parameter {name!r} of {fact}; it takes {_listing(allowed)}"
    return f"unknown field {name!r}; allowed here: {', '.join(allowed)}"


def _type_message(expected: str | list[str], instance: Any) -> str:
    words = " or ".join(_TYPE_WORDS.get(name, name) for name in _as_list(expected))
    hint = " (quote it)" if expected == "string" and isinstance(instance, int | float) else ""
    return f"must be {words}{hint}, not {_describe(instance)}"


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _pattern_message(pattern: str, instance: str) -> str:
    if pattern in (DURATION_PATTERN, NON_NEGATIVE_DURATION_PATTERN):
        try:
            wait = Wait.parse(instance)
        except ValueError as error:
            return str(error)
        if wait.negative:
            return (
                f"{instance!r} is negative: only a date trigger's offset may point back "
                "in time (offset: -P15D)"
            )
    if pattern == KEY_PATTERN:
        return (
            f"{instance!r} is not a key: lowercase letters, digits and _, starting with a "
            "letter, at most 64 characters"
        )
    if pattern == TIME_PATTERN:
        return f'{instance!r} is not a local time: write HH:MM, such as "10:00"'
    return f"{instance!r} does not match {pattern}"


def _enum_message(options: list[Any], instance: Any) -> str:
    if options == sorted(EVENT_KINDS):
        return f"unknown event kind {instance!r}; the known kinds are {', '.join(options)}"
    if options == sorted(DATE_FACTS):
        return f"{instance!r} is not a date fact: a date trigger counts from {' or '.join(options)}"
    return f"{_describe(instance)} is not one of {', '.join(map(str, options))}"


# ----------------------------------------------------------------------------- the whole map


@dataclass(frozen=True)
class _EventScope:
    """Which ``event.y`` a condition may read where it is written."""

    fields: frozenset[str]
    """Empty: there is no event there at all."""
    where: str


def _event_scope(kind: Any) -> _EventScope | None:
    """The fields of ``kind``'s events; None when ``kind`` is not one (already reported)."""
    if not isinstance(kind, str) or kind not in EVENT_KINDS:
        return None
    fields = _COMMON_EVENT_FIELDS | frozenset(EVENT_KINDS[kind].fields)
    return _EventScope(fields, f"{kind} events")


_ANY_EVENT: Final = _EventScope(_ANY_EVENT_FIELDS, "any event of the catalogue")


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _key(value: Any) -> str | None:
    return value if isinstance(value, str) and re.match(KEY_PATTERN, value) else None


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if float(value).is_integer() else None


def _wait(value: Any) -> Wait | None:
    if not isinstance(value, str):
        return None
    try:
        return Wait.parse(value)
    except ValueError:
        return None


class _Checker:
    """What the schema cannot see: the map as a whole, and the brand's templates.

    It reads the raw document defensively: a part the schema already refused is skipped,
    so that each mistake is reported once.
    """

    def __init__(self, document: Mapping[str, Any], templates: Mapping[str, bool]) -> None:
        self.document = document
        self.templates = templates
        self.conditions: dict[str, Condition] = {}
        self._problems: list[_Problem] = []
        self.declared_facts = {name for name in _mapping(document.get("facts"))}
        self.stage_keys: list[str] = []
        self.triggers = [_mapping(raw) for raw in _items(document.get("triggers"))]

    def problems(self) -> list[_Problem]:
        self._timezone()
        self._stages()
        self._initial_stage()
        for index, trigger in enumerate(self.triggers):
            self._trigger(("triggers", index), trigger)
        self._unique("trigger key", "triggers", [t.get("key") for t in self.triggers])
        exit_when = _mapping(self.document.get("exit")).get("when")
        self._condition(exit_when, ("exit", "when"), _ANY_EVENT)
        return self._problems

    def _add(self, parts: tuple[PathPart, ...], message: str) -> None:
        self._problems.append(_Problem(parts, message))

    def _timezone(self) -> None:
        zone = self.document.get("timezone")
        if not isinstance(zone, str) or not zone:
            return
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            self._add(
                ("timezone",),
                f"unknown time zone {zone!r}: use an IANA zone name such as Asia/Shanghai",
            )

    def _stages(self) -> None:
        stages = [_mapping(raw) for raw in _items(self.document.get("stages"))]
        self.stage_keys = list(
            dict.fromkeys(key for stage in stages if (key := _key(stage.get("key"))))
        )
        self._unique("stage key", "stages", [stage.get("key") for stage in stages])
        priorities = [_whole_number(stage.get("priority")) for stage in stages]
        self._unique("priority", "stages", priorities, field="priority")
        initial = self.document.get("initial_stage")
        timers = any("inactivity" in _mapping(t.get("on")) for t in self.triggers)
        for index, stage in enumerate(stages):
            parts: tuple[PathPart, ...] = ("stages", index)
            key = stage.get("key")
            entry = stage.get("entry")
            if entry is None and key != initial and _key(key):
                self._add(
                    (*parts, "entry"),
                    f"stage {key!r} can never be entered: only the initial stage may go "
                    "without an entry condition; give it entry.when",
                )
            when = _mapping(entry).get("when")
            self._condition(when, (*parts, "entry", "when"), _ANY_EVENT)
            if isinstance(when, str) and not timers:
                self._timed_facts_without_timer(when, (*parts, "entry", "when"), key)

    def _timed_facts_without_timer(self, when: str, parts: tuple[PathPart, ...], key: Any) -> None:
        for name in sorted(selected_fields(when)["facts"] & _TIMED_FACTS & self.declared_facts):
            self._add(
                parts,
                f"stage {key!r} is unreachable in time: its entry reads facts.{name}, which "
                "changes while nothing happens, and no trigger re-evaluates members then; "
                "add a trigger with on: {inactivity: P30D}",
            )

    def _unique(
        self, what: str, section: str, values: Sequence[Any], *, field: str = "key"
    ) -> None:
        first_at: dict[Any, int] = {}
        for index, value in enumerate(values):
            if value is None or not isinstance(value, Hashable):
                continue
            if value in first_at:
                self._add(
                    (section, index, field),
                    f"{what} {value!r} is already used by {section}[{first_at[value]}]; "
                    f"each {what} must be unique in the map",
                )
            else:
                first_at[value] = index

    def _initial_stage(self) -> None:
        initial = _key(self.document.get("initial_stage"))
        if initial is not None:
            self._stage_reference(initial, ("initial_stage",))

    def _stage_reference(self, value: Any, parts: tuple[PathPart, ...]) -> None:
        if _key(value) and self.stage_keys and value not in self.stage_keys:
            self._add(
                parts,
                f"unknown stage {value!r}; the map's stages are {', '.join(self.stage_keys)}",
            )

    def _trigger(self, parts: tuple[PathPart, ...], trigger: Mapping[str, Any]) -> None:
        on = _mapping(trigger.get("on"))
        scope = self._on(on, (*parts, "on"))
        self._condition(trigger.get("when"), (*parts, "when"), scope)
        for index, stage in enumerate(_items(trigger.get("stages"))):
            self._stage_reference(stage, (*parts, "stages", index))
        touchpoint = trigger.get("touchpoint")
        if isinstance(touchpoint, Mapping):
            self._touchpoint(touchpoint, (*parts, "touchpoint"))
        goal = trigger.get("goal")
        if isinstance(goal, Mapping):
            self._goal(goal, (*parts, "goal"), has_touchpoint=touchpoint is not None)

    def _on(self, on: Mapping[str, Any], parts: tuple[PathPart, ...]) -> _EventScope | None:
        """Checks ``on`` and says which event fields the trigger's ``when`` may read
        (None when ``on`` itself is wrong, so nothing more can be said)."""
        given = [kind for kind in TRIGGER_KINDS if kind in on]
        if len(given) != 1:
            return None
        match given[0]:
            case "event":
                return _event_scope(on["event"])
            case "stage_entered":
                self._stage_reference(on["stage_entered"], (*parts, "stage_entered"))
                return _ANY_EVENT
            case "inactivity":
                wait = _wait(on["inactivity"])
                if wait is not None and wait.is_zero:
                    self._add((*parts, "inactivity"), "must be longer than zero, such as P30D")
                return _EventScope(frozenset(), "an inactivity trigger, which fires on a timer")
            case _:
                fact = on["date"]
                if isinstance(fact, str) and fact in DATE_FACTS - self.declared_facts:
                    self._add(
                        (*parts, "date"),
                        f"date fact {fact} is not declared: declare it under facts ({fact}: {{}})",
                    )
                return _EventScope(frozenset(), "a date trigger, which fires on a timer")

    def _touchpoint(self, touchpoint: Mapping[str, Any], parts: tuple[PathPart, ...]) -> None:
        audience = touchpoint.get("to")
        to_member = audience == "member"
        template = touchpoint.get("template")
        is_task = self._template(template, (*parts, "template"))
        if is_task is True and to_member:
            self._add(
                (*parts, "template"),
                f"{template!r} is a staff task template; a touchpoint to the member needs a "
                "message template",
            )
        if is_task is False and audience in ("associate", "store_manager"):
            self._add(
                (*parts, "template"),
                f"{template!r} is a message template; a touchpoint to the {audience} is a task "
                "and needs a task template",
            )
        for staff_only in ("due_in", "suggestion"):
            if to_member and staff_only in touchpoint:
                self._add(
                    (*parts, staff_only),
                    f"only a staff touchpoint (to associate or store_manager) has {staff_only}; "
                    "a touchpoint to the member is a message, not a task",
                )
        suggestion = _mapping(touchpoint.get("suggestion"))
        suggested = suggestion.get("template")
        if self._template(suggested, (*parts, "suggestion", "template")) is True:
            self._add(
                (*parts, "suggestion", "template"),
                f"{suggested!r} is a staff task template; a suggestion is what the task sends "
                "the member, so it needs a message template",
            )

    def _template(self, template: Any, parts: tuple[PathPart, ...]) -> bool | None:
        """Whether ``template`` is a task template; None when it is not the brand's."""
        if not isinstance(template, str) or not template:
            return None
        if template not in self.templates:
            self._add(
                parts,
                f"the notifier has no template {template!r} for this brand: create it there "
                f"first, or use one of {_listing(self.templates) or '(none yet)'}",
            )
            return None
        return self.templates[template]

    def _goal(
        self, goal: Mapping[str, Any], parts: tuple[PathPart, ...], *, has_touchpoint: bool
    ) -> None:
        if not has_touchpoint:
            self._add(
                parts,
                "a goal counts from its trigger's touchpoint: give the trigger a touchpoint "
                "or drop the goal",
            )
        within = _wait(goal.get("within"))
        if within is not None and within.is_zero:
            self._add((*parts, "within"), "must be longer than zero, such as P14D")
        self._condition(goal.get("when"), (*parts, "when"), _event_scope(goal.get("event")))

    def _condition(
        self, source: Any, parts: tuple[PathPart, ...], scope: _EventScope | None
    ) -> None:
        if not isinstance(source, str) or not source.strip():
            return
        path = _path(parts)
        try:
            condition = compile_condition(source, path)
        except ConditionSyntaxError as error:
            self._add(parts, f"not a CEL expression: {_cel_syntax_message(str(error))}")
            return
        self.conditions[path] = condition
        for name in sorted(free_variables(condition) - VARIABLES):
            self._add(
                parts,
                f"unknown variable {name!r}: a condition reads only facts, event, stage and "
                "now (facts.visit_count, event.amount)",
            )
        selected = selected_fields(source)
        for name in sorted(selected["facts"] - self.declared_facts):
            if name in FACT_KINDS:
                message = f"unknown fact {name}: declare it under facts ({name}: {{}})"
            else:
                message = (
                    f"unknown fact {name}: not in the fact catalogue, which has "
                    f"{_listing(FACT_KINDS)}"
                )
            self._add(parts, message)
        if scope is not None:
            self._event_fields(selected["event"], parts, scope)

    def _event_fields(
        self, names: set[str], parts: tuple[PathPart, ...], scope: _EventScope
    ) -> None:
        for name in sorted(names - scope.fields):
            if not scope.fields:
                message = (
                    f"event.{name} cannot be read in {scope.where}: event is null there; "
                    "condition on facts instead"
                )
            elif scope is _ANY_EVENT:
                message = f"no event kind of the catalogue carries event.{name}"
            else:
                message = (
                    f"{scope.where} do not carry event.{name}; they carry {_listing(scope.fields)}"
                )
            self._add(parts, message)


_CEL_ERROR: Final = re.compile(r"^ERROR: <input>:(\d+):(\d+): (?:Syntax error: )?(.*)$")


def _cel_syntax_message(message: str) -> str:
    """The parser's errors on one line each (``line 1, column 21: ...``), without the caret
    drawing, which needs the expression above it in a monospaced font to make sense."""
    found = [_CEL_ERROR.match(line) for line in message.splitlines()]
    located = [f"line {m[1]}, column {m[2]}: {m[3]}" for m in found if m is not None]
    return "; ".join(located) or message


# ----------------------------------------------------------------------------- building


def _build(
    document: Mapping[str, Any],
    conditions: Mapping[str, Condition],
    *,
    brand_id: str,
    version: int,
) -> CompiledMap:
    """The compiled map from a document that passed every check."""
    facts = {
        name: Fact(
            FACT_KINDS[name],
            {**FACT_KINDS[name].parameters, **{k: str(v) for k, v in parameters.items()}},
        )
        for name, parameters in document.get("facts", {}).items()
    }
    stages = [
        Stage(
            key=raw["key"],
            title=raw["title"],
            priority=int(raw["priority"]),
            entry=conditions.get(f"stages[{index}].entry.when"),
        )
        for index, raw in enumerate(document["stages"])
    ]
    triggers = tuple(
        _build_trigger(raw, f"triggers[{index}]", conditions)
        for index, raw in enumerate(document.get("triggers", []))
    )
    return CompiledMap(
        brand_id=brand_id,
        key=document["map"],
        version=version,
        title=document["title"],
        timezone=document["timezone"],
        facts=facts,
        stages=tuple(sorted(stages, key=lambda stage: -stage.priority)),
        initial_stage=document["initial_stage"],
        triggers=triggers,
        exit_when=conditions.get("exit.when"),
        reentry=cast(Reentry, document.get("reentry", "always")),
    )


def _build_trigger(
    raw: Mapping[str, Any], path: str, conditions: Mapping[str, Condition]
) -> Trigger:
    touchpoint = raw.get("touchpoint")
    goal = raw.get("goal")
    return Trigger(
        key=raw["key"],
        on=_build_on(raw["on"]),
        when=conditions.get(f"{path}.when"),
        wait=Wait.parse(raw["wait"]) if "wait" in raw else ZERO_WAIT,
        stages=tuple(raw.get("stages", ())),
        cancel_on=tuple(raw.get("cancel_on", ())),
        touchpoint=_build_touchpoint(touchpoint) if touchpoint is not None else None,
        goal=(
            Goal(
                event=goal["event"],
                within=Wait.parse(goal["within"]),
                when=conditions.get(f"{path}.goal.when"),
            )
            if goal is not None
            else None
        ),
        once=bool(raw.get("once", False)),
    )


def _build_on(on: Mapping[str, Any]) -> Trigger_On:
    if "event" in on:
        return OnEvent(on["event"])
    if "stage_entered" in on:
        return OnStageEntered(on["stage_entered"])
    if "inactivity" in on:
        return OnInactivity(
            after=Wait.parse(on["inactivity"]),
            activity=tuple(on.get("activity", ACTIVITY_EVENTS)),
        )
    return OnDate(
        fact=on["date"],
        offset=Wait.parse(on["offset"]) if "offset" in on else ZERO_WAIT,
        at=time.fromisoformat(on["at"]) if "at" in on else time(10, 0),
        yearly=bool(on.get("yearly", True)),
    )


def _build_touchpoint(raw: Mapping[str, Any]) -> TouchpointSpec:
    suggestion = raw.get("suggestion")
    defaults = TouchpointSpec(to="member", template="", category="service")
    return TouchpointSpec(
        to=cast(Audience, raw["to"]),
        template=raw["template"],
        category=cast(Category, raw["category"]),
        priority=cast(Priority, raw.get("priority", defaults.priority)),
        tolerance=Wait.parse(raw["tolerance"]) if "tolerance" in raw else defaults.tolerance,
        variables=dict(raw.get("variables", {})),
        due_in=Wait.parse(raw["due_in"]) if "due_in" in raw else None,
        suggestion=(
            Suggestion(
                template=suggestion["template"],
                category=cast(Category, suggestion["category"]),
                variables=dict(suggestion.get("variables", {})),
            )
            if suggestion is not None
            else None
        ),
    )
