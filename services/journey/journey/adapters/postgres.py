"""Journeys, timers and touchpoints in PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rapport_events.store import Connection

from journey.application.ports import TouchpointRecord
from journey.domain.journey import MemberJourney, StageChange
from journey.domain.timers import Timer

_JOURNEY_COLUMNS = (
    "member_id, brand_id, store_id, surname, gender, preferred_channel, associate_id, stage, "
    "visit_count, first_visit_at, last_visit_at, registered_at"
)


class PostgresJourneyStore:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def get(self, member_id: str) -> MemberJourney | None:
        row = await self._connection.fetchrow(
            f"SELECT {_JOURNEY_COLUMNS} FROM journeys WHERE member_id = $1 FOR UPDATE",
            member_id,
        )
        return MemberJourney(**dict(row)) if row else None

    async def save(self, journey: MemberJourney, changes: list[StageChange]) -> None:
        await self._connection.execute(
            f"""
            INSERT INTO journeys ({_JOURNEY_COLUMNS})
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            ON CONFLICT (member_id) DO UPDATE SET
                store_id = excluded.store_id, surname = excluded.surname,
                gender = excluded.gender, preferred_channel = excluded.preferred_channel,
                associate_id = excluded.associate_id, stage = excluded.stage,
                visit_count = excluded.visit_count, first_visit_at = excluded.first_visit_at,
                last_visit_at = excluded.last_visit_at, registered_at = excluded.registered_at
            """,
            journey.member_id,
            journey.brand_id,
            journey.store_id,
            journey.surname,
            journey.gender,
            journey.preferred_channel,
            journey.associate_id,
            journey.stage,
            journey.visit_count,
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

    async def arm(self, timer: Timer) -> None:
        await self._connection.execute(
            """
            UPDATE timers SET cancelled_at = now()
            WHERE member_id = $1 AND kind = $2 AND fired_at IS NULL AND cancelled_at IS NULL
            """,
            timer.member_id,
            timer.kind,
        )
        await self._connection.execute(
            """
            INSERT INTO timers (timer_id, member_id, brand_id, kind, due_at, armed_for,
                                armed_by_event_id, traceparent, tracestate, correlation_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """,
            timer.timer_id,
            timer.member_id,
            timer.brand_id,
            timer.kind,
            timer.due_at,
            timer.armed_for,
            timer.armed_by_event_id,
            timer.traceparent,
            timer.tracestate,
            timer.correlation_id,
        )

    async def due_timers(self, now: datetime, limit: int) -> list[Timer]:
        rows = await self._connection.fetch(
            """
            SELECT timer_id, member_id, brand_id, kind, due_at, armed_for, armed_by_event_id,
                   traceparent, tracestate, correlation_id
            FROM timers
            WHERE fired_at IS NULL AND cancelled_at IS NULL AND due_at <= $1
            ORDER BY due_at
            LIMIT $2
            FOR UPDATE SKIP LOCKED
            """,
            now,
            limit,
        )
        return [Timer(**dict(row)) for row in rows]

    async def mark_fired(self, timer_id: str, at: datetime) -> None:
        await self._connection.execute(
            "UPDATE timers SET fired_at = $2 WHERE timer_id = $1", timer_id, at
        )

    async def record_touchpoint(self, touchpoint: TouchpointRecord) -> None:
        await self._connection.execute(
            """
            INSERT INTO touchpoints (touchpoint_id, member_id, brand_id, template, channel,
                                     status, requested_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (touchpoint_id) DO NOTHING
            """,
            touchpoint.touchpoint_id,
            touchpoint.member_id,
            touchpoint.brand_id,
            touchpoint.template,
            touchpoint.channel,
            touchpoint.status,
            touchpoint.requested_at,
        )

    async def resolve_touchpoint(
        self, touchpoint_id: str, status: str, reason: str | None, at: datetime
    ) -> None:
        await self._connection.execute(
            """
            UPDATE touchpoints SET status = $2, reason = $3, resolved_at = $4
            WHERE touchpoint_id = $1
            """,
            touchpoint_id,
            status,
            reason,
            at,
        )


@dataclass(frozen=True)
class JourneyView:
    journey: MemberJourney
    dormant_after: datetime | None
    stage_history: list[dict[str, Any]]
    touchpoints: list[dict[str, Any]]


class JourneyQueries:
    """Read side for the HTTP API."""

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
            SELECT from_stage, to_stage, reason, changed_at FROM stage_history
            WHERE member_id = $1 ORDER BY id
            """,
            member_id,
        )
        touchpoints = await self._connection.fetch(
            """
            SELECT touchpoint_id, template, channel, status, reason, requested_at, resolved_at
            FROM touchpoints WHERE member_id = $1 ORDER BY requested_at
            """,
            member_id,
        )
        dormant_after = await self._connection.fetchval(
            """
            SELECT due_at FROM timers
            WHERE member_id = $1 AND kind = 'dormancy' AND fired_at IS NULL
              AND cancelled_at IS NULL
            """,
            member_id,
        )
        return JourneyView(
            journey=MemberJourney(**dict(row)),
            dormant_after=dormant_after,
            stage_history=[dict(r) for r in history],
            touchpoints=[dict(r) for r in touchpoints],
        )

    async def stage_counts(self, brand_id: str, store_id: str | None) -> dict[str, int]:
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
