"""PostgreSQL repositories for deliveries and templates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeAlias, cast

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from notifier.application.ports import DeliveryQuery, StoredTemplate
from notifier.domain.deliveries import Audience, Delivery, DeliveryStatus, Touchpoint
from notifier.domain.templates import ChannelName, Template

# asyncpg's classes are generic only in its stubs, so the alias must stay a string.
Connection: TypeAlias = "PoolConnectionProxy[Any] | asyncpg.Connection[Any]"

_DELIVERY_COLUMNS = """
    delivery_id, touchpoint_id, brand_id, store_id, member_id, recipient_id, audience,
    channel, template, marketing, text, status, reason, trace_id, correlation_id, created_at
"""


class PostgresDeliveries:
    """The ``deliveries`` table: the handler's log and the HTTP listing."""

    def __init__(self, connection: Connection) -> None:
        self._db = connection

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
              AND created_at > $3
            """,
            brand_id,
            member_id,
            since,
        )
        return [cast(datetime, row["created_at"]) for row in rows]

    async def record(self, delivery: Delivery) -> None:
        touchpoint = delivery.touchpoint
        await self._db.execute(
            f"INSERT INTO deliveries ({_DELIVERY_COLUMNS}) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
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

    async def search(self, query: DeliveryQuery) -> Sequence[Delivery]:
        conditions = ["brand_id = $1"]
        arguments: list[object] = [query.brand_id]
        for column, value in (
            ("member_id", query.member_id),
            ("template", query.template),
            ("status", query.status),
            ("channel", query.channel),
            ("recipient_id", query.recipient_id),
        ):
            if value is not None:
                arguments.append(value)
                conditions.append(f"{column} = ${len(arguments)}")
        arguments.append(query.limit)
        rows = await self._db.fetch(
            f"SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE {' AND '.join(conditions)} "
            f"ORDER BY created_at DESC, seq DESC LIMIT ${len(arguments)}",
            *arguments,
        )
        return [_delivery(row) for row in rows]


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


class PostgresTemplates:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    async def for_brand(self, brand_id: str) -> dict[str, StoredTemplate]:
        rows = await self._db.fetch(
            "SELECT key, channel, body, updated_at, updated_by FROM templates WHERE brand_id = $1",
            brand_id,
        )
        return {row["key"]: _stored(row) for row in rows}

    async def get(self, brand_id: str, key: str) -> StoredTemplate | None:
        row = await self._db.fetchrow(
            "SELECT key, channel, body, updated_at, updated_by FROM templates "
            "WHERE brand_id = $1 AND key = $2",
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


def _stored(row: asyncpg.Record) -> StoredTemplate:
    return StoredTemplate(
        template=Template(
            key=row["key"], channel=cast(ChannelName, row["channel"]), body=row["body"]
        ),
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
    )
