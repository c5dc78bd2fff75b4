"""The envelope every event travels in: CloudEvents 1.0 with Rapport's extensions.

On Kafka the envelope uses the CloudEvents Kafka protocol binding in *binary* mode: the
attributes are record headers (``ce_id``, ``ce_type``, ...), the record value is the event
data as JSON, and the record key is the subject (the member id) so that one member's events
stay in one partition and in order. Binary mode lets consumers route, deduplicate and
dead-letter on headers without parsing the payload, and leaves the payload as plain JSON
for integrators.

Extensions (lower-case alphanumerics, as the spec requires):

- ``brandid``        the tenant (a chain's brand);
- ``dataversion``    the version of the data schema of ``type``;
- ``correlationid``  the id shared by every event caused by one request or timer;
- ``causationid``    the id of the event that caused this one;
- ``traceparent`` / ``tracestate``  W3C trace context (CloudEvents distributed tracing).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, Final, Literal, Self
from uuid import uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

SPEC_VERSION: Final = "1.0"
JSON_CONTENT_TYPE: Final = "application/json"
HEADER_PREFIX = "ce_"
CONTENT_TYPE_HEADER = "content-type"

KafkaHeaders = Sequence[tuple[str, bytes]]


class MalformedEvent(ValueError):
    """A record that cannot be read as an event; the reason goes to the dead-letter topic."""


class DomainEvent(BaseModel):
    """Base of every event contract: immutable, strict about unknown fields.

    Subclasses set ``event_type`` (``rapport.<service>.<noun>.<past-tense-verb>``),
    ``event_version`` and ``topic``; ``subject_field`` names the field that holds the
    subject (the member id for member events).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    event_version: ClassVar[int] = 1
    topic: ClassVar[str]
    subject_field: ClassVar[str] = "member_id"

    def subject(self) -> str:
        return str(getattr(self, self.subject_field))


class EventEnvelope(BaseModel):
    """One event with its CloudEvents context attributes; ``data`` is the JSON payload."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    specversion: Literal["1.0"] = SPEC_VERSION
    type: str = Field(min_length=1)
    subject: str = Field(min_length=1)
    time: AwareDatetime
    datacontenttype: Literal["application/json"] = JSON_CONTENT_TYPE
    dataversion: int = Field(default=1, ge=1)
    brandid: str = Field(min_length=1)
    correlationid: str = Field(min_length=1)
    causationid: str | None = None
    traceparent: str | None = None
    tracestate: str | None = None
    data: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        event: DomainEvent,
        *,
        source: str,
        brand_id: str,
        time: datetime,
        caused_by: EventEnvelope | None = None,
        correlation_id: str | None = None,
        traceparent: str | None = None,
        tracestate: str | None = None,
    ) -> Self:
        """Put a domain event in an envelope.

        An event caused by another inherits its correlation id and, unless given, its
        trace context; otherwise the correlation id defaults to the new event's id.
        """
        event_id = str(uuid4())
        if caused_by is not None:
            correlation_id = correlation_id or caused_by.correlationid
            traceparent = traceparent or caused_by.traceparent
            tracestate = tracestate or caused_by.tracestate
        return cls(
            id=event_id,
            source=source,
            type=event.event_type,
            subject=event.subject(),
            time=time.astimezone(UTC),
            dataversion=event.event_version,
            brandid=brand_id,
            correlationid=correlation_id or event_id,
            causationid=caused_by.id if caused_by is not None else None,
            traceparent=traceparent,
            tracestate=tracestate,
            data=event.model_dump(mode="json"),
        )

    def attributes(self) -> dict[str, str]:
        """The context attributes as strings, without ``data``; absent ones left out."""
        raw = self.model_dump(mode="json", exclude={"data"}, exclude_none=True)
        return {name: str(value) for name, value in raw.items()}

    # -- Kafka binary-mode binding -------------------------------------------------

    def kafka_key(self) -> bytes:
        return self.subject.encode()

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        headers = [(CONTENT_TYPE_HEADER, self.datacontenttype.encode())]
        for name, value in self.attributes().items():
            if name != "datacontenttype":
                headers.append((HEADER_PREFIX + name, value.encode()))
        return headers

    def kafka_value(self) -> bytes:
        return json.dumps(self.data, separators=(",", ":"), ensure_ascii=False).encode()

    @classmethod
    def from_kafka(cls, headers: KafkaHeaders, value: bytes | None) -> Self:
        """Read a binary-mode record; raises :class:`MalformedEvent` with the reason."""
        attributes: dict[str, Any] = {}
        content_type = None
        for name, raw in headers:
            try:
                text = raw.decode()
            except UnicodeDecodeError as exc:
                raise MalformedEvent(f"header {name!r} is not UTF-8") from exc
            if name == CONTENT_TYPE_HEADER:
                content_type = text
            elif name.startswith(HEADER_PREFIX):
                attributes[name[len(HEADER_PREFIX) :]] = text
        if content_type is not None and not content_type.startswith(JSON_CONTENT_TYPE):
            raise MalformedEvent(f"content-type {content_type!r} is not {JSON_CONTENT_TYPE}")
        if value is None:
            raise MalformedEvent("record has no value (tombstone)")
        try:
            data = json.loads(value)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MalformedEvent(f"value is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise MalformedEvent("value must be a JSON object")
        return cls.from_mapping({**attributes, "data": data})

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Self:
        """Validate attributes + data; raises :class:`MalformedEvent` naming the fields."""
        try:
            return cls.model_validate(dict(raw))
        except ValidationError as exc:
            raise MalformedEvent(describe_validation_error(exc)) from exc


def describe_validation_error(exc: ValidationError) -> str:
    """One line per problem: ``field.path: message``."""
    parts = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error["loc"]) or "(root)"
        parts.append(f"{location}: {error['msg']}")
    return "; ".join(parts)
