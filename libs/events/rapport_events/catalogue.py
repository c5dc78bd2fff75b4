"""The event catalogue for integrators, generated from the contracts.

    python -m rapport_events.catalogue          # writes docs/events/
    python -m rapport_events.catalogue --check  # fails when docs/events/ is out of date

For each event: its type, version, topic, key, meaning, a JSON Schema of its data and an
example Kafka record (binary mode: headers + value). ``integrating.md`` tells an outside
system (a POS, the mini-program, a dealer's ERP) how to publish to its brand's ingestion topic.
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
from rapport_events.ingestion import INGESTED_EVENTS, IngestionAccess, ingestion_username
from rapport_events.kafka_security import KafkaConnection
from rapport_events.registry import EventRegistry, registry
from rapport_events.topics import CONSUMING_SERVICES, dead_letter_topic, ingestion_topic

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
    "newcomer": "mbr",
    "review": "rev",
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
        "Outside systems publish to their brand's ingestion topic: see "
        "[Integrating: publishing to Rapport](integrating.md).",
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
    files["integrating.md"] = render_integrating()
    return files


# --------------------------------------------------------------------------- integrating

LOCAL_BOOTSTRAP = "127.0.0.1:59092"
"""The local stack's Kafka (deploy/local/stack.py, moved by RAPPORT_KAFKA_PORT)."""

HEADER_MEANINGS = {
    "id": "unique per event (a UUID); a record sent again with the same id is applied once",
    "source": "the sending system, e.g. `/pos/<store code>/<till>` or `/mini-program`",
    "specversion": "the CloudEvents version",
    "type": "one of the event types below",
    "subject": "the member id, the same as the record key",
    "time": "when it happened, RFC 3339 with an offset (`2026-05-17T18:30:00+08:00`)",
    "datacontenttype": "the format of the value",
    "dataversion": "the version of the data schema of `ce_type`",
    "brandid": "the brand, the one whose ingestion topic this is",
    "correlationid": "an id shared by the events of one operation (may equal `ce_id`)",
    "causationid": "the `ce_id` of the event that caused this one",
    "traceparent": "W3C trace context, to follow the event through the platform",
    "tracestate": "W3C trace context, vendor part",
}


def _header_name(attribute: str) -> str:
    return "content-type" if attribute == "datacontenttype" else "ce_" + attribute


def _header_rows() -> list[str]:
    """One row per envelope attribute; required is what a consumer refuses a record without."""
    rows = ["| header | required | meaning |", "|---|---|---|"]
    for name, spec in EventEnvelope.model_fields.items():
        if name == "data":
            continue
        meaning = HEADER_MEANINGS[name]
        if not spec.is_required() and spec.default is not None:
            meaning += f"; absent means `{spec.default}`"
        required = "yes" if spec.is_required() else "no"
        rows.append(f"| `{_header_name(name)}` | {required} | {meaning} |")
    return rows


def _example_access() -> IngestionAccess:
    brand = example_id("brand")
    login = KafkaConnection(
        LOCAL_BOOTSTRAP, "SASL_PLAINTEXT", "SCRAM-SHA-512", ingestion_username(brand), "<password>"
    )
    return IngestionAccess(brand, ingestion_topic(brand), login)


def ingestion_example(model: type[DomainEvent]) -> dict[str, Any]:
    """The catalogue's example of ``model`` as a POS would send it to its brand's topic."""
    record = example_record(model)
    return {
        **record,
        "topic": ingestion_topic(record["headers"]["ce_brandid"]),
        "headers": {**record["headers"], "ce_source": "/pos/sh-001/till-1"},
    }


def _consumed_rows() -> list[str]:
    rows = ["| event | sent by | read by | which then |", "|---|---|---|---|"]
    for ingested in INGESTED_EVENTS:
        kind = ingested.contract.event_type
        anchor = kind.replace(".", "").replace("-", "")
        rows.append(
            f"| [`{kind}`](README.md#{anchor}) | {ingested.senders} | {ingested.consumer} "
            f"| {ingested.effect} |"
        )
    return rows


def _access_section() -> list[str]:
    config = _example_access().librdkafka_config()
    return [
        "## Access",
        "",
        "Kafka authenticates every client (SASL/SCRAM-SHA-512) and authorises it with ACLs. "
        "Each brand's integration has its own user, `ingest-<brand id>`, allowed to write to "
        "(and describe) its brand's ingestion topic and nothing else: another topic answers "
        "`TOPIC_AUTHORIZATION_FAILED`, reading or joining a consumer group is refused too. "
        "On a developer's machine `uv run python deploy/local/stack.py ingest-user <brand id>` "
        "creates the topic, the user and its ACLs and prints these settings (running it again "
        "gives a new password and voids the old one); in production the platform team hands "
        "them over, with `security.protocol=SASL_SSL` and the cluster's address (there the "
        "user and its ACLs are a Strimzi `KafkaUser`).",
        "",
        "```properties",
        *(f"{name}={value}" for name, value in config.items()),
        "```",
        "",
        "Java clients need the same settings under their names "
        "(`sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
        'username="…" password="…";`) and no `partitioner`: see below.',
    ]


def _record_section() -> list[str]:
    return [
        "## The record",
        "",
        "- **topic**: `rapport.ingest.<brand id>`, the brand's own.",
        "- **key**: the member id (UTF-8), the same as `ce_subject`.",
        "- **value**: the event data as JSON, valid against the schema of its type (`schemas/`).",
        "- **headers**: CloudEvents 1.0, Kafka binding, binary mode:",
        "",
        *_header_rows(),
    ]


def _order_section() -> list[str]:
    return [
        "## Partitioning: one member's events in order",
        "",
        "The platform keeps a member's events in order by keeping them on one partition, "
        "chosen by hashing the key with murmur2, as Java clients (and the platform's own "
        "producers) do. **librdkafka clients** (confluent-kafka for Python, Go and .NET, "
        "node-rdkafka, rdkafka-ruby, PHP rdkafka) hash with CRC32 by default "
        "(`consistent_random`) and would put a member's records on other partitions, where "
        "their order against each other is lost: set `partitioner=murmur2_random`. Send one "
        "member's events from one producer, in the order they happened.",
    ]


def _time_section() -> list[str]:
    return [
        "## Event time and the platform clock",
        "",
        "`ce_time` and the data's own timestamp (`purchased_at`, `completed_at`, "
        "`booked_at`...) say when the fact happened, with an explicit offset (a time without "
        "one is refused). The platform keeps them as sent, never replacing them with the time "
        "of arrival, and its rules count from them (journey's follow-ups count from "
        "`completed_at`, say), while its timers fire on the platform clock: UTC system time in "
        "production; in demo and test environments (`RAPPORT_CLOCK=shared`) a clock that "
        "`make clock DAYS=n` moves ahead of the wall clock for every service at once. Keep the "
        "sending machine's clock synchronised (NTP); a late event is applied with its own "
        "time; against an environment whose clock was moved forward, stamp events with that "
        "environment's time, or they fall in its past.",
    ]


def _checks_section() -> list[str]:
    return [
        "## Who reads what, and what is refused",
        "",
        *_consumed_rows(),
        "",
        "Kafka's ACLs say who wrote a record; the consumer checks what it says. A record is "
        "sent to the reader's dead-letter topic (`rapport.dlq.<service>`), the reason in its "
        "`dlq_reason` header, when its `ce_brandid` is not the topic's brand, when its data's "
        "`brand_id` differs from `ce_brandid`, when it names a member, store or staff member "
        "of another brand, when it carries text no store accepts (U+0000, unpaired "
        "surrogates), or when it cannot be read (not JSON, a missing header, an unknown "
        "type or version). Ask the platform team for what landed there.",
        "",
        "service-orders applies an ingested booking, visit or purchase with the rules of its "
        "API, as an integration of the topic's brand: the member and the store must be known "
        "in the brand (a member registered a moment ago may not be known for a second; such a "
        "record is dead-lettered with that reason), amounts and times follow the API's limits, "
        "and a time more than 5 minutes ahead of the platform clock is refused. A booking is "
        "judged as of its `booked_at`, so one that arrives late is still recorded. A visit "
        "that names no `appointment_id` is a walk-in: it is booked and completed at "
        "`completed_at`. The ids you choose (`appointment_id`, `visit_id`, `purchase_id`) make "
        "sending again safe: the same id with the same content changes nothing; the same id "
        "with other content is refused.",
    ]


def render_integrating() -> str:
    example = ingestion_example(INGESTED_EVENTS[-1].contract)
    lines = [
        "# Integrating: publishing to Rapport",
        "",
        "Generated by `make catalogue` from `libs/events/rapport_events/ingestion.py`; do not "
        "edit by hand.",
        "",
        "A brand's outside systems (its POS, its mini-program, a dealer's ERP) publish events "
        "to the brand's **ingestion topic**. A platform service reads them there, checks them "
        "against the brand, and records them as its own, so the rest of the platform sees them "
        "on the platform's topics like any other.",
        "",
        *_access_section(),
        "",
        *_record_section(),
        "",
        *_order_section(),
        "",
        *_time_section(),
        "",
        *_checks_section(),
        "",
        "## Example",
        "",
        "```json",
        json.dumps(example, indent=2, ensure_ascii=False),
        "```",
    ]
    return "\n".join(lines) + "\n"


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
