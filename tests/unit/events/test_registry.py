from datetime import UTC, datetime
from typing import Any

import pytest
import rapport_events.contracts  # noqa: F401  (registers the contracts)
from rapport_events.contracts.identity import MemberRegistered
from rapport_events.envelope import DomainEvent, EventEnvelope, MalformedEvent
from rapport_events.registry import (
    EventRegistry,
    UnknownEventType,
    UnsupportedEventVersion,
    registry,
)

AT = datetime(2026, 3, 1, tzinfo=UTC)


def envelope(type_: str, version: int, data: dict[str, Any]) -> EventEnvelope:
    return EventEnvelope(
        id="evt-1",
        source="/test",
        type=type_,
        subject="mbr_1",
        time=AT,
        dataversion=version,
        brandid="brd_1",
        correlationid="c",
        data=data,
    )


V1_REGISTRATION = {
    "member_id": "mbr_1",
    "brand_id": "brd_1",
    "store_id": "sto_1",
    "surname": "Liang",
    "registered_at": AT.isoformat(),
}


def test_a_v1_registration_is_upcast_to_the_current_version() -> None:
    event = registry.decode(envelope(MemberRegistered.event_type, 1, V1_REGISTRATION))
    assert isinstance(event, MemberRegistered)
    assert event.preferred_channel == "sms"


def test_current_version_decodes_as_is() -> None:
    data = {**V1_REGISTRATION, "preferred_channel": "wechat"}
    event = registry.decode(envelope(MemberRegistered.event_type, 2, data))
    assert isinstance(event, MemberRegistered)
    assert event.preferred_channel == "wechat"


def test_a_version_from_the_future_is_refused() -> None:
    with pytest.raises(UnsupportedEventVersion, match="version 3 is newer"):
        registry.decode(envelope(MemberRegistered.event_type, 3, V1_REGISTRATION))


def test_an_unknown_type_is_refused() -> None:
    with pytest.raises(UnknownEventType, match=r"rapport\.nothing\.happened"):
        registry.decode(envelope("rapport.nothing.happened", 1, {}))


def test_invalid_data_names_the_field() -> None:
    data = {**V1_REGISTRATION, "surname": ""}
    with pytest.raises(MalformedEvent, match="surname"):
        registry.decode(envelope(MemberRegistered.event_type, 2, data))


def test_a_missing_upcaster_is_reported() -> None:
    local = EventRegistry()

    @local.contract
    class Thing(DomainEvent):
        event_type = "rapport.test.thing.happened"
        event_version = 3
        topic = "t"
        member_id: str

    @local.upcaster(Thing.event_type, from_version=2)
    def _v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
        return data

    with pytest.raises(UnsupportedEventVersion, match=r"no upcaster from .* version 1 to 2"):
        local.decode(envelope(Thing.event_type, 1, {"member_id": "m"}))
    assert local.decode(envelope(Thing.event_type, 2, {"member_id": "m"})) == Thing(member_id="m")


def test_a_type_cannot_be_registered_twice() -> None:
    local = EventRegistry()

    class First(DomainEvent):
        event_type = "rapport.test.dup"
        topic = "t"

    class Second(DomainEvent):
        event_type = "rapport.test.dup"
        topic = "t"

    local.contract(First)
    with pytest.raises(ValueError, match="registered twice"):
        local.contract(Second)


def test_every_contract_names_its_topic_and_a_versioned_type() -> None:
    for model in registry:
        assert model.event_type.startswith("rapport.")
        assert model.topic.startswith("rapport.")
        assert model.event_version >= 1
        assert model.subject_field in model.model_fields
