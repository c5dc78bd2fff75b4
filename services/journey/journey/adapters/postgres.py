"""Journeys, timers and touchpoints in PostgreSQL, inside the unit of work's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from rapport_events.contracts.journey import Stage
from rapport_events.directory import PostgresDirectory
from rapport_events.uow import Connection, UnitOfWork

from journey.application.ports import JourneyView, Outcome, TouchpointRecord
from journey.domain.journey import MemberJourney, StageChange
from journey.domain.rules import DORMANCY_TIMER
from journey.domain.timers import Timer

_JOURNEY_COLUMNS = (
    "member_id, brand_id, store_id, surname, gender, birthday, preferred_channel, "
    "associate_id, stage, visit_count, total_spent, first_visit_at, last_visit_at, registered_at"
)
_TIMER_COLUMNS = (
    "timer_id, member_id, brand_id, kind, slot, due_at, armed_for, payload, armed_by_event_id, "
    "traceparent, tracestate, correlation_id"
)
_ACTIVE = "fired_at IS NULL AND cancelled_at IS NULL"


def _journey(row: asyncpg.Record) -> MemberJourney:
    return MemberJourney(**dict(row))


def _timer(row: asyncpg.Record) -> Timer:
    values: dict[str, Any] = dict(row)
    values["payload"] = dict(values["payload"] or {})
    return Timer(**values)


class PostgresJourneys:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def get(self, member_id: str) -> MemberJourney | None:
        row = await self._connection.fetchrow(
            f"SELECT {_JOURNEY_COLUMNS} FROM journeys WHERE member_id = $1 FOR UPDATE",
            member_id,
        )
        return _journey(row) if row is not None else None

    async def load(self, member_id: str, brand_id: str) -> MemberJourney:
        journey = await self.get(member_id)
        if journey is not None:
            return journey
        # The insert waits for a concurrent transaction starting the same journey, so the
        # second one reads (and locks) the first one's row instead of overwriting it.
        await self._connection.execute(
            "INSERT INTO journeys (member_id, brand_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            member_id,
            brand_id,
        )
        journey = await self.get(member_id)
        assert journey is not None  # inserted above, or by a transaction that has committed
        return journey

    async def save(self, journey: MemberJourney, changes: list[StageChange]) -> None:
        await self._connection.execute(
            """
            UPDATE journeys SET
                store_id = $2, surname = $3, gender = $4, birthday = $5, preferred_channel = $6,
                associate_id = $7, stage = $8, visit_count = $9, total_spent = $10,
                first_visit_at = $11, last_visit_at = $12, registered_at = $13
            WHERE member_id = $1
            """,
            journey.member_id,
            journey.store_id,
            journey.surname,
            journey.gender,
            journey.birthday,
            journey.preferred_channel,
            journey.associate_id,
            journey.stage,
            journey.visit_count,
            journey.total_spent,
            journey.first_visit_at,
            journey.last_visit_at,
            journey.registered_at,
        )
        if changes:
            await self._connection.executemany(
                """
                INSERT INTO stage_history (member_id, brand_id, from_stage, to_stage, reason,
                                           changed_at)
                VALUES ($1, $2, $3, $4, $5, $6)
                """,
                [
                    (journey.member_id, journey.brand_id, c.from_stage, c.to_stage, c.reason, c.at)
                    for c in changes
                ],
            )


class PostgresTimers:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def arm(self, timer: Timer, at: datetime) -> None:
        # The journey row the caller holds serialises arming for one member, so checking
        # first is safe; it keeps a timer id armed again from cancelling its successor.
        known = await self._connection.fetchval(
            "SELECT true FROM timers WHERE timer_id = $1", timer.timer_id
        )
        if known:
            return
        await self._connection.execute(
            f"""
            UPDATE timers SET cancelled_at = $5
            WHERE member_id = $1 AND kind = $2 AND slot = $3 AND timer_id <> $4 AND {_ACTIVE}
            """,
            timer.member_id,
            timer.kind,
            timer.slot,
            timer.timer_id,
            at,
        )
        await self._connection.execute(
            f"""
            INSERT INTO timers ({_TIMER_COLUMNS}, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            ON CONFLICT (timer_id) DO NOTHING
            """,
            timer.timer_id,
            timer.member_id,
            timer.brand_id,
            timer.kind,
            timer.slot,
            timer.due_at,
            timer.armed_for,
            dict(timer.payload),
            timer.armed_by_event_id,
            timer.traceparent,
            timer.tracestate,
            timer.correlation_id,
            at,
        )

    async def due(self, now: datetime, limit: int, kinds: frozenset[str]) -> list[Timer]:
        # Locking the journey with the timer keeps the worker from waiting on a consumer
        # that holds the journey (and then the timer it re-arms): such a timer is skipped
        # this round and taken on the next.
        columns = ", ".join(f"t.{column.strip()}" for column in _TIMER_COLUMNS.split(","))
        rows = await self._connection.fetch(
            f"""
            SELECT {columns}
            FROM timers t JOIN journeys j ON j.member_id = t.member_id
            WHERE t.fired_at IS NULL AND t.cancelled_at IS NULL
              AND t.due_at <= $1 AND t.kind = ANY($3::text[])
            ORDER BY t.due_at, t.timer_id
            LIMIT $2
            FOR UPDATE OF t, j SKIP LOCKED
            """,
            now,
            limit,
            sorted(kinds),
        )
        return [_timer(row) for row in rows]

    async def mark_fired(self, timer_id: str, at: datetime) -> None:
        await self._connection.execute(
            "UPDATE timers SET fired_at = $2 WHERE timer_id = $1", timer_id, at
        )


class PostgresTouchpoints:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def record(self, touchpoint: TouchpointRecord) -> bool:
        inserted = await self._connection.fetchval(
            """
            INSERT INTO touchpoints (touchpoint_id, member_id, brand_id, template, channel,
                                     status, reason, requested_at, resolved_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (touchpoint_id) DO NOTHING
            RETURNING true
            """,
            touchpoint.touchpoint_id,
            touchpoint.member_id,
            touchpoint.brand_id,
            touchpoint.template,
            touchpoint.channel,
            touchpoint.status,
            touchpoint.reason,
            touchpoint.requested_at,
            touchpoint.resolved_at,
        )
        return bool(inserted)

    async def resolve(
        self, touchpoint_id: str, member_id: str, status: Outcome, reason: str | None, at: datetime
    ) -> bool:
        updated = await self._connection.fetchval(
            """
            UPDATE touchpoints SET status = $3, reason = $4, resolved_at = $5
            WHERE touchpoint_id = $1 AND member_id = $2 AND status <> 'delivered'
            RETURNING true
            """,
            touchpoint_id,
            member_id,
            status,
            reason,
            at,
        )
        return bool(updated)


class PostgresJourneyViews:
    """Read side for the HTTP API (no locks)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def journey(self, member_id: str) -> JourneyView | None:
        row = await self._connection.fetchrow(
            f"SELECT {_JOURNEY_COLUMNS} FROM journeys WHERE member_id = $1", member_id
        )
        if row is None:
            return None
        history = await self._connection.fetch(
            """
            SELECT from_stage, to_stage, reason, changed_at AS at FROM stage_history
            WHERE member_id = $1 ORDER BY id
            """,
            member_id,
        )
        touchpoints = await self._connection.fetch(
            """
            SELECT touchpoint_id, member_id, brand_id, template, channel, status, reason,
                   requested_at, resolved_at
            FROM touchpoints WHERE member_id = $1 ORDER BY requested_at, touchpoint_id
            """,
            member_id,
        )
        dormant_after = await self._connection.fetchval(
            f"SELECT due_at FROM timers WHERE member_id = $1 AND kind = $2 AND {_ACTIVE}",
            member_id,
            DORMANCY_TIMER,
        )
        return JourneyView(
            journey=_journey(row),
            dormant_after=dormant_after,
            stage_history=[StageChange(**dict(r)) for r in history],
            touchpoints=[TouchpointRecord(**dict(r)) for r in touchpoints],
        )

    async def stage_counts(self, brand_id: str, store_id: str | None) -> dict[Stage, int]:
        rows = await self._connection.fetch(
            """
            SELECT stage, count(*) AS members FROM journeys
            WHERE brand_id = $1 AND stage IS NOT NULL AND ($2::text IS NULL OR store_id = $2)
            GROUP BY stage
            """,
            brand_id,
            store_id,
        )
        return {row["stage"]: row["members"] for row in rows}


class PostgresJourneyUnitOfWork(UnitOfWork):
    """One transaction over the journey's tables, the directory replica, the event store and
    the outbox."""

    journeys: PostgresJourneys
    timers: PostgresTimers
    touchpoints: PostgresTouchpoints
    views: PostgresJourneyViews
    directory: PostgresDirectory

    def _bind(self, connection: Connection) -> None:
        self.journeys = PostgresJourneys(connection)
        self.timers = PostgresTimers(connection)
        self.touchpoints = PostgresTouchpoints(connection)
        self.views = PostgresJourneyViews(connection)
        self.directory = PostgresDirectory(connection)
