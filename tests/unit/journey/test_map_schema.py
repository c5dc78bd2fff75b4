"""The published JSON Schema: a valid schema, in step with the model, agreeing with the compiler."""

from __future__ import annotations

import json

from journey.domain.maps.defaults import default_map_document
from journey.domain.maps.model import DATE_FACTS, EVENT_KINDS, FACT_KINDS
from journey.domain.maps.schema import MAP_SCHEMA, map_schema
from jsonschema import Draft202012Validator

VALIDATOR = Draft202012Validator(MAP_SCHEMA)


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(MAP_SCHEMA)

    assert MAP_SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_schema_serialises_to_json() -> None:
    assert json.loads(json.dumps(map_schema())) == MAP_SCHEMA


def test_the_schema_accepts_the_default_map() -> None:
    assert list(VALIDATOR.iter_errors(default_map_document())) == []


def test_the_schema_lists_every_fact_with_its_parameters() -> None:
    facts = MAP_SCHEMA["$defs"]["facts"]["properties"]

    assert set(facts) == set(FACT_KINDS)
    for name, kind in FACT_KINDS.items():
        assert set(facts[name]["properties"]) == set(kind.parameters)
        assert kind.description in facts[name]["description"]


def test_the_schema_lists_every_event_kind_wherever_an_event_is_named() -> None:
    definitions = MAP_SCHEMA["$defs"]
    trigger = definitions["trigger"]["properties"]
    on = definitions["on"]["properties"]
    kinds = sorted(EVENT_KINDS)

    assert on["event"]["enum"] == kinds
    assert on["activity"]["items"]["enum"] == kinds
    assert trigger["cancel_on"]["items"]["enum"] == kinds
    assert definitions["goal"]["properties"]["event"]["enum"] == kinds
    assert on["date"]["enum"] == sorted(DATE_FACTS)


def test_the_schema_refuses_what_an_editor_can_see_on_its_own() -> None:
    document = default_map_document()
    document["triggers"][0]["wait"] = "-P1D"
    document["triggers"][1]["on"]["event"] = "visit.done"
    document["facts"]["karma"] = {}

    paths = sorted(
        ".".join(map(str, error.absolute_path)) for error in VALIDATOR.iter_errors(document)
    )

    assert paths == ["facts", "triggers.0.wait", "triggers.1.on", "triggers.1.on.event"]


def test_map_schema_hands_out_a_copy() -> None:
    copy = map_schema()
    copy["properties"].clear()

    assert MAP_SCHEMA["properties"]


def test_every_property_says_what_it_is_for() -> None:
    undocumented: list[str] = []

    def walk(schema: object, where: str) -> None:
        if isinstance(schema, dict):
            for name, child in schema.get("properties", {}).items():
                if isinstance(child, dict) and "description" not in child and "$ref" not in child:
                    undocumented.append(f"{where}.{name}")
            for key, child in schema.items():
                walk(child, f"{where}.{key}")

    walk(MAP_SCHEMA, "")

    assert undocumented == []
