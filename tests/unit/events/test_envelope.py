from datetime import UTC, datetime, timedelta, timezone

import pytest
from rapport_events.contracts.identity import MemberRegistered
from rapport_events.contracts.service_orders import PurchaseRecorded
from rapport_events.envelope import EventEnvelope, MalformedEvent

AT = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)


def registered() -> MemberRegistered:
    return MemberRegistered(
        member_id="mbr_1",
        brand_id="brd_1",
        store_id="sto_1",
        surname="梁",
        gender="female",
        registered_at=AT,
    )


def test_wrap_sets_cloudevents_attributes_from_the_event() -> None:
    envelope = EventEnvelope.wrap(
        registered(), source="/rapport/identity", brand_id="brd_1", time=AT
    )

    assert envelope.type == "rapport.identity.member.registered"
    assert envelope.subject == "mbr_1"
    assert envelope.dataversion == 2
    assert envelope.specversion == "1.0"
    assert envelope.correlationid == envelope.id
    assert envelope.causationid is None
    assert envelope.data["surname"] == "梁"


def test_an_event_caused_by_another_inherits_correlation_and_trace() -> None:
    cause = EventEnvelope.wrap(
        registered(),
        source="/rapport/identity",
        brand_id="brd_1",
        time=AT,
        correlation_id="corr-1",
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    )
    effect = EventEnvelope.wrap(
        registered(), source="/rapport/journey", brand_id="brd_1", time=AT, caused_by=cause
    )

    assert effect.correlationid == "corr-1"
    assert effect.causationid == cause.id
    assert effect.traceparent == cause.traceparent


def test_time_is_normalised_to_utc() -> None:
    local = AT.astimezone(timezone(timedelta(hours=8)))
    envelope = EventEnvelope.wrap(registered(), source="/s", brand_id="b", time=local)
    assert envelope.time.utcoffset() == timedelta(0)
    assert envelope.time == AT


def test_kafka_binary_mode_round_trip() -> None:
    original = EventEnvelope.wrap(
        PurchaseRecorded(
            purchase_id="pur_1",
            member_id="mbr_1",
            brand_id="brd_1",
            store_id="sto_1",
            amount="580.50",
            purchased_at=AT,
        ),
        source="/rapport/service-orders",
        brand_id="brd_1",
        time=AT,
    )
    headers = original.kafka_headers()

    assert original.kafka_key() == b"mbr_1"
    assert ("content-type", b"application/json") in headers
    assert ("ce_brandid", b"brd_1") in headers
    assert all(name.startswith("ce_") or name == "content-type" for name, _ in headers)
    assert EventEnvelope.from_kafka(headers, original.kafka_value()) == original


@pytest.mark.parametrize(
    ("headers", "value", "reason"),
    [
        ([("ce_id", b"1")], b"{}", "type"),
        (
            [("content-type", b"text/plain")],
            b"{}",
            "content-type 'text/plain' is not application/json",
        ),
        ([], b"not json", "value is not JSON"),
        ([], b"[1, 2]", "value must be a JSON object"),
        ([], None, "tombstone"),
        ([("ce_id", b"\xff")], b"{}", "not UTF-8"),
    ],
)
def test_unreadable_records_are_malformed_with_a_reason(
    headers: list[tuple[str, bytes]], value: bytes | None, reason: str
) -> None:
    with pytest.raises(MalformedEvent, match=reason):
        EventEnvelope.from_kafka(headers, value)


def test_missing_attributes_are_named() -> None:
    with pytest.raises(MalformedEvent) as caught:
        EventEnvelope.from_kafka([("ce_id", b"x"), ("ce_type", b"t")], b"{}")
    message = str(caught.value)
    for attribute in ("source", "subject", "time", "brandid", "correlationid"):
        assert attribute in message
