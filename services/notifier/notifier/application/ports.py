"""What the application needs from the outside world, as Protocols."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from rapport_events.clock import Clock
from rapport_events.envelope import DomainEvent, EventEnvelope

from notifier.domain.deliveries import Delivery, DeliveryStatus, Message
from notifier.domain.templates import ChannelName, Template


@dataclass(frozen=True)
class ChannelReceipt:
    delivery_id: str
    channel: ChannelName
    delivered_at: datetime


class Channel(Protocol):
    async def send(self, message: Message) -> ChannelReceipt:
        """Hand ``message`` over, recording it in the current transaction.

        Raise :class:`~notifier.domain.errors.DeliveryRefused` when the channel will not take
        it; the handler then records the failure.
        """
        ...


class DeliveryLog(Protocol):
    """The deliveries table, as the handler sees it: one row per touchpoint."""

    async def exists(self, touchpoint_id: str) -> bool: ...

    async def marketing_sent_since(
        self, brand_id: str, member_id: str, since: datetime
    ) -> list[datetime]:
        """When each marketing message delivered to the member after ``since`` was sent."""
        ...

    async def record(self, delivery: Delivery) -> None: ...


@dataclass(frozen=True)
class StoredTemplate:
    template: Template
    updated_at: datetime
    updated_by: str


class TemplateStore(Protocol):
    """The templates a brand has saved over the defaults."""

    async def for_brand(self, brand_id: str) -> dict[str, StoredTemplate]: ...

    async def get(self, brand_id: str, key: str) -> StoredTemplate | None: ...

    async def save(self, brand_id: str, stored: StoredTemplate) -> None: ...


@dataclass(frozen=True)
class DeliveryQuery:
    brand_id: str
    member_id: str | None = None
    template: str | None = None
    status: DeliveryStatus | None = None
    channel: ChannelName | None = None
    recipient_id: str | None = None
    limit: int = 50


class DeliveryReader(Protocol):
    async def search(self, query: DeliveryQuery) -> Sequence[Delivery]:
        """Deliveries matching every given filter, newest first."""
        ...


class Transaction(Protocol):
    """The part of the unit of work the handler uses (a consumer's transaction)."""

    @property
    def clock(self) -> Clock: ...

    def emit(
        self, event: DomainEvent, *, brand_id: str, caused_by: EventEnvelope | None = None
    ) -> EventEnvelope: ...


@dataclass(frozen=True)
class DeliveryPorts:
    """The adapters bound to one transaction."""

    deliveries: DeliveryLog
    templates: TemplateStore
    channel: Channel
