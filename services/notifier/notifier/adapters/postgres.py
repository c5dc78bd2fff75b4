"""PostgreSQL repositories for deliveries and templates, and the unit of work binding them."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import asyncpg
from rapport_events.directory import Directory, PostgresDirectory
from rapport_events.uow import Connection, UnitOfWork

from notifier.adapters.local_channel import LocalChannel
from notifier.application.ports import (
    Channel,
    DeliveryFilter,
    DeliveryKey,
    DeliveryLog,
    StoredTemplate,
    TemplateStore,
    TouchpointAlreadyRecorded,
)
from notifier.domain.deliveries import Audience, Delivery, DeliveryStatus, Touchpoint
from notifier.domain.templates import ChannelName, Template

C = 'COLLATE "C"'

_DELIVERY_COLUMNS = """
    delivery_id, touchpoint_id, brand_id, store_id, member_id, recipient_id, audience,
    channel, template, marketing, text, status, reason, trace_id, correlation_id, created_at
"""

_FILTERED_COLUMNS = ("member_id", "template", "status", "channel", "recipient_id")


class PostgresDeliveries:
    """The ``deliveries`` table: the handler's log and the HTTP listing."""

    def __init__(self, connection: Connection) -> None:
        self._db = connection

    async def hold_member(self, brand_id: str, member_id: str) -> None:
        # A transaction-scoped advisory lock: released by the commit or rollback.
        await self._db.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            f"notifier.member:{brand_id}:{member_id}",
        )

    async def exists(self, touchpoint_id: str) -> bool:
        found = await self._db.fetchval(
            "SELECT true FROM deliveries WHERE touchpoint_id = $1", touchpoint_id
        )
        return bool(found)

    async def marketing_sent_since(
        self, brand_id: str, member_id: str, since: datetime
    ) -> list[datetime]:
        rows = await self._db.fetch(
            """
            SELECT created_at FROM deliveries
            WHERE brand_id = $1 AND member_id = $2 AND marketing AND status = 'delivered'
              AND channel <> 'task' AND created_at > $3
            """,
            brand_id,
            member_id,
            since,
        )
        return [cast(datetime, row["created_at"]) for row in rows]

    async def record(self, delivery: Delivery) -> None:
        try:
            await self._db.execute(
                f"INSERT INTO deliveries ({_DELIVERY_COLUMNS}) VALUES "
                "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
                *_delivery_values(delivery),
            )
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name != "deliveries_touchpoint_id_key":
                raise
            raise TouchpointAlreadyRecorded(delivery.touchpoint.touchpoint_id) from exc

    async def page(
        self, where: DeliveryFilter, after: DeliveryKey | None, count: int
    ) -> list[Delivery]:
        conditions = ["brand_id = $1"]
        arguments: list[object] = [where.brand_id]
        for column in _FILTERED_COLUMNS:
            value = getattr(where, column)
            if value is not None:
                arguments.append(value)
                conditions.append(f"{column} = ${len(arguments)}")
        if after is not None:
            arguments.extend(after)
            conditions.append(
                f"(created_at, delivery_id {C}) < (${len(arguments) - 1}, ${len(arguments)})"
            )
        arguments.append(count)
        rows = await self._db.fetch(
            f"SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE {' AND '.join(conditions)} "
            f"ORDER BY created_at DESC, delivery_id {C} DESC LIMIT ${len(arguments)}",
            *arguments,
        )
        return [_delivery(row) for row in rows]


def _delivery_values(delivery: Delivery) -> tuple[object, ...]:
    touchpoint = delivery.touchpoint
    return (
        delivery.delivery_id,
        touchpoint.touchpoint_id,
        touchpoint.brand_id,
        touchpoint.store_id,
        touchpoint.member_id,
        touchpoint.recipient_id,
        touchpoint.audience,
        delivery.channel,
        touchpoint.template,
        touchpoint.marketing,
        delivery.text,
        delivery.status,
        delivery.reason,
        delivery.trace_id,
        delivery.correlation_id,
        delivery.created_at,
    )


def _delivery(row: asyncpg.Record) -> Delivery:
    return Delivery(
        delivery_id=row["delivery_id"],
        touchpoint=Touchpoint(
            touchpoint_id=row["touchpoint_id"],
            brand_id=row["brand_id"],
            store_id=row["store_id"],
            member_id=row["member_id"],
            recipient_id=row["recipient_id"],
            audience=cast(Audience, row["audience"]),
            channel=cast(ChannelName, row["channel"]),
            template=row["template"],
            marketing=row["marketing"],
        ),
        channel=cast(ChannelName, row["channel"]),
        status=cast(DeliveryStatus, row["status"]),
        created_at=row["created_at"],
        text=row["text"],
        reason=row["reason"],
        trace_id=row["trace_id"],
        correlation_id=row["correlation_id"],
    )


_TEMPLATE_COLUMNS = "key, channel, body, updated_at, updated_by"


class PostgresTemplates:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    async def get(self, brand_id: str, key: str) -> StoredTemplate | None:
        row = await self._db.fetchrow(
            f"SELECT {_TEMPLATE_COLUMNS} FROM templates WHERE brand_id = $1 AND key = $2",
            brand_id,
            key,
        )
        return None if row is None else _stored(row)

    async def save(self, brand_id: str, stored: StoredTemplate) -> None:
        template = stored.template
        await self._db.execute(
            """
            INSERT INTO templates (brand_id, key, channel, body, updated_at, updated_by)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (brand_id, key) DO UPDATE
            SET channel = EXCLUDED.channel, body = EXCLUDED.body,
                updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
            """,
            brand_id,
            template.key,
            template.channel,
            template.body,
            stored.updated_at,
            stored.updated_by,
        )

    async def page(self, brand_id: str, after_key: str | None, count: int) -> list[StoredTemplate]:
        rows = await self._db.fetch(
            f"SELECT {_TEMPLATE_COLUMNS} FROM templates"
            f" WHERE brand_id = $1 AND ($2::text IS NULL OR key {C} > $2)"
            f" ORDER BY key {C} LIMIT $3",
            brand_id,
            after_key,
            count,
        )
        return [_stored(row) for row in rows]


def _stored(row: asyncpg.Record) -> StoredTemplate:
    return StoredTemplate(
        template=Template(
            key=row["key"], channel=cast(ChannelName, row["channel"]), body=row["body"]
        ),
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
    )


class PostgresNotifierUnitOfWork(UnitOfWork):
    """A transaction over deliveries, templates, the directory replica and the outbox; the
    local channel writes its record in it."""

    deliveries: DeliveryLog
    templates: TemplateStore
    channel: Channel
    directory: Directory

    def _bind(self, connection: Connection) -> None:
        deliveries = PostgresDeliveries(connection)
        self.deliveries = deliveries
        self.templates = PostgresTemplates(connection)
        self.channel = LocalChannel(deliveries)
        self.directory = PostgresDirectory(connection)
