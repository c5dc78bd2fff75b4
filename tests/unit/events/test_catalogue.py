import json
from pathlib import Path

import pytest
from rapport_events.catalogue import (
    LOCAL_BOOTSTRAP,
    example_record,
    ingestion_example,
    main,
    render,
)
from rapport_events.consumer import brand_mismatch
from rapport_events.envelope import EventEnvelope
from rapport_events.ingestion import INGESTED_EVENTS, foreign_to_ingestion_topic
from rapport_events.registry import registry
from rapport_platform.settings import KafkaSettings

from deploy.local.stack_config import endpoints, ports_from_env

DOCS = Path(__file__).parents[3] / "docs" / "events"


def test_the_committed_catalogue_matches_the_contracts() -> None:
    assert main(["--check", "--out", str(DOCS)]) == 0


def test_every_contract_has_a_schema_and_an_example() -> None:
    files = render()
    for model in registry:
        assert f"schemas/{model.event_type}.v{model.event_version}.json" in files
        assert f"## {model.event_type}" in files["README.md"]


def test_check_reports_a_stale_catalogue(tmp_path: Path) -> None:
    assert main(["--check", "--out", str(tmp_path)]) == 1
    assert main(["--out", str(tmp_path)]) == 0
    assert main(["--check", "--out", str(tmp_path)]) == 0


def test_every_example_names_one_brand_in_its_header_and_its_data() -> None:
    for model in registry:
        record = example_record(model)
        assert record["headers"]["ce_brandid"] == record["value"]["brand_id"], model.event_type
        assert record["key"] == record["value"][model.subject_field]


def test_example_ids_have_the_shape_the_services_make() -> None:
    for model in registry:
        for name, value in example_record(model)["value"].items():
            if name.endswith("_id"):
                prefix, _, digits = value.partition("_")
                assert len(prefix) == 3 and len(digits) == 32, (model.event_type, name, value)
                int(digits, 16)


def test_the_ingestion_example_passes_the_consumers_brand_checks() -> None:
    for ingested in INGESTED_EVENTS:
        record = ingestion_example(ingested.contract)
        headers = [(name, value.encode()) for name, value in record["headers"].items()]
        envelope = EventEnvelope.from_kafka(headers, json.dumps(record["value"]).encode())
        event = registry.decode(envelope)
        assert foreign_to_ingestion_topic(record["topic"], envelope) is None
        assert brand_mismatch(event, envelope) is None
        assert record["key"] == envelope.subject


def test_integrators_are_told_the_topic_the_partitioner_and_who_reads_what() -> None:
    text = render()["integrating.md"]
    assert "partitioner=murmur2_random" in text
    assert "rapport.ingest.<brand id>" in text
    for ingested in INGESTED_EVENTS:
        assert f"`{ingested.contract.event_type}`" in text


def test_the_documented_local_broker_is_the_local_stacks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAPPORT_KAFKA_PORT", raising=False)
    monkeypatch.delenv("RAPPORT_KAFKA_BOOTSTRAP", raising=False)
    assert endpoints(ports_from_env()).kafka_bootstrap == LOCAL_BOOTSTRAP
    assert KafkaSettings().kafka_bootstrap == LOCAL_BOOTSTRAP
