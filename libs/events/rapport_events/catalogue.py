"""The event catalogue for integrators, generated from the contracts.

    python -m rapport_events.catalogue          # writes docs/events/
    python -m rapport_events.catalogue --check  # fails when docs/events/ is out of date

For each event: its type, version, topic, key, meaning, a JSON Schema of its data and an
example Kafka record (binary mode: headers + value).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import rapport_events.contracts  # noqa: F401  (registers every contract)
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.registry import EventRegistry, registry
from rapport_events.topics import CONSUMING_SERVICES, dead_letter_topic

EXAMPLE_TIME = "2026-05-17T10:30:00Z"
PLACEHOLDERS: dict[str, Any] = {
    "string": "text",
    "integer": 100,
    "number": "100.00",
    "boolean": True,
    "date-time": EXAMPLE_TIME,
    "date": "1990-05-17",
}

ID_PREFIXES = {
    "member": "mbr",
    "brand": "brd",
    "store": "sto",
    "associate": "stf",
    "staff": "stf",
    "previous_associate": "stf",
    "appointment": "apt",
    "visit": "vis",
    "purchase": "pur",
    "touchpoint": "tpt",
    "delivery": "dlv",
    "recipient": "mbr",
    "source": "pur",
}


def example_id(kind: str) -> str:
    """An id of the shape the services make (prefix + 32 hex), the same for one kind of thing
    in every example, so that the examples of one flow fit together."""
    prefix = ID_PREFIXES.get(kind, "id")
    return f"{prefix}_{hashlib.sha256(prefix.encode()).hexdigest()[:32]}"


def schema_file(model: type[DomainEvent]) -> str:
    return f"schemas/{model.event_type}.v{model.event_version}.json"


def example_value(name: str, spec: dict[str, Any], definitions: dict[str, Any]) -> Any:
    if name.endswith("_id") and spec.get("type") == "string":
        return example_id(name.removesuffix("_id"))
    if "examples" in spec:
        return spec["examples"][0]
    if "$ref" in spec:
        return example_value(name, definitions[spec["$ref"].split("/")[-1]], definitions)
    if "enum" in spec:
        return spec["enum"][0]
    if "const" in spec:
        return spec["const"]
    if "anyOf" in spec:
        options = [option for option in spec["anyOf"] if option.get("type") != "null"]
        return example_value(name, options[0], definitions) if options else None
    kind = spec.get("format") or spec.get("type", "string")
    if kind == "object":
        return {}
    if kind == "string" and name.endswith("_id"):
        return example_id(name.removesuffix("_id"))
    return PLACEHOLDERS.get(kind, "text")


def example_event(model: type[DomainEvent]) -> DomainEvent:
    schema = model.model_json_schema()
    definitions = schema.get("$defs", {})
    data = {
        name: example_value(name, spec, definitions) for name, spec in schema["properties"].items()
    }
    return model.model_validate(data)


def example_record(model: type[DomainEvent]) -> dict[str, Any]:
    event = example_event(model)
    envelope = EventEnvelope.wrap(
        event,
        source="/rapport/" + model.event_type.split(".")[1],
        # The header and the data name one brand: consumers refuse events where they differ.
        brand_id=str(getattr(event, "brand_id", example_id("brand"))),
        time=datetime(2026, 5, 17, 10, 30, tzinfo=UTC),
        correlation_id="5c1f6e1a-8c4b-4a7e-9c51-0b7e3f7d2a10",
        traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    )
    stable = envelope.model_copy(update={"id": "0b8f0d8e-5f7a-4f52-9a43-4d8f0a6c2e11"})
    return {
        "topic": model.topic,
        "key": stable.subject,
        "headers": {name: value.decode() for name, value in stable.kafka_headers()},
        "value": stable.data,
    }


def render(event_registry: EventRegistry = registry) -> dict[str, str]:
    """Every file of the catalogue, by path relative to ``docs/events``."""
    files: dict[str, str] = {}
    lines = [
        "# Event catalogue",
        "",
        "Generated from `libs/events/rapport_events/contracts` by "
        "`make catalogue`; do not edit by hand.",
        "",
        "Every event travels as a CloudEvents 1.0 event in the Kafka protocol binding's "
        "**binary mode**: the attributes are record headers (`ce_id`, `ce_type`, `ce_source`, "
        "`ce_subject`, `ce_time`, `ce_brandid`, `ce_dataversion`, `ce_correlationid`, "
        "`ce_causationid`, `ce_traceparent`), `content-type` is `application/json`, the value "
        "is the event data, and the **key is the subject** (the member id), so one member's "
        "events stay in order within a partition. Delivery is at least once: deduplicate on "
        "`ce_id`.",
        "",
        "A consumer reads `ce_type` and `ce_dataversion`; older versions are upcast to the "
        "current model; a type or version it does not know is sent to its dead-letter topic "
        "(`" + "`, `".join(dead_letter_topic(s) for s in CONSUMING_SERVICES) + "`) with the "
        "reason in the `dlq_reason` header.",
        "",
        "| event | version | topic | key |",
        "|---|---|---|---|",
    ]
    for model in event_registry:
        anchor = model.event_type.replace(".", "").replace("-", "")
        lines.append(
            f"| [`{model.event_type}`](#{anchor}) | {model.event_version} | "
            f"`{model.topic}` | `{model.subject_field}` |"
        )
    for model in event_registry:
        schema = model.model_json_schema()
        schema["$id"] = f"urn:rapport:event:{model.event_type}:v{model.event_version}"
        files[schema_file(model)] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
        description = (model.__doc__ or "").strip()
        lines += [
            "",
            f"## {model.event_type}",
            "",
            description,
            "",
            f"- version: {model.event_version}",
            f"- topic: `{model.topic}`",
            f"- key: `{model.subject_field}`",
            f"- schema: [{schema_file(model)}]({schema_file(model)})",
            "",
            "```json",
            json.dumps(example_record(model), indent=2, ensure_ascii=False),
            "```",
        ]
    files["README.md"] = "\n".join(lines).replace("\n\n\n", "\n\n") + "\n"
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=Path("docs/events"))
    parser.add_argument("--check", action="store_true", help="fail if the files differ")
    args = parser.parse_args(argv)
    files = render()
    stale = [
        path
        for path, text in files.items()
        if not (args.out / path).exists() or (args.out / path).read_text() != text
    ]
    if args.check:
        if stale:
            print("event catalogue is out of date, run `make catalogue`:", *stale, sep="\n  ")
            return 1
        print(f"event catalogue is up to date ({len(files)} files)")
        return 0
    for path, text in files.items():
        target = args.out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    print(f"wrote {len(files)} files to {args.out} ({len(stale)} changed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
