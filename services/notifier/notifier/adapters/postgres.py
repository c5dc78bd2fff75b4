"""PostgreSQL repositories for deliveries, templates and contact policies, and the unit of work
binding them."""

from __future__ import annotations

from datetime import datetime, time
from typing import cast

import asyncpg
from rapport_events.directory import Directory, PostgresDirectory
from rapport_events.uow import Connection, UnitOfWork

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
from notifier.domain.contact_policy import ContactPolicy, MarketingCap, QuietHours
from notifier.domain.deliveries import Audience, Delivery, DeliveryStatus, Touchpoint
from notifier.domain.templates import ChannelName, Template

C = 'COLLATE "C"'

_DELIVERY_COLUMNS = """
    delivery_id, touchpoint_id, brand_id, store_id, member_id, recipient_id, audience,
    channel, template, marketing, text, status, reason, trace_id, correlation_id, created_at,
    held_until, traceparent, tracestate
"""
_PLACEHOLDERS = ", ".join(f"${n}" for n in range(1, len(_DELIVERY_COLUMNS.split(",")) + 1))
# What a release writes over a held row (all but the touchpoint's own columns).
_RELEASED_COLUMNS = (
    "delivery_id",
    "channel",
    "text",
    "status",
    "reason",
    "trace_id",
    "correlation_id",
    "created_at",
    "held_until",
    "traceparent",
    "tracestate",
)

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

    async def try_hold_member(self, brand_id: str, member_id: str) -> bool:
        held = await self._db.fetchval(
            "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))",
            f"notifier.member:{brand_id}:{member_id}",
        )
        return bool(held)

    async def due_held(self, now: datetime, count: int) -> list[Delivery]:
        rows = await self._db.fetch(
            f"""
            SELECT {_DELIVERY_COLUMNS} FROM deliveries
            WHERE status = 'held' AND held_until <= $1
            ORDER BY held_until, created_at, delivery_id {C}
            LIMIT $2
            FOR UPDATE SKIP LOCKED
            """,
            now,
            count,
        )
        return [_delivery(row) for row in rows]

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
        released = ", ".join(f"{column} = EXCLUDED.{column}" for column in _RELEASED_COLUMNS)
        stored = await self._db.fetchval(
            f"INSERT INTO deliveries ({_DELIVERY_COLUMNS}) VALUES ({_PLACEHOLDERS}) "
            f"ON CONFLICT (touchpoint_id) DO UPDATE SET {released} "
            "WHERE deliveries.status = 'held' RETURNING true",
            *_delivery_values(delivery),
        )
        if not stored:
            raise TouchpointAlreadyRecorded(delivery.touchpoint.touchpoint_id)

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
        delivery.held_until,
        delivery.traceparent,
        delivery.tracestate,
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
        held_until=row["held_until"],
        traceparent=row["traceparent"],
        tracestate=row["tracestate"],
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


_POLICY_COLUMNS = (
    "marketing_limit, marketing_window_days, quiet_hours_enabled, quiet_start, quiet_end, "
    "time_zone, updated_at, updated_by"
)


class PostgresContactPolicies:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    async def get(self, brand_id: str) -> StoredContactPolicy | None:
        row = await self._db.fetchrow(
            f"SELECT {_POLICY_COLUMNS} FROM contact_policies WHERE brand_id = $1", brand_id
        )
        return None if row is None else _stored_policy(row)

    async def save(self, brand_id: str, stored: StoredContactPolicy) -> None:
        cap = stored.policy.marketing_cap
        quiet = stored.policy.quiet_hours
        await self._db.execute(
            f"""
            INSERT INTO contact_policies (brand_id, {_POLICY_COLUMNS})
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (brand_id) DO UPDATE
            SET marketing_limit = EXCLUDED.marketing_limit,
                marketing_window_days = EXCLUDED.marketing_window_days,
                quiet_hours_enabled = EXCLUDED.quiet_hours_enabled,
                quiet_start = EXCLUDED.quiet_start, quiet_end = EXCLUDED.quiet_end,
                time_zone = EXCLUDED.time_zone,
                updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
            """,
            brand_id,
            cap.limit,
            cap.window_days,
            quiet.enabled,
            quiet.start,
            quiet.end,
            quiet.time_zone,
            stored.updated_at,
            stored.updated_by,
        )


def _stored_policy(row: asyncpg.Record) -> StoredContactPolicy:
    return StoredContactPolicy(
        policy=ContactPolicy(
            marketing_cap=MarketingCap.of_days(
                row["marketing_limit"], row["marketing_window_days"]
            ),
            quiet_hours=QuietHours(
                start=cast(time, row["quiet_start"]),
                end=cast(time, row["quiet_end"]),
                time_zone=row["time_zone"],
                enabled=row["quiet_hours_enabled"],
            ),
        ),
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
    )


class PostgresNotifierUnitOfWork(UnitOfWork):
    """A transaction over deliveries, templates, contact policies, the directory replica and
    the outbox; the local channel writes its record in it."""

    deliveries: DeliveryLog
    templates: TemplateStore
    contact_policies: ContactPolicyStore
    channel: Channel
    directory: Directory

    def _bind(self, connection: Connection) -> None:
        deliveries = PostgresDeliveries(connection)
        self.deliveries = deliveries
        self.templates = PostgresTemplates(connection)
        self.contact_policies = PostgresContactPolicies(connection)
        self.channel = LocalChannel(deliveries)
        self.directory = PostgresDirectory(connection)
