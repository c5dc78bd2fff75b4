"""In-memory stand-ins for the notifier's ports and the consumer's unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from notifier.adapters.local_channel import LocalChannel
from notifier.application.ports import DeliveryPorts, DeliveryQuery, StoredTemplate
from notifier.domain.deliveries import Delivery
from rapport_events.clock import Clock
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.uow import stamp


class InMemoryDeliveries:
    def __init__(self) -> None:
        self.rows: list[Delivery] = []

    async def exists(self, touchpoint_id: str) -> bool:
        return any(row.touchpoint.touchpoint_id == touchpoint_id for row in self.rows)

    async def marketing_sent_since(
        self, brand_id: str, member_id: str, since: datetime
    ) -> list[datetime]:
        return [
            row.created_at
            for row in self.rows
            if row.touchpoint.brand_id == brand_id
            and row.touchpoint.member_id == member_id
            and row.touchpoint.marketing
            and row.status == "delivered"
            and row.created_at > since
        ]

    async def record(self, delivery: Delivery) -> None:
        if await self.exists(delivery.touchpoint.touchpoint_id):
            raise AssertionError(f"second row for touchpoint {delivery.touchpoint.touchpoint_id}")
        self.rows.append(delivery)

    async def search(self, query: DeliveryQuery) -> Sequence[Delivery]:
        found = [
            row
            for row in reversed(self.rows)
            if row.touchpoint.brand_id == query.brand_id
            and query.member_id in (None, row.touchpoint.member_id)
            and query.template in (None, row.touchpoint.template)
            and query.status in (None, row.status)
        ]
        return found[: query.limit]


class InMemoryTemplates:
    def __init__(self) -> None:
        self.saved: dict[tuple[str, str], StoredTemplate] = {}

    async def for_brand(self, brand_id: str) -> dict[str, StoredTemplate]:
        return {key: stored for (brand, key), stored in self.saved.items() if brand == brand_id}

    async def get(self, brand_id: str, key: str) -> StoredTemplate | None:
        return self.saved.get((brand_id, key))

    async def save(self, brand_id: str, stored: StoredTemplate) -> None:
        self.saved[(brand_id, stored.template.key)] = stored


class FakeUnitOfWork:
    """Collects emitted envelopes the way the real unit of work queues them for the outbox."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.emitted: list[EventEnvelope] = []

    @property
    def clock(self) -> Clock:
        return self._clock

    def emit(
        self, event: DomainEvent, *, brand_id: str, caused_by: EventEnvelope | None = None
    ) -> EventEnvelope:
        envelope = stamp(
            event,
            source="/rapport/notifier",
            clock=self._clock,
            brand_id=brand_id,
            caused_by=caused_by,
        )
        self.emitted.append(envelope)
        return envelope


class InMemoryNotifier:
    """The adapters of one notifier database, shared by every transaction in a test."""

    def __init__(self) -> None:
        self.deliveries = InMemoryDeliveries()
        self.templates = InMemoryTemplates()

    def ports(self, uow: FakeUnitOfWork) -> DeliveryPorts:
        return DeliveryPorts(
            deliveries=self.deliveries,
            templates=self.templates,
            channel=LocalChannel(self.deliveries),
        )
