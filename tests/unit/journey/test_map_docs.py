"""docs/journey-maps.md stays true: its catalogues are the model's, its examples behave as shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from journey.domain.maps.compiler import compile_map, parse_map
from journey.domain.maps.defaults import DEFAULT_TEMPLATES, default_map_document
from journey.domain.maps.errors import InvalidMap
from journey.domain.maps.model import EVENT_KINDS, FACT_KINDS

DOC = Path(__file__).parents[3] / "docs" / "journey-maps.md"


def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def section(name: str) -> str:
    match = re.search(f"<!-- {name}:begin -->\n(.*?)<!-- {name}:end -->", doc(), re.DOTALL)
    assert match is not None, f"docs/journey-maps.md has no {name} section"
    return match.group(1)


def example(name: str) -> str:
    match = re.search(f"<!-- example: {name} -->\n```\\w+\n(.*?)```", doc(), re.DOTALL)
    assert match is not None, f"docs/journey-maps.md has no example {name}"
    return match.group(1)


def facts_table() -> str:
    lines = [
        "| fact | type | parameters (default) | changes with time | what it is |",
        "|---|---|---|---|---|",
    ]
    for kind in FACT_KINDS.values():
        parameters = ", ".join(
            f"`{name}` (`{default}`)" for name, default in kind.parameters.items()
        )
        timed = "yes" if kind.changes_with_time else ""
        lines.append(
            f"| `{kind.name}` | {kind.type} | {parameters} | {timed} | {kind.description} |"
        )
    return "\n".join(lines) + "\n"


def events_table() -> str:
    lines = ["| kind | contract (CloudEvents type) | fields |", "|---|---|---|"]
    for kind in EVENT_KINDS.values():
        fields = ", ".join(f"`{name}` {type_}" for name, type_ in kind.fields.items())
        lines.append(f"| `{kind.name}` | `{kind.event_type}` | {fields} |")
    return "\n".join(lines) + "\n"


def test_the_fact_table_is_the_models_catalogue() -> None:
    assert section("facts") == facts_table(), (
        "docs/journey-maps.md's fact table is out of date; replace it with:\n" + facts_table()
    )


def test_the_event_table_is_the_models_catalogue() -> None:
    assert section("events") == events_table(), (
        "docs/journey-maps.md's event table is out of date; replace it with:\n" + events_table()
    )


def test_the_short_example_compiles_with_the_default_templates() -> None:
    document = parse_map(example("short-map"), "application/yaml")

    compiled = compile_map(document, brand_id="brd_1", version=1, templates=DEFAULT_TEMPLATES)

    assert [stage.key for stage in compiled.stages] == ["dormant", "regular", "new"]
    assert len(compiled.triggers) == 4


def test_the_broken_example_is_refused_as_the_doc_shows() -> None:
    document = parse_map(example("broken-map"), "application/yaml")

    with pytest.raises(InvalidMap) as refused:
        compile_map(document, brand_id="brd_1", version=1, templates=DEFAULT_TEMPLATES)

    shown = [f"{error.path}: {error.message}" for error in refused.value.errors]
    assert example("broken-map-errors").splitlines() == shown


def test_the_doc_names_every_trigger_of_the_default_map() -> None:
    text = doc()

    for trigger in default_map_document()["triggers"]:
        assert f"| `{trigger['key']}` |" in text
    for template in DEFAULT_TEMPLATES:
        assert f"`{template}`" in text
