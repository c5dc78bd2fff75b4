"""Map documents to compiled maps: what compiles, and every way a map is refused, by path."""

from __future__ import annotations

import copy
import json
from datetime import time, timedelta
from typing import Any

import pytest
from journey.domain.maps.compiler import compile_map, parse_map
from journey.domain.maps.errors import InvalidMap, UnsupportedMapFormat
from journey.domain.maps.model import (
    EVENT_KINDS,
    CompiledMap,
    MapError,
    OnDate,
    OnEvent,
    OnInactivity,
    OnStageEntered,
)
from rapport_platform.refusals import Refusal

TEMPLATES = {
    "welcome": False,
    "care_guide": False,
    "voucher": False,
    "birthday_task": True,
    "churn_alert": True,
}

SMALL_MAP: dict[str, Any] = {
    "map": "lifecycle",
    "title": "Lifecycle",
    "timezone": "Asia/Shanghai",
    "initial_stage": "new",
    "facts": {
        "visit_count": {},
        "days_since_last_visit": {},
        "birthday": {},
        "recent_spend": {"window": "P30D"},
    },
    "stages": [
        {"key": "new", "title": "New", "priority": 10},
        {
            "key": "dormant",
            "title": "Dormant",
            "priority": 60,
            "entry": {"when": "facts.days_since_last_visit >= 30"},
        },
        {
            "key": "regular",
            "title": "Regular",
            "priority": 20,
            "entry": {"when": "facts.visit_count >= 2"},
        },
    ],
    "triggers": [
        {"key": "dormancy_check", "on": {"inactivity": "P30D"}},
        {
            "key": "welcome_back",
            "on": {"stage_entered": "dormant"},
            "touchpoint": {
                "to": "member",
                "template": "welcome",
                "category": "marketing",
                "variables": {"offer": "回归礼券"},
            },
            "goal": {"event": "visit.completed", "within": "P30D"},
        },
        {
            "key": "care_guide",
            "on": {"event": "visit.completed"},
            "when": "event.amount > 100.0",
            "wait": "PT2H",
            "stages": ["regular"],
            "cancel_on": ["appointment.cancelled"],
            "touchpoint": {
                "to": "member",
                "template": "care_guide",
                "category": "service",
                "tolerance": "PT22H",
            },
        },
        {
            "key": "birthday_task",
            "on": {"date": "birthday", "offset": "-P15D", "at": "09:30", "yearly": True},
            "touchpoint": {
                "to": "associate",
                "template": "birthday_task",
                "category": "service",
                "priority": "high",
                "due_in": "P14D",
                "suggestion": {
                    "template": "voucher",
                    "category": "marketing",
                    "variables": {"offer": "生日护理券"},
                },
            },
            "goal": {
                "event": "appointment.booked",
                "within": "P14D",
                "when": "event.service_code == 'facial'",
            },
        },
    ],
    "exit": {"when": "facts.visit_count > 1000"},
    "reentry": "never",
}
"""Valid, and small enough that each test breaks one thing in it (index: stages[0] new,
[1] dormant, [2] regular; triggers[0] inactivity, [1] stage entered, [2] event, [3] date)."""


def small_map() -> dict[str, Any]:
    return copy.deepcopy(SMALL_MAP)


def compiled(document: dict[str, Any], templates: dict[str, bool] = TEMPLATES) -> CompiledMap:
    return compile_map(document, brand_id="brd_1", version=3, templates=templates)


def errors_of(document: dict[str, Any], templates: dict[str, bool] = TEMPLATES) -> list[MapError]:
    with pytest.raises(InvalidMap) as refused:
        compiled(document, templates)
    return list(refused.value.errors)


def only_error(document: dict[str, Any], templates: dict[str, bool] = TEMPLATES) -> MapError:
    errors = errors_of(document, templates)
    assert len(errors) == 1, errors
    return errors[0]


# ----------------------------------------------------------------------------- what compiles


def test_a_valid_map_compiles_into_the_model() -> None:
    result = compiled(small_map())

    assert (result.brand_id, result.key, result.version) == ("brd_1", "lifecycle", 3)
    assert result.timezone == "Asia/Shanghai"
    assert result.initial_stage == "new"
    assert result.reentry == "never"
    assert result.exit_when is not None and result.exit_when.path == "exit.when"


def test_stages_come_highest_priority_first() -> None:
    result = compiled(small_map())

    assert [stage.key for stage in result.stages] == ["dormant", "regular", "new"]
    dormant = result.stage("dormant")
    assert dormant is not None and dormant.entry is not None
    assert dormant.entry.path == "stages[1].entry.when"
    new = result.stage("new")
    assert new is not None and new.entry is None


def test_facts_take_their_declared_parameters_over_the_defaults() -> None:
    result = compiled(small_map())

    assert result.facts["recent_spend"].parameters == {"window": "P30D"}
    assert result.facts["visit_count"].parameters == {}


def test_integer_fact_parameters_become_text_like_the_defaults() -> None:
    document = small_map()
    document["facts"]["low_ratings_in_a_row"] = {"below": 70}

    assert compiled(document).facts["low_ratings_in_a_row"].parameters == {"below": "70"}
    document["facts"]["low_ratings_in_a_row"] = {}
    assert compiled(document).facts["low_ratings_in_a_row"].parameters == {"below": "80"}


def test_each_kind_of_trigger_compiles_with_its_defaults() -> None:
    result = compiled(small_map())
    inactivity, entered, event, date = result.triggers

    assert isinstance(inactivity.on, OnInactivity)
    assert inactivity.on.activity == ("visit.completed",)
    assert inactivity.on.after.span == timedelta(days=30)
    assert entered.on == OnStageEntered("dormant")
    assert event.on == OnEvent("visit.completed")
    assert event.wait.span == timedelta(hours=2)
    assert event.stages == ("regular",)
    assert event.cancel_on == ("appointment.cancelled",)
    assert isinstance(date.on, OnDate)
    assert date.on.fact == "birthday"
    assert date.on.offset.negative and date.on.offset.span == timedelta(days=15)
    assert date.on.at == time(9, 30)
    assert date.on.yearly


def test_a_date_trigger_defaults_to_ten_oclock_yearly() -> None:
    document = small_map()
    document["triggers"][3]["on"] = {"date": "birthday"}

    on = compiled(document).triggers[3].on

    assert on == OnDate(fact="birthday", offset=on.offset, at=time(10, 0), yearly=True)  # type: ignore[union-attr]
    assert isinstance(on, OnDate) and on.offset.is_zero


def test_touchpoints_goals_and_suggestions_compile() -> None:
    result = compiled(small_map())
    welcome = result.trigger("welcome_back")
    task = result.trigger("birthday_task")
    assert welcome is not None and task is not None
    assert welcome.touchpoint is not None and task.touchpoint is not None

    assert welcome.touchpoint.to == "member" and not welcome.touchpoint.is_task
    assert welcome.touchpoint.priority == "normal"
    assert welcome.touchpoint.tolerance.span == timedelta(days=1)
    assert welcome.touchpoint.variables == {"offer": "回归礼券"}
    assert welcome.goal is not None and welcome.goal.within.span == timedelta(days=30)
    assert task.touchpoint.is_task and task.touchpoint.priority == "high"
    assert task.touchpoint.due_in is not None
    assert task.touchpoint.due_in.span == timedelta(days=14)
    assert task.touchpoint.suggestion is not None
    assert task.touchpoint.suggestion.template == "voucher"
    assert task.goal is not None and task.goal.when is not None
    assert task.goal.when.path == "triggers[3].goal.when"


def test_a_month_wait_is_a_calendar_month() -> None:
    document = small_map()
    document["triggers"][2]["wait"] = "P6M"

    assert compiled(document).triggers[2].wait.months == 6


def test_a_map_without_triggers_facts_or_exit_compiles() -> None:
    document = {
        "map": "plain",
        "title": "Plain",
        "timezone": "UTC",
        "initial_stage": "only",
        "stages": [{"key": "only", "title": "Only", "priority": 1}],
    }

    result = compiled(document)

    assert result.triggers == () and result.facts == {} and result.exit_when is None
    assert result.reentry == "always"


# ----------------------------------------------------------------------------- reading text

YAML_MAP = """
map: lifecycle
title: Lifecycle
timezone: Asia/Shanghai
initial_stage: new
facts:
  birthday: {}
stages:
  - key: new
    title: New
    priority: 10
triggers:
  - key: greeting
    on: {date: birthday, at: 10:00, yearly: true}
    touchpoint: {to: member, template: welcome, category: marketing, variables: {reply: yes}}
"""


def test_yaml_and_json_of_the_same_map_compile_alike() -> None:
    from_yaml = parse_map(YAML_MAP, "application/yaml")
    from_json = parse_map(json.dumps(from_yaml), "application/json; charset=utf-8")

    assert from_yaml == from_json
    assert compiled(from_yaml) == compiled(from_json)


def test_yaml_is_read_with_yaml_1_2_scalars() -> None:
    # YAML 1.1 would read the key on as true, 10:00 as 600 and yes as true.
    document = parse_map(YAML_MAP, "text/yaml")

    trigger = document["triggers"][0]
    assert trigger["on"]["at"] == "10:00"
    assert trigger["on"]["yearly"] is True
    assert trigger["touchpoint"]["variables"] == {"reply": "yes"}
    assert isinstance(compiled(document).triggers[0].on, OnDate)


def test_yaml_numbers_stay_numbers() -> None:
    document = parse_map("a: 10\nb: -2\nc: 2.5\nd: 010\ne: null\n", "application/x-yaml")

    assert document == {"a": 10, "b": -2, "c": 2.5, "d": "010", "e": None}


def test_a_yaml_syntax_error_says_where() -> None:
    with pytest.raises(InvalidMap) as refused:
        parse_map("map: lifecycle\nstages:\n  - key: new\n   title: [New\n", "application/yaml")

    [error] = refused.value.errors
    assert error.path == ""
    assert error.message.startswith("not YAML: line 4, column")


def test_a_json_syntax_error_says_where() -> None:
    with pytest.raises(InvalidMap) as refused:
        parse_map('{\n  "map": "lifecycle",\n  "title": }', "application/json")

    [error] = refused.value.errors
    assert error.message.startswith("not JSON: line 3, column 12:")


def test_a_key_written_twice_is_refused_rather_than_overridden() -> None:
    with pytest.raises(InvalidMap) as yaml_refused:
        parse_map("map: a\ntitle: A\nmap: b\n", "application/yaml")
    with pytest.raises(InvalidMap) as json_refused:
        parse_map('{"map": "a", "map": "b"}', "application/json")

    assert "line 3, column 1: found the key 'map' twice" in yaml_refused.value.errors[0].message
    assert "'map' appears twice" in json_refused.value.errors[0].message


def test_yaml_merge_keys_are_not_duplicates() -> None:
    document = parse_map("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n", "application/yaml")

    assert document["other"] == {"x": 1, "y": 3}


def test_a_document_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(InvalidMap) as refused:
        parse_map("- just\n- a list\n", "application/yaml")

    assert refused.value.errors[0].message.startswith("a map document is a mapping")
    with pytest.raises(InvalidMap):
        parse_map("", "application/yaml")


def test_python_tags_are_refused() -> None:
    with pytest.raises(InvalidMap) as refused:
        parse_map("map: !!python/object/apply:os.system ['true']\n", "application/yaml")

    assert refused.value.errors[0].message.startswith("not YAML")


def test_an_alias_bomb_is_refused_before_anything_walks_it() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 8)]

    with pytest.raises(InvalidMap) as refused:
        parse_map("\n".join(lines), "application/yaml")

    assert "more than 20000 values" in refused.value.errors[0].message


def test_a_document_containing_itself_is_refused() -> None:
    with pytest.raises(InvalidMap) as refused:
        parse_map("map: &loop\n  inner: *loop\n", "application/yaml")

    assert refused.value.errors[0].path == "map.inner"


def test_keys_must_be_text() -> None:
    with pytest.raises(InvalidMap) as refused:
        parse_map("facts:\n  1: {}\n", "application/yaml")

    assert refused.value.errors == (MapError("facts.1", "a key must be text: quote it"),)


def test_another_media_type_is_refused() -> None:
    with pytest.raises(UnsupportedMapFormat) as refused:
        parse_map("map: x", "text/plain")

    assert isinstance(refused.value, Refusal)
    assert "application/yaml" in refused.value.message


# ----------------------------------------------------------------------------- the schema


def test_a_missing_field_is_named_with_its_purpose() -> None:
    document = small_map()
    del document["stages"][2]["priority"]

    error = only_error(document)

    assert error.path == "stages[2].priority"
    assert error.message.startswith("is required: Unique; of the stages")


def test_an_unknown_field_is_named_with_the_allowed_ones() -> None:
    document = small_map()
    document["triggers"][2]["delay"] = "P1D"

    error = only_error(document)

    assert error.path == "triggers[2].delay"
    assert error.message.startswith("unknown field 'delay'; allowed here: key, on, when, wait")


def test_a_value_of_the_wrong_type() -> None:
    document = small_map()
    document["stages"][0]["priority"] = "high"
    document["triggers"][1]["touchpoint"]["variables"]["amount"] = 50

    assert errors_of(document) == [
        MapError("stages[0].priority", "must be a whole number, not the text 'high'"),
        MapError(
            "triggers[1].touchpoint.variables.amount",
            "must be text (quote it), not the number 50",
        ),
    ]


def test_a_key_that_is_not_a_key() -> None:
    document = small_map()
    document["triggers"][0]["key"] = "Dormancy Check"

    error = only_error(document)

    assert error.path == "triggers[0].key"
    assert "is not a key: lowercase letters" in error.message


def test_an_invalid_duration() -> None:
    document = small_map()
    document["triggers"][2]["wait"] = "6 months"

    error = only_error(document)

    assert error == MapError(
        "triggers[2].wait", "'6 months' is not an ISO 8601 duration such as P30D, P6M or PT24H"
    )


def test_a_negative_wait() -> None:
    document = small_map()
    document["triggers"][2]["wait"] = "-P1D"

    error = only_error(document)

    assert error.path == "triggers[2].wait"
    assert error.message.startswith("'-P1D' is negative: only a date trigger's offset")


def test_a_negative_offset_is_fine() -> None:
    document = small_map()
    document["triggers"][3]["on"]["offset"] = "-P1M"

    on = compiled(document).triggers[3].on

    assert isinstance(on, OnDate) and on.offset.negative and on.offset.months == 1


def test_a_local_time_that_is_not_hh_mm() -> None:
    document = small_map()
    document["triggers"][3]["on"]["at"] = "25:00"

    assert only_error(document) == MapError(
        "triggers[3].on.at", "'25:00' is not a local time: write HH:MM, such as \"10:00\""
    )


def test_on_must_name_exactly_one_kind_of_trigger() -> None:
    document = small_map()
    document["triggers"][0]["on"] = {}
    document["triggers"][2]["on"] = {"event": "visit.completed", "inactivity": "P30D"}

    assert errors_of(document) == [
        MapError(
            "triggers[0].on",
            "say what the trigger fires on: give one of event, stage_entered, inactivity, date",
        ),
        MapError(
            "triggers[2].on",
            "give exactly one of event, stage_entered, inactivity, date; "
            "this one has event, inactivity",
        ),
    ]


def test_date_and_inactivity_options_go_with_their_trigger() -> None:
    document = small_map()
    document["triggers"][2]["on"]["activity"] = ["visit.completed"]
    document["triggers"][2]["on"]["yearly"] = True

    assert errors_of(document) == [
        MapError("triggers[2].on.activity", "goes with inactivity: add it or drop this"),
        MapError("triggers[2].on.yearly", "goes with date: add it or drop this"),
    ]


def test_an_empty_list_of_stages() -> None:
    document = small_map()
    document["stages"] = []

    errors = errors_of(document)

    assert errors[0] == MapError("stages", "must not be empty")


# ----------------------------------------------------------------------------- facts


def test_a_fact_that_is_not_in_the_catalogue() -> None:
    document = small_map()
    document["facts"]["loyalty_points"] = {}

    error = only_error(document)

    assert error.path == "facts.loyalty_points"
    assert error.message.startswith("unknown fact 'loyalty_points': the fact catalogue has")
    assert "visit_count" in error.message


def test_a_parameter_a_fact_does_not_take() -> None:
    document = small_map()
    document["facts"]["recent_spend"] = {"span": "P30D"}
    document["facts"]["visit_count"] = {"window": "P30D"}

    assert errors_of(document) == [
        MapError(
            "facts.recent_spend.span", "unknown parameter 'span' of recent_spend; it takes window"
        ),
        MapError(
            "facts.visit_count.window",
            "unknown parameter 'window': visit_count takes no parameters; write visit_count: {}",
        ),
    ]


def test_a_fact_window_that_is_not_a_duration() -> None:
    document = small_map()
    document["facts"]["recent_spend"]["window"] = "30 days"

    assert only_error(document).path == "facts.recent_spend.window"


def test_a_fact_written_without_braces() -> None:
    document = small_map()
    document["facts"]["visit_count"] = None

    assert only_error(document) == MapError(
        "facts.visit_count", "must be a mapping: write visit_count: {} for none"
    )


def test_a_condition_reading_an_undeclared_fact() -> None:
    document = small_map()
    document["stages"][2]["entry"]["when"] = "facts.visit_count >= 2 && facts.total_spent > 1.0"

    assert only_error(document) == MapError(
        "stages[2].entry.when", "unknown fact total_spent: declare it under facts (total_spent: {})"
    )


def test_a_condition_reading_a_fact_no_catalogue_has() -> None:
    document = small_map()
    document["exit"]["when"] = "facts.karma > 3"

    error = only_error(document)

    assert error.path == "exit.when"
    assert error.message.startswith("unknown fact karma: not in the fact catalogue")


def test_fact_names_inside_string_literals_are_not_read() -> None:
    document = small_map()
    document["exit"]["when"] = "'facts.karma' == 'x'"

    compiled(document)


# ----------------------------------------------------------------------------- events


def test_an_unknown_event_kind_lists_the_known_ones() -> None:
    document = small_map()
    document["triggers"][2]["on"]["event"] = "visit.done"

    error = only_error(document)

    assert error.path == "triggers[2].on.event"
    assert error.message == (
        f"unknown event kind 'visit.done'; the known kinds are {', '.join(sorted(EVENT_KINDS))}"
    )


def test_unknown_event_kinds_everywhere_an_event_is_named() -> None:
    document = small_map()
    document["triggers"][0]["on"]["activity"] = ["visit.completed", "login"]
    document["triggers"][1]["goal"]["event"] = "visited"
    document["triggers"][2]["cancel_on"] = ["booking.made"]

    assert [error.path for error in errors_of(document)] == [
        "triggers[0].on.activity[1]",
        "triggers[1].goal.event",
        "triggers[2].cancel_on[0]",
    ]


def test_an_event_field_the_triggers_event_kind_does_not_carry() -> None:
    document = small_map()
    document["triggers"][2]["when"] = "event.amount > 1.0 && event.items.size() > 0"

    error = only_error(document)

    assert error.path == "triggers[2].when"
    assert error.message.startswith("visit.completed events do not carry event.items; they carry")
    assert "service_code" in error.message


def test_type_and_at_are_carried_by_every_event() -> None:
    document = small_map()
    document["triggers"][2]["when"] = "event.type == 'visit.completed' && event.at < now"

    compiled(document)


def test_an_event_field_the_goals_event_kind_does_not_carry() -> None:
    document = small_map()
    document["triggers"][3]["goal"]["when"] = "event.amount > 1.0"

    error = only_error(document)

    assert error.path == "triggers[3].goal.when"
    assert error.message.startswith("appointment.booked events do not carry event.amount")


def test_an_event_field_no_event_carries_in_a_stage_entry() -> None:
    document = small_map()
    document["stages"][2]["entry"]["when"] = "event != null && event.colour == 'red'"

    assert only_error(document) == MapError(
        "stages[2].entry.when", "no event kind of the catalogue carries event.colour"
    )


def test_a_timer_trigger_cannot_read_the_event() -> None:
    document = small_map()
    document["triggers"][3]["when"] = "event.amount > 1.0"

    error = only_error(document)

    assert error.path == "triggers[3].when"
    assert error.message.startswith("event.amount cannot be read in a date trigger")


# ----------------------------------------------------------------------------- conditions


def test_a_condition_that_is_not_cel() -> None:
    document = small_map()
    document["stages"][1]["entry"]["when"] = "facts.days_since_last_visit >= "

    error = only_error(document)

    assert error.path == "stages[1].entry.when"
    assert error.message.startswith(
        "not a CEL expression: line 1, column 32: mismatched input '<EOF>' expecting"
    )
    assert "\n" not in error.message


def test_a_condition_naming_a_variable_cel_does_not_have() -> None:
    document = small_map()
    document["triggers"][2]["when"] = "member.vip && event.amount > 1.0"

    assert only_error(document) == MapError(
        "triggers[2].when",
        "unknown variable 'member': a condition reads only facts, event, stage and now "
        "(facts.visit_count, event.amount)",
    )


def test_macro_variables_are_the_macros_own() -> None:
    document = small_map()
    document["triggers"][2]["on"]["event"] = "purchase.recorded"
    document["triggers"][2]["when"] = "event.items.exists(i, i.category == 'mattress')"

    compiled(document)


# ----------------------------------------------------------------------------- stages


def test_duplicate_stage_keys_and_priorities() -> None:
    document = small_map()
    document["stages"][2]["key"] = "dormant"
    document["stages"][2]["priority"] = 10
    del document["triggers"][2]["stages"]

    assert errors_of(document) == [
        MapError(
            "stages[2].key",
            "stage key 'dormant' is already used by stages[1]; each stage key must be unique "
            "in the map",
        ),
        MapError(
            "stages[2].priority",
            "priority 10 is already used by stages[0]; each priority must be unique in the map",
        ),
    ]


def test_the_initial_stage_must_be_a_stage() -> None:
    document = small_map()
    document["initial_stage"] = "newcomer"

    errors = errors_of(document)

    assert errors[0] == MapError(
        "initial_stage", "unknown stage 'newcomer'; the map's stages are new, dormant, regular"
    )
    # The stage that was initial has no entry now, so nobody reaches it either.
    assert errors[1].path == "stages[0].entry"


def test_a_stage_without_entry_that_is_not_initial_is_unreachable() -> None:
    document = small_map()
    del document["stages"][2]["entry"]

    assert only_error(document) == MapError(
        "stages[2].entry",
        "stage 'regular' can never be entered: only the initial stage may go without an entry "
        "condition; give it entry.when",
    )


def test_the_initial_stage_may_have_an_entry_too() -> None:
    document = small_map()
    document["stages"][0]["entry"] = {"when": "facts.visit_count == 0"}

    compiled(document)


def test_a_stage_on_a_fact_that_changes_with_time_needs_an_inactivity_trigger() -> None:
    document = small_map()
    del document["triggers"][0]

    assert only_error(document) == MapError(
        "stages[1].entry.when",
        "stage 'dormant' is unreachable in time: its entry reads facts.days_since_last_visit, "
        "which changes while nothing happens, and no trigger re-evaluates members then; add a "
        "trigger with on: {inactivity: P30D}",
    )


def test_stage_references_in_triggers_must_be_stages() -> None:
    document = small_map()
    document["triggers"][1]["on"]["stage_entered"] = "sleeping"
    document["triggers"][2]["stages"] = ["regular", "vip"]

    assert [(error.path, error.message) for error in errors_of(document)] == [
        (
            "triggers[1].on.stage_entered",
            "unknown stage 'sleeping'; the map's stages are new, dormant, regular",
        ),
        (
            "triggers[2].stages[1]",
            "unknown stage 'vip'; the map's stages are new, dormant, regular",
        ),
    ]


# ----------------------------------------------------------------------------- triggers


def test_duplicate_trigger_keys() -> None:
    document = small_map()
    document["triggers"][3]["key"] = "care_guide"

    assert only_error(document) == MapError(
        "triggers[3].key",
        "trigger key 'care_guide' is already used by triggers[2]; each trigger key must be "
        "unique in the map",
    )


def test_a_date_trigger_on_a_fact_that_is_not_a_date() -> None:
    document = small_map()
    document["triggers"][3]["on"]["date"] = "visit_count"

    assert only_error(document) == MapError(
        "triggers[3].on.date",
        "'visit_count' is not a date fact: a date trigger counts from birthday or first_visit_at "
        "or registered_at",
    )


def test_a_date_trigger_on_an_undeclared_date_fact() -> None:
    document = small_map()
    document["triggers"][3]["on"]["date"] = "first_visit_at"

    assert only_error(document) == MapError(
        "triggers[3].on.date",
        "date fact first_visit_at is not declared: declare it under facts (first_visit_at: {})",
    )


def test_an_inactivity_of_zero() -> None:
    document = small_map()
    document["triggers"][0]["on"]["inactivity"] = "P0D"

    assert only_error(document) == MapError(
        "triggers[0].on.inactivity", "must be longer than zero, such as P30D"
    )


def test_an_unknown_time_zone() -> None:
    document = small_map()
    document["timezone"] = "China/Beijing"

    assert only_error(document) == MapError(
        "timezone", "unknown time zone 'China/Beijing': use an IANA zone name such as Asia/Shanghai"
    )


def test_a_goal_needs_a_touchpoint_to_count_from() -> None:
    document = small_map()
    del document["triggers"][1]["touchpoint"]

    assert only_error(document).path == "triggers[1].goal"


def test_a_goal_within_zero() -> None:
    document = small_map()
    document["triggers"][1]["goal"]["within"] = "PT0S"

    assert only_error(document).path == "triggers[1].goal.within"


# ----------------------------------------------------------------------------- touchpoints


def test_a_template_the_notifier_does_not_have() -> None:
    document = small_map()
    document["triggers"][1]["touchpoint"]["template"] = "welcome_home"

    assert only_error(document) == MapError(
        "triggers[1].touchpoint.template",
        "the notifier has no template 'welcome_home' for this brand: create it there first, "
        "or use one of birthday_task, care_guide, churn_alert, voucher, welcome",
    )


def test_a_member_touchpoint_with_a_task_template() -> None:
    document = small_map()
    document["triggers"][1]["touchpoint"]["template"] = "churn_alert"

    assert only_error(document) == MapError(
        "triggers[1].touchpoint.template",
        "'churn_alert' is a staff task template; a touchpoint to the member needs a message "
        "template",
    )


def test_a_staff_touchpoint_with_a_message_template() -> None:
    document = small_map()
    document["triggers"][3]["touchpoint"]["template"] = "welcome"
    document["triggers"][3]["touchpoint"]["to"] = "store_manager"

    assert only_error(document) == MapError(
        "triggers[3].touchpoint.template",
        "'welcome' is a message template; a touchpoint to the store_manager is a task and "
        "needs a task template",
    )


def test_due_in_and_suggestion_belong_to_staff_touchpoints() -> None:
    document = small_map()
    touchpoint = document["triggers"][1]["touchpoint"]
    touchpoint["due_in"] = "P1D"
    touchpoint["suggestion"] = {"template": "voucher", "category": "marketing"}

    assert [error.path for error in errors_of(document)] == [
        "triggers[1].touchpoint.due_in",
        "triggers[1].touchpoint.suggestion",
    ]
    assert errors_of(document)[0].message.startswith(
        "only a staff touchpoint (to associate or store_manager) has due_in"
    )


def test_a_suggestion_with_a_task_template_or_none_at_all() -> None:
    document = small_map()
    document["triggers"][3]["touchpoint"]["suggestion"]["template"] = "churn_alert"
    assert only_error(document) == MapError(
        "triggers[3].touchpoint.suggestion.template",
        "'churn_alert' is a staff task template; a suggestion is what the task sends the "
        "member, so it needs a message template",
    )

    document["triggers"][3]["touchpoint"]["suggestion"]["template"] = "voucher_2"
    assert only_error(document).message.startswith("the notifier has no template 'voucher_2'")


def test_a_brand_with_no_templates_yet() -> None:
    error = errors_of(small_map(), templates={})[0]

    assert error.message.endswith("or use one of (none yet)")


# ----------------------------------------------------------------------------- all at once


def test_every_error_is_reported_at_once_in_document_order() -> None:
    document = small_map()
    document["timezone"] = "Mars/Olympus"
    document["facts"]["karma"] = {}
    document["stages"][1]["priority"] = 20
    document["stages"][2]["entry"]["when"] = "facts.visit_count >="
    document["triggers"][1]["touchpoint"]["template"] = "welcome_home"
    document["triggers"][2]["wait"] = "-PT1H"
    document["triggers"][2]["on"]["event"] = "visit.done"
    document["triggers"][3]["on"]["at"] = "9am"
    document["exit"]["when"] = "facts.total_spent > 1.0"

    assert [error.path for error in errors_of(document)] == [
        "timezone",
        "facts.karma",
        "stages[2].entry.when",
        "stages[2].priority",
        "triggers[1].touchpoint.template",
        "triggers[2].on.event",
        "triggers[2].wait",
        "triggers[3].on.at",
        "exit.when",
    ]


def test_broken_parts_do_not_stop_the_rest_being_checked() -> None:
    document = small_map()
    document["stages"] = "none"
    document["triggers"][0] = "dormancy"
    document["triggers"][1]["on"] = ["stage_entered", "dormant"]
    document["triggers"][2]["touchpoint"] = {"to": ["member"], "template": 7}
    document["triggers"][3]["goal"] = {"event": {"kind": "x"}, "within": 5, "when": 7}
    document["facts"] = {"visit_count": []}

    paths = [error.path for error in errors_of(document)]

    assert "stages" in paths and "triggers[0]" in paths and "triggers[1].on" in paths
    assert "triggers[2].touchpoint.template" in paths
    assert "triggers[3].goal.event" in paths and "triggers[3].goal.within" in paths


def test_the_refusal_carries_every_error_by_field() -> None:
    document = small_map()
    document["timezone"] = "Mars/Olympus"
    document["triggers"][2]["when"] = "facts.tier == 'gold' && facts.tags.size() > 0"

    with pytest.raises(InvalidMap) as refused:
        compiled(document)

    assert isinstance(refused.value, Refusal)
    assert set(refused.value.fields) == {"timezone", "triggers[2].when"}
    assert "unknown fact tags" in refused.value.fields["triggers[2].when"]
    assert "; unknown fact tier" in refused.value.fields["triggers[2].when"]
    assert refused.value.message.startswith("the map has 3 errors: timezone: unknown time zone")


def test_reading_maps_leaves_pyyaml_alone_for_everyone_else() -> None:
    import yaml

    parse_map(YAML_MAP, "application/yaml")

    assert yaml.safe_load("on: 10:00") == {True: 600}
