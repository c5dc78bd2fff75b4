"""In-memory twins of the PostgreSQL adapters, for tests and local experiments.

They keep the same contract (``tests/contract/notifier`` runs one suite against both)::

    database = in_memory_database()
    async with InMemoryNotifierUnitOfWork(database, source=SOURCE, clock=clock) as uow:
        await uow.templates.save(brand_id, stored)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from rapport_events.directory import Directory, DirectoryTables, InMemoryDirectory
from rapport_events.uow import InMemoryDatabase, InMemoryUnitOfWork

from notifier.adapters.local_channel import LocalChannel
from notifier.application.ports import (
    Channel,
    ContactPolicyStore,
    DeliveryFilter,
    DeliveryKey,
    DeliveryLog,
    StoredContactPolicy,
    StoredTemplate,
    TemplateStore,
    TouchpointAlreadyRecorded,
)
from notifier.domain.deliveries import Delivery

SOURCE = "/rapport/notifier"


@dataclass
class NotifierTables:
    """The notifier database's tables: deliveries by touchpoint id, templates by brand and key,
    contact policies by brand, and the replica of identity's directory."""

    deliveries: dict[str, Delivery] = field(default_factory=dict)
    templates: dict[tuple[str, str], StoredTemplate] = field(default_factory=dict)
    contact_policies: dict[str, StoredContactPolicy] = field(default_factory=dict)
    directory: DirectoryTables = field(default_factory=DirectoryTables)


def in_memory_database() -> InMemoryDatabase:
    return InMemoryDatabase(NotifierTables())


def _newest_first(delivery: Delivery) -> DeliveryKey:
    return (delivery.created_at, delivery.delivery_id)


def _matches(where: DeliveryFilter, delivery: Delivery) -> bool:
    touchpoint = delivery.touchpoint
    return (
        touchpoint.brand_id == where.brand_id
        and where.member_id in (None, touchpoint.member_id)
        and where.template in (None, touchpoint.template)
        and where.status in (None, delivery.status)
        and where.channel in (None, delivery.channel)
        and where.recipient_id in (None, touchpoint.recipient_id)
    )


def _release_order(delivery: Delivery) -> tuple[datetime, datetime, str]:
    assert delivery.held_until is not None
    return (delivery.held_until, delivery.created_at, delivery.delivery_id)


class InMemoryDeliveries:
    def __init__(self, rows: dict[str, Delivery]) -> None:
        self._rows = rows

    async def hold_member(self, brand_id: str, member_id: str) -> None:
        """Nothing to do: in memory, units of work run one at a time."""

    async def try_hold_member(self, brand_id: str, member_id: str) -> bool:
        return True

    async def due_held(self, now: datetime, count: int) -> list[Delivery]:
        due = [
            row
            for row in self._rows.values()
            if row.status == "held" and row.held_until is not None and row.held_until <= now
        ]
        return sorted(due, key=_release_order)[:count]

    async def exists(self, touchpoint_id: str) -> bool:
        return touchpoint_id in self._rows

    async def marketing_sent_since(
        self, brand_id: str, member_id: str, since: datetime
    ) -> list[datetime]:
        return [
            row.created_at
            for row in self._rows.values()
            if row.touchpoint.brand_id == brand_id
            and row.touchpoint.member_id == member_id
            and row.touchpoint.marketing
            and row.status == "delivered"
            and row.channel != "task"
            and row.created_at > since
        ]

    async def record(self, delivery: Delivery) -> None:
        touchpoint = delivery.touchpoint
        earlier = self._rows.get(touchpoint.touchpoint_id)
        if earlier is not None and earlier.status != "held":
            raise TouchpointAlreadyRecorded(touchpoint.touchpoint_id)
        # Like the table, the log keeps the text sent, not the variables it was made from, and
        # one channel: the one the message went out on.
        kept = replace(
            delivery, touchpoint=replace(touchpoint, variables={}, channel=delivery.channel)
        )
        self._rows[touchpoint.touchpoint_id] = kept

    async def page(
        self, where: DeliveryFilter, after: DeliveryKey | None, count: int
    ) -> list[Delivery]:
        found = [
            row
            for row in self._rows.values()
            if _matches(where, row) and (after is None or _newest_first(row) < after)
        ]
        return sorted(found, key=_newest_first, reverse=True)[:count]


class InMemoryTemplates:
    def __init__(self, rows: dict[tuple[str, str], StoredTemplate]) -> None:
        self._rows = rows

    async def get(self, brand_id: str, key: str) -> StoredTemplate | None:
        return self._rows.get((brand_id, key))

    async def save(self, brand_id: str, stored: StoredTemplate) -> None:
        self._rows[(brand_id, stored.template.key)] = stored

    async def page(self, brand_id: str, after_key: str | None, count: int) -> list[StoredTemplate]:
        keys = sorted(
            key
            for brand, key in self._rows
            if brand == brand_id and (after_key is None or key > after_key)
        )
        return [self._rows[(brand_id, key)] for key in keys[:count]]


class InMemoryContactPolicies:
    def __init__(self, rows: dict[str, StoredContactPolicy]) -> None:
        self._rows = rows

    async def get(self, brand_id: str) -> StoredContactPolicy | None:
        return self._rows.get(brand_id)

    async def save(self, brand_id: str, stored: StoredContactPolicy) -> None:
        self._rows[brand_id] = stored


class InMemoryNotifierUnitOfWork(InMemoryUnitOfWork):
    deliveries: DeliveryLog
    templates: TemplateStore
    contact_policies: ContactPolicyStore
    channel: Channel
    directory: Directory

    def _bind(self, tables: NotifierTables) -> None:
        deliveries = InMemoryDeliveries(tables.deliveries)
        self.deliveries = deliveries
        self.templates = InMemoryTemplates(tables.templates)
        self.contact_policies = InMemoryContactPolicies(tables.contact_policies)
        self.channel = LocalChannel(deliveries)
        self.directory = InMemoryDirectory(tables.directory)
