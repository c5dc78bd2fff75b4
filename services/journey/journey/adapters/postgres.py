"""Journeys, timers and touchpoints in PostgreSQL, inside the unit of work's transaction."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import asyncpg
from rapport_events.contracts.journey import Stage
from rapport_events.directory import PostgresDirectory
from rapport_events.uow import Connection, UnitOfWork
from rapport_events.watermarks import event_time_watermark

from journey.application.ports import (
    AssigneeTasks,
    Collected,
    DailyMoves,
    FigureScope,
    GoalConversion,
    GoalOutcome,
    JourneyView,
    MapRecord,
    MapStageMove,
    MapTimer,
    MapVersion,
    MemberPosition,
    Outcome,
    StageCount,
    Task,
    TaskFilter,
    TimelineLine,
    TimerCancelling,
    TouchpointRecord,
    Transition,
    WinBack,
)
from journey.domain.engine import OpenGoal, Position
from journey.domain.facts import MemberEvent
from journey.domain.journey import MemberJourney, StageChange
from journey.domain.maps.defaults import DORMANCY_TRIGGER
from journey.domain.timers import Timer
from journey.settings import SERVICE_NAME

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
    values.pop("map_key", None)
    values.pop("map_version", None)
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

    async def lock_many(self, brands: Mapping[str, str]) -> dict[str, MemberJourney]:
        ids = sorted(brands)
        # Missing journeys first (waiting for a concurrent transaction starting the same
        # one), then every row locked in member order, so two batches never deadlock.
        await self._connection.execute(
            """
            INSERT INTO journeys (member_id, brand_id)
            SELECT * FROM unnest($1::text[], $2::text[])
            ORDER BY 1
            ON CONFLICT DO NOTHING
            """,
            ids,
            [brands[member_id] for member_id in ids],
        )
        rows = await self._connection.fetch(
            f"SELECT {_JOURNEY_COLUMNS} FROM journeys WHERE member_id = ANY($1::text[])"
            " ORDER BY member_id FOR UPDATE",
            ids,
        )
        return {row["member_id"]: _journey(row) for row in rows}

    async def save_many(self, journeys: Sequence[MemberJourney]) -> None:
        if not journeys:
            return
        rows = [
            {
                "member_id": j.member_id,
                "store_id": j.store_id,
                "surname": j.surname,
                "gender": j.gender,
                "birthday": j.birthday.isoformat() if j.birthday else None,
                "preferred_channel": j.preferred_channel,
                "associate_id": j.associate_id,
                "stage": j.stage,
                "visit_count": j.visit_count,
                "total_spent": str(j.total_spent),
                "first_visit_at": _iso(j.first_visit_at),
                "last_visit_at": _iso(j.last_visit_at),
                "registered_at": _iso(j.registered_at),
            }
            for j in journeys
        ]
        await self._connection.execute(
            """
            UPDATE journeys j SET
                store_id = r.store_id, surname = r.surname, gender = r.gender,
                birthday = r.birthday, preferred_channel = r.preferred_channel,
                associate_id = r.associate_id, stage = r.stage, visit_count = r.visit_count,
                total_spent = r.total_spent, first_visit_at = r.first_visit_at,
                last_visit_at = r.last_visit_at, registered_at = r.registered_at
            FROM jsonb_to_recordset($1::text::jsonb) AS r(
                member_id text, store_id text, surname text, gender text, birthday date,
                preferred_channel text, associate_id text, stage text, visit_count integer,
                total_spent numeric, first_visit_at timestamptz, last_visit_at timestamptz,
                registered_at timestamptz)
            WHERE j.member_id = r.member_id
            """,
            json.dumps(rows),
        )

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
            WHERE member_id = $1 AND kind = $2 AND slot = $3 AND timer_id <> $4
              AND map_key IS NULL AND {_ACTIVE}
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

    async def arm_on_maps(self, timers: Sequence[MapTimer], at: datetime) -> None:
        # Three statements for the whole batch: find the known ids (arming one again
        # changes nothing), cancel the active timers the new ones replace, insert the new
        # ones. Of two new timers for one slot in a batch the last wins, as arming them one
        # after the other would leave it.
        if not timers:
            return
        ids = [armed.timer.timer_id for armed in timers]
        known = {
            row["timer_id"]
            for row in await self._connection.fetch(
                "SELECT timer_id FROM timers WHERE timer_id = ANY($1::text[])", ids
            )
        }
        latest: dict[tuple[str, str, str, str], MapTimer] = {}
        fresh: dict[str, MapTimer] = {}
        for armed in timers:
            t = armed.timer
            if t.timer_id not in known and t.timer_id not in fresh:
                latest[(t.member_id, armed.map_key, t.kind, t.slot)] = armed
                fresh[t.timer_id] = armed
        if not fresh:
            return
        standing = {armed.timer.timer_id for armed in latest.values()}
        # One superseded within the batch is stored cancelled, as if armed and replaced.
        rows = json.dumps(
            [
                {**_map_timer_row(armed), "cancelled_at": None if timer_id in standing else at}
                for timer_id, armed in fresh.items()
            ],
            default=_json_default,
        )
        await self._connection.execute(
            f"""
            UPDATE timers t SET cancelled_at = $2
            FROM jsonb_to_recordset($1::text::jsonb)
                AS r(member_id text, map_key text, kind text, slot text)
            WHERE t.member_id = r.member_id AND t.map_key = r.map_key AND t.kind = r.kind
              AND t.slot = r.slot AND t.{_ACTIVE.replace(" AND ", " AND t.")}
            """,
            rows,
            at,
        )
        await self._connection.execute(
            f"""
            INSERT INTO timers ({_TIMER_COLUMNS}, map_key, map_version, cancelled_at,
                                created_at)
            SELECT {_TIMER_COLUMNS}, map_key, map_version, cancelled_at, $2
            FROM jsonb_to_recordset($1::text::jsonb) AS r(
                timer_id text, member_id text, brand_id text, kind text, slot text,
                due_at timestamptz, armed_for timestamptz, payload jsonb,
                armed_by_event_id text, traceparent text, tracestate text,
                correlation_id text, map_key text, map_version integer,
                cancelled_at timestamptz)
            ON CONFLICT (timer_id) DO NOTHING
            """,
            rows,
            at,
        )

    async def cancel_kind(
        self,
        member_id: str,
        kind: str,
        map_key: str | None,
        at: datetime,
        *,
        slot: str | None = None,
        armed_before: datetime | None = None,
    ) -> int:
        cancelled = await self._connection.fetch(
            f"""
            UPDATE timers SET cancelled_at = $4
            WHERE member_id = $1 AND kind = $2 AND map_key IS NOT DISTINCT FROM $3
              AND ($5::text IS NULL OR slot = $5)
              AND ($6::timestamptz IS NULL OR armed_for < $6)
              AND {_ACTIVE}
            RETURNING timer_id
            """,
            member_id,
            kind,
            map_key,
            at,
            slot,
            armed_before,
        )
        return len(cancelled)

    async def cancel_many(self, cancels: Sequence[TimerCancelling], at: datetime) -> None:
        if not cancels:
            return
        rows = [
            {
                "member_id": c.member_id,
                "kind": c.kind,
                "map_key": c.map_key,
                "slot": c.slot,
                "armed_before": _iso(c.armed_before),
            }
            for c in cancels
        ]
        await self._connection.execute(
            """
            UPDATE timers t SET cancelled_at = $2
            FROM jsonb_to_recordset($1::text::jsonb) AS r(
                member_id text, kind text, map_key text, slot text, armed_before timestamptz)
            WHERE t.member_id = r.member_id AND t.kind = r.kind
              AND t.map_key IS NOT DISTINCT FROM r.map_key
              AND (r.slot IS NULL OR t.slot = r.slot)
              AND (r.armed_before IS NULL OR t.armed_for < r.armed_before)
              AND t.fired_at IS NULL AND t.cancelled_at IS NULL
            """,
            json.dumps(rows),
            at,
        )

    async def due(self, now: datetime, limit: int, kinds: frozenset[str]) -> list[Timer]:
        rows = await self._due(
            now, limit, "AND t.map_key IS NULL AND t.kind = ANY($3::text[])", sorted(kinds)
        )
        return [_timer(row) for row in rows]

    async def due_on_maps(self, now: datetime, limit: int) -> list[MapTimer]:
        rows = await self._due(now, limit, "AND t.map_key IS NOT NULL")
        return [
            MapTimer(_timer(row), map_key=row["map_key"], map_version=row["map_version"])
            for row in rows
        ]

    async def _due(
        self, now: datetime, limit: int, condition: str, *arguments: Any
    ) -> list[asyncpg.Record]:
        # Locking the journey with the timer keeps the worker from waiting on a consumer
        # that holds the journey (and then the timer it re-arms): such a timer is skipped
        # this round and taken on the next.
        columns = ", ".join(f"t.{column.strip()}" for column in _TIMER_COLUMNS.split(","))
        rows: list[asyncpg.Record] = await self._connection.fetch(
            f"""
            SELECT {columns}, t.map_key, t.map_version
            FROM timers t JOIN journeys j ON j.member_id = t.member_id
            WHERE t.fired_at IS NULL AND t.cancelled_at IS NULL
              AND t.due_at <= $1 {condition}
            ORDER BY t.due_at, t.timer_id
            LIMIT $2
            FOR UPDATE OF t, j SKIP LOCKED
            """,
            now,
            limit,
            *arguments,
        )
        return rows

    async def mark_fired(self, timer_id: str, at: datetime) -> None:
        await self._connection.execute(
            "UPDATE timers SET fired_at = $2 WHERE timer_id = $1", timer_id, at
        )

    async def mark_fired_many(self, timer_ids: Sequence[str], at: datetime) -> None:
        await self._connection.execute(
            "UPDATE timers SET fired_at = $2 WHERE timer_id = ANY($1::text[])",
            list(timer_ids),
            at,
        )


def _iso(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant is not None else None


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _map_timer_row(armed: MapTimer) -> dict[str, Any]:
    t = armed.timer
    return {
        "timer_id": t.timer_id,
        "member_id": t.member_id,
        "brand_id": t.brand_id,
        "kind": t.kind,
        "slot": t.slot,
        "due_at": t.due_at,
        "armed_for": t.armed_for,
        "payload": dict(t.payload),
        "armed_by_event_id": t.armed_by_event_id,
        "traceparent": t.traceparent,
        "tracestate": t.tracestate,
        "correlation_id": t.correlation_id,
        "map_key": armed.map_key,
        "map_version": armed.map_version,
    }


class PostgresTouchpoints:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def record(self, touchpoint: TouchpointRecord) -> bool:
        inserted = await self._connection.fetchval(
            """
            INSERT INTO touchpoints (touchpoint_id, member_id, brand_id, template, channel,
                                     status, reason, requested_at, resolved_at, map_key,
                                     trigger)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
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
            touchpoint.map_key,
            touchpoint.trigger,
        )
        return bool(inserted)

    async def record_many(self, touchpoints: Sequence[TouchpointRecord]) -> list[str]:
        if not touchpoints:
            return []
        rows = [
            {
                "touchpoint_id": t.touchpoint_id,
                "member_id": t.member_id,
                "brand_id": t.brand_id,
                "template": t.template,
                "channel": t.channel,
                "status": t.status,
                "reason": t.reason,
                "requested_at": t.requested_at.isoformat(),
                "resolved_at": _iso(t.resolved_at),
                "map_key": t.map_key,
                "trigger": t.trigger,
            }
            for t in touchpoints
        ]
        inserted = await self._connection.fetch(
            """
            INSERT INTO touchpoints (touchpoint_id, member_id, brand_id, template, channel,
                                     status, reason, requested_at, resolved_at, map_key,
                                     trigger)
            SELECT * FROM jsonb_to_recordset($1::text::jsonb) AS r(
                touchpoint_id text, member_id text, brand_id text, template text, channel text,
                status text, reason text, requested_at timestamptz, resolved_at timestamptz,
                map_key text, trigger text)
            ON CONFLICT (touchpoint_id) DO NOTHING
            RETURNING touchpoint_id
            """,
            json.dumps(rows),
        )
        new = {row["touchpoint_id"] for row in inserted}
        return [t.touchpoint_id for t in touchpoints if t.touchpoint_id in new]

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
            WHERE member_id = $1 AND coalesce(map_key, 'lifecycle') = 'lifecycle'
            ORDER BY changed_at, id
            """,
            member_id,
        )
        touchpoints = await self._connection.fetch(
            """
            SELECT touchpoint_id, member_id, brand_id, template, channel, status, reason,
                   requested_at, resolved_at, map_key, trigger
            FROM touchpoints WHERE member_id = $1 ORDER BY requested_at, touchpoint_id
            """,
            member_id,
        )
        dormant_after = await self._connection.fetchval(
            "SELECT due_at FROM timers WHERE member_id = $1 AND kind = $2"
            f" AND coalesce(map_key, 'lifecycle') = 'lifecycle' AND {_ACTIVE}",
            member_id,
            DORMANCY_TRIGGER,
        )
        return JourneyView(
            journey=_journey(row),
            dormant_after=dormant_after,
            stage_history=[StageChange(**dict(r)) for r in history],
            touchpoints=[TouchpointRecord(**dict(r)) for r in touchpoints],
        )

    async def member(self, member_id: str) -> MemberJourney | None:
        row = await self._connection.fetchrow(
            f"SELECT {_JOURNEY_COLUMNS} FROM journeys WHERE member_id = $1", member_id
        )
        return _journey(row) if row is not None else None

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


def _as_json(rows: object) -> str:
    """Rows as one JSON text, for ``jsonb_to_recordset``: a batch in one statement."""
    return json.dumps(rows, default=_json_default)


_MAP_COLUMNS = (
    "m.brand_id, m.key, m.title, m.draft, m.draft_saved_at, m.draft_saved_by, m.active_version"
)
_LATEST = (
    "(SELECT coalesce(max(v.version), 0) FROM journey_map_versions v "
    "WHERE v.brand_id = m.brand_id AND v.key = m.key) AS latest_version"
)
_VERSION_COLUMNS = (
    "brand_id, key, version, title, document, published_at, published_by, republished_from"
)


class PostgresMaps:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def save_draft(
        self,
        brand_id: str,
        key: str,
        title: str,
        document: Mapping[str, Any],
        at: datetime,
        by: str,
    ) -> MapRecord:
        await self._connection.execute(
            """
            INSERT INTO journey_maps (brand_id, key, title, draft, draft_saved_at,
                                      draft_saved_by)
            VALUES ($1, $2, $3, $4::text::jsonb, $5, $6)
            ON CONFLICT (brand_id, key) DO UPDATE SET
                title = excluded.title, draft = excluded.draft,
                draft_saved_at = excluded.draft_saved_at, draft_saved_by = excluded.draft_saved_by
            """,
            brand_id,
            key,
            title,
            _as_json(dict(document)),
            at,
            by,
        )
        saved = await self.get(brand_id, key)
        assert saved is not None
        return saved

    async def _one(self, brand_id: str, key: str, lock: str) -> MapRecord | None:
        row = await self._connection.fetchrow(
            f"SELECT {_MAP_COLUMNS}, {_LATEST} FROM journey_maps m "
            f"WHERE m.brand_id = $1 AND m.key = $2 {lock}",
            brand_id,
            key,
        )
        return MapRecord(**dict(row)) if row is not None else None

    async def get(self, brand_id: str, key: str) -> MapRecord | None:
        return await self._one(brand_id, key, "")

    async def lock(self, brand_id: str, key: str) -> MapRecord | None:
        return await self._one(brand_id, key, "FOR UPDATE")

    async def page(self, brand_id: str, after: str | None, limit: int) -> list[MapRecord]:
        rows = await self._connection.fetch(
            f"""
            SELECT {_MAP_COLUMNS}, {_LATEST} FROM journey_maps m
            WHERE m.brand_id = $1 AND ($2::text IS NULL OR m.key > $2)
            ORDER BY m.key LIMIT $3
            """,
            brand_id,
            after,
            limit,
        )
        return [MapRecord(**dict(row)) for row in rows]

    async def publish(
        self,
        brand_id: str,
        key: str,
        document: Mapping[str, Any],
        title: str,
        at: datetime,
        by: str,
        republished_from: int | None = None,
    ) -> MapVersion:
        # The caller holds the map row (lock()), so max + 1 is nobody else's number.
        row = await self._connection.fetchrow(
            f"""
            WITH published AS (
                INSERT INTO journey_map_versions ({_VERSION_COLUMNS})
                SELECT $1, $2,
                       (SELECT coalesce(max(version), 0) + 1 FROM journey_map_versions
                        WHERE brand_id = $1 AND key = $2),
                       $3, $4::text::jsonb, $5, $6, $7
                RETURNING {_VERSION_COLUMNS}
            ), activated AS (
                UPDATE journey_maps SET active_version = (SELECT version FROM published)
                WHERE brand_id = $1 AND key = $2
            )
            SELECT * FROM published
            """,
            brand_id,
            key,
            title,
            _as_json(dict(document)),
            at,
            by,
            republished_from,
        )
        assert row is not None
        return MapVersion(**dict(row))

    async def version(self, brand_id: str, key: str, version: int) -> MapVersion | None:
        row = await self._connection.fetchrow(
            f"SELECT {_VERSION_COLUMNS} FROM journey_map_versions "
            "WHERE brand_id = $1 AND key = $2 AND version = $3",
            brand_id,
            key,
            version,
        )
        return MapVersion(**dict(row)) if row is not None else None

    async def versions(self, brand_id: str, key: str) -> list[MapVersion]:
        rows = await self._connection.fetch(
            f"SELECT {_VERSION_COLUMNS} FROM journey_map_versions "
            "WHERE brand_id = $1 AND key = $2 ORDER BY version",
            brand_id,
            key,
        )
        return [MapVersion(**dict(row)) for row in rows]

    async def active(self, brand_id: str) -> list[MapVersion]:
        columns = ", ".join(f"v.{c.strip()}" for c in _VERSION_COLUMNS.split(","))
        rows = await self._connection.fetch(
            f"""
            SELECT {columns} FROM journey_maps m
            JOIN journey_map_versions v
              ON v.brand_id = m.brand_id AND v.key = m.key AND v.version = m.active_version
            WHERE m.brand_id = $1 ORDER BY m.key
            """,
            brand_id,
        )
        return [MapVersion(**dict(row)) for row in rows]


def _member_event(row: asyncpg.Record) -> MemberEvent:
    return MemberEvent(
        event_id=row["event_id"],
        member_id=row["member_id"],
        brand_id=row["brand_id"],
        kind=row["kind"],
        at=row["occurred_at"],
        data=row["data"],
    )


class PostgresMemberEvents:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def add(self, events: Sequence[MemberEvent], recorded_at: datetime) -> list[str]:
        if not events:
            return []
        rows = [
            {
                "position": position,
                "event_id": event.event_id,
                "brand_id": event.brand_id,
                "member_id": event.member_id,
                "kind": event.kind,
                "occurred_at": event.at,
                "data": dict(event.data),
            }
            for position, event in enumerate(events)
        ]
        added = await self._connection.fetch(
            """
            WITH given AS (
                SELECT DISTINCT ON (event_id) * FROM jsonb_to_recordset($1::text::jsonb) AS r(
                    position integer, event_id text, brand_id text, member_id text, kind text,
                    occurred_at timestamptz, data jsonb)
                ORDER BY event_id, position
            ), inserted AS (
                INSERT INTO member_events (event_id, brand_id, member_id, kind, occurred_at,
                                           data, recorded_at)
                SELECT event_id, brand_id, member_id, kind, occurred_at, data, $2 FROM given
                ON CONFLICT (event_id) DO NOTHING
                RETURNING event_id
            )
            SELECT g.event_id FROM given g JOIN inserted USING (event_id) ORDER BY g.position
            """,
            _as_json(rows),
            recorded_at,
        )
        return [row["event_id"] for row in added]

    async def page(
        self,
        brand_id: str,
        member_id: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[MemberEvent]:
        # Two statements so each reads its own index in order.
        after_at, after_id = after if after is not None else (None, None)
        if member_id is None:
            rows = await self._connection.fetch(
                """
                SELECT event_id, member_id, brand_id, kind, occurred_at, data
                FROM member_events
                WHERE brand_id = $1
                  AND ($2::timestamptz IS NULL OR (occurred_at, event_id) > ($2, $3::text))
                ORDER BY occurred_at, event_id LIMIT $4
                """,
                brand_id,
                after_at,
                after_id,
                limit,
            )
        else:
            rows = await self._connection.fetch(
                """
                SELECT event_id, member_id, brand_id, kind, occurred_at, data
                FROM member_events
                WHERE member_id = $1 AND brand_id = $5
                  AND ($2::timestamptz IS NULL OR (occurred_at, event_id) > ($2, $3::text))
                ORDER BY occurred_at, event_id LIMIT $4
                """,
                member_id,
                after_at,
                after_id,
                limit,
                brand_id,
            )
        return [_member_event(row) for row in rows]


class PostgresFactSnapshots:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def load(self, member_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        rows = await self._connection.fetch(
            "SELECT member_id, facts FROM journeys "
            "WHERE member_id = ANY($1::text[]) AND facts IS NOT NULL",
            list(member_ids),
        )
        return {row["member_id"]: row["facts"] for row in rows}

    async def save(self, snapshots: Mapping[str, Mapping[str, Any]]) -> None:
        if not snapshots:
            return
        rows = [{"member_id": m, "facts": dict(f)} for m, f in snapshots.items()]
        await self._connection.execute(
            """
            UPDATE journeys j SET facts = r.facts
            FROM jsonb_to_recordset($1::text::jsonb) AS r(member_id text, facts jsonb)
            WHERE j.member_id = r.member_id
            """,
            _as_json(rows),
        )


def _open_goal(value: Mapping[str, Any]) -> OpenGoal:
    return OpenGoal(
        trigger=value["trigger"],
        touchpoint_id=value["touchpoint_id"],
        event=value["event"],
        opened_at=datetime.fromisoformat(value["opened_at"]),
        deadline=datetime.fromisoformat(value["deadline"]),
    )


def _goal_json(goal: OpenGoal) -> dict[str, Any]:
    return {
        "trigger": goal.trigger,
        "touchpoint_id": goal.touchpoint_id,
        "event": goal.event,
        "opened_at": goal.opened_at,
        "deadline": goal.deadline,
    }


class PostgresPositions:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def load(self, member_ids: Sequence[str]) -> dict[str, dict[str, Position]]:
        rows = await self._connection.fetch(
            """
            SELECT member_id, map_key, version, stage, stage_since, entered_at, exited_at,
                   fired_once, open_goals, absences_fired
            FROM map_positions WHERE member_id = ANY($1::text[])
            """,
            list(member_ids),
        )
        loaded: dict[str, dict[str, Position]] = {}
        for row in rows:
            loaded.setdefault(row["member_id"], {})[row["map_key"]] = Position(
                map_key=row["map_key"],
                version=row["version"],
                stage=row["stage"],
                stage_since=row["stage_since"],
                entered_at=row["entered_at"],
                fired_once=set(row["fired_once"]),
                open_goals=[_open_goal(goal) for goal in row["open_goals"]],
                exited_at=row["exited_at"],
                absences_fired={
                    key: datetime.fromisoformat(at)
                    for key, at in (row["absences_fired"] or {}).items()
                },
            )
        return loaded

    async def save(self, positions: Sequence[MemberPosition]) -> None:
        latest = {(p.member_id, p.position.map_key): p for p in positions}
        if not latest:
            return
        rows = [
            {
                "member_id": stored.member_id,
                "brand_id": stored.brand_id,
                "map_key": stored.position.map_key,
                "version": stored.position.version,
                "stage": stored.position.stage,
                "stage_since": stored.position.stage_since,
                "entered_at": stored.position.entered_at,
                "exited_at": stored.position.exited_at,
                "fired_once": sorted(stored.position.fired_once),
                "open_goals": [_goal_json(goal) for goal in stored.position.open_goals],
                "absences_fired": {
                    key: at.isoformat() for key, at in stored.position.absences_fired.items()
                },
            }
            for stored in latest.values()
        ]
        await self._connection.execute(
            """
            INSERT INTO map_positions (member_id, brand_id, map_key, version, stage,
                                       stage_since, entered_at, exited_at, fired_once,
                                       open_goals, absences_fired)
            SELECT member_id, brand_id, map_key, version, stage, stage_since, entered_at,
                   exited_at, fired_once, open_goals, absences_fired
            FROM jsonb_to_recordset($1::text::jsonb) AS r(
                member_id text, brand_id text, map_key text, version integer, stage text,
                stage_since timestamptz, entered_at timestamptz, exited_at timestamptz,
                fired_once text[], open_goals jsonb, absences_fired jsonb)
            ON CONFLICT (member_id, map_key) DO UPDATE SET
                brand_id = excluded.brand_id, version = excluded.version,
                stage = excluded.stage, stage_since = excluded.stage_since,
                entered_at = excluded.entered_at, exited_at = excluded.exited_at,
                fired_once = excluded.fired_once, open_goals = excluded.open_goals,
                absences_fired = excluded.absences_fired
            """,
            _as_json(rows),
        )


class PostgresStageHistory:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def append(self, moves: Sequence[MapStageMove]) -> None:
        if not moves:
            return
        rows = [
            {
                "position": position,
                "member_id": m.member_id,
                "brand_id": m.brand_id,
                "map_key": m.map_key,
                "from_stage": m.from_stage,
                "to_stage": m.to_stage,
                "reason": m.reason,
                "changed_at": m.at,
            }
            for position, m in enumerate(moves)
        ]
        await self._connection.execute(
            """
            INSERT INTO stage_history (member_id, brand_id, map_key, from_stage, to_stage,
                                       reason, changed_at)
            SELECT member_id, brand_id, map_key, from_stage, to_stage, reason, changed_at
            FROM jsonb_to_recordset($1::text::jsonb) AS r(
                position integer, member_id text, brand_id text, map_key text,
                from_stage text, to_stage text, reason text, changed_at timestamptz)
            ORDER BY position
            """,
            _as_json(rows),
        )


_TIMELINE_COLUMNS = (
    "id, brand_id, member_id, store_id, associate_id, at, kind, map_key, version, rule, "
    "reason, detail"
)


class PostgresTimeline:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def append(self, lines: Sequence[TimelineLine]) -> None:
        if not lines:
            return
        rows = [
            {
                "position": position,
                "brand_id": line.brand_id,
                "member_id": line.member_id,
                "store_id": line.store_id,
                "associate_id": line.associate_id,
                "at": line.at,
                "kind": line.kind,
                "map_key": line.map_key,
                "version": line.version,
                "rule": line.rule,
                "reason": line.reason,
                "detail": dict(line.detail),
            }
            for position, line in enumerate(lines)
        ]
        # ORDER BY in the SELECT numbers the rows (bigserial) in the order given.
        await self._connection.execute(
            """
            INSERT INTO timeline (brand_id, member_id, store_id, associate_id, at, kind,
                                  map_key, version, rule, reason, detail)
            SELECT brand_id, member_id, store_id, associate_id, at, kind, map_key, version,
                   rule, reason, detail
            FROM jsonb_to_recordset($1::text::jsonb) AS r(
                position integer, brand_id text, member_id text, store_id text,
                associate_id text, at timestamptz, kind text, map_key text, version integer,
                rule text, reason text, detail jsonb)
            ORDER BY position
            """,
            _as_json(rows),
        )

    async def page(
        self, member_id: str, after: tuple[datetime, int] | None, limit: int
    ) -> list[TimelineLine]:
        after_at, after_id = after if after is not None else (None, None)
        rows = await self._connection.fetch(
            f"""
            SELECT {_TIMELINE_COLUMNS} FROM timeline
            WHERE member_id = $1
              AND ($2::timestamptz IS NULL OR (at, id) > ($2, $3::bigint))
            ORDER BY at, id LIMIT $4
            """,
            member_id,
            after_at,
            after_id,
            limit,
        )
        return [TimelineLine(**dict(row)) for row in rows]


_TASK_COLUMNS = (
    "task_id, brand_id, member_id, store_id, assignee_id, audience, template, map_key, "
    "version, trigger, priority, status, due_at, postponed_until, outcome, suggestion, "
    "created_at, closed_at"
)


class PostgresTasks:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def add(self, tasks: Sequence[Task]) -> list[str]:
        if not tasks:
            return []
        rows = [
            {
                "position": position,
                **{name.strip(): getattr(task, name.strip()) for name in _TASK_COLUMNS.split(",")},
                "suggestion": dict(task.suggestion) if task.suggestion is not None else None,
            }
            for position, task in enumerate(tasks)
        ]
        added = await self._connection.fetch(
            f"""
            WITH given AS (
                SELECT DISTINCT ON (task_id) * FROM jsonb_to_recordset($1::text::jsonb) AS r(
                    position integer, task_id text, brand_id text, member_id text,
                    store_id text, assignee_id text, audience text, template text,
                    map_key text, version integer, trigger text, priority text, status text,
                    due_at timestamptz, postponed_until timestamptz, outcome text,
                    suggestion jsonb, created_at timestamptz, closed_at timestamptz)
                ORDER BY task_id, position
            ), inserted AS (
                INSERT INTO tasks ({_TASK_COLUMNS})
                SELECT {_TASK_COLUMNS} FROM given
                ON CONFLICT (task_id) DO NOTHING
                RETURNING task_id
            )
            SELECT g.task_id FROM given g JOIN inserted USING (task_id) ORDER BY g.position
            """,
            _as_json(rows),
        )
        return [row["task_id"] for row in added]

    async def get(self, task_id: str) -> Task | None:
        row = await self._connection.fetchrow(
            f"SELECT {_TASK_COLUMNS} FROM tasks WHERE task_id = $1 FOR UPDATE", task_id
        )
        return Task(**dict(row)) if row is not None else None

    async def save(self, task: Task) -> None:
        await self._connection.execute(
            """
            UPDATE tasks SET status = $2, postponed_until = $3, outcome = $4,
                             assignee_id = $5, closed_at = $6
            WHERE task_id = $1
            """,
            task.task_id,
            task.status,
            task.postponed_until,
            task.outcome,
            task.assignee_id,
            task.closed_at,
        )

    async def page(
        self, where: TaskFilter, after: tuple[datetime, int, str] | None, limit: int
    ) -> list[Task]:
        # The narrowest filter leads, so its index (by assignee, store or brand, then
        # status and urgency) answers in order without sorting.
        after_due, after_priority, after_id = after if after is not None else (None, None, None)
        rows = await self._connection.fetch(
            f"""
            SELECT {_TASK_COLUMNS} FROM tasks
            WHERE brand_id = $1
              AND ($2::text IS NULL OR store_id = $2)
              AND ($3::text IS NULL OR assignee_id = $3)
              AND ($4::text IS NULL OR status = $4)
              AND ($5::timestamptz IS NULL
                   OR (due_by, priority_order, task_id) > ($5, $6::smallint, $7::text))
            ORDER BY due_by, priority_order, task_id
            LIMIT $8
            """,
            where.brand_id,
            where.store_id,
            where.assignee_id,
            where.status,
            after_due,
            after_priority,
            after_id,
            limit,
        )
        return [Task(**dict(row)) for row in rows]

    async def reassign_open(self, member_id: str, assignee_id: str) -> int:
        moved = await self._connection.fetch(
            """
            UPDATE tasks SET assignee_id = $2
            WHERE member_id = $1 AND status = 'open' AND audience = 'associate'
            RETURNING task_id
            """,
            member_id,
            assignee_id,
        )
        return len(moved)


class PostgresGoalOutcomes:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def open(self, goals: Sequence[GoalOutcome]) -> None:
        if not goals:
            return
        rows = [
            {
                "touchpoint_id": g.touchpoint_id,
                "brand_id": g.brand_id,
                "map_key": g.map_key,
                "version": g.version,
                "trigger": g.trigger,
                "member_id": g.member_id,
                "store_id": g.store_id,
                "associate_id": g.associate_id,
                "opened_at": g.opened_at,
                "deadline": g.deadline,
                "reached_at": g.reached_at,
            }
            for g in goals
        ]
        await self._connection.execute(
            """
            INSERT INTO goal_outcomes (touchpoint_id, brand_id, map_key, version, trigger,
                                       member_id, store_id, associate_id, opened_at,
                                       deadline, reached_at)
            SELECT DISTINCT ON (touchpoint_id) * FROM jsonb_to_recordset($1::text::jsonb) AS r(
                touchpoint_id text, brand_id text, map_key text, version integer,
                trigger text, member_id text, store_id text, associate_id text,
                opened_at timestamptz, deadline timestamptz, reached_at timestamptz)
            ON CONFLICT (touchpoint_id) DO NOTHING
            """,
            _as_json(rows),
        )

    async def reach(self, touchpoint_ids: Sequence[str], at: datetime) -> int:
        reached = await self._connection.fetch(
            """
            UPDATE goal_outcomes SET reached_at = $2
            WHERE touchpoint_id = ANY($1::text[]) AND reached_at IS NULL AND $2 <= deadline
            RETURNING touchpoint_id
            """,
            list(touchpoint_ids),
            at,
        )
        return len(reached)


_IN_SCOPE = """
    j.brand_id = $1 AND ($2::text IS NULL OR j.store_id = $2)
    AND ($3::text IS NULL OR j.associate_id = $3)
"""
"""Members in a figure's scope, by their journey (brand, home store, bound associate)."""


class PostgresFigures:
    """Aggregates for HQ, one query each (no locks)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def _scope(self, scope: FigureScope) -> tuple[str, str | None, str | None]:
        return (scope.brand_id, scope.store_id, scope.associate_id)

    async def stage_counts(self, scope: FigureScope) -> list[StageCount]:
        rows = await self._connection.fetch(
            f"""
            SELECT p.map_key, p.stage, count(*) AS members
            FROM map_positions p JOIN journeys j ON j.member_id = p.member_id
            WHERE p.brand_id = $1 AND p.exited_at IS NULL AND p.stage IS NOT NULL
              AND {_IN_SCOPE}
            GROUP BY p.map_key, p.stage ORDER BY p.map_key, p.stage
            """,
            *self._scope(scope),
        )
        return [StageCount(**dict(row)) for row in rows]

    async def transitions(
        self, scope: FigureScope, since: datetime, until: datetime
    ) -> list[Transition]:
        rows = await self._connection.fetch(
            f"""
            SELECT h.map_key, h.from_stage, h.to_stage,
                   count(DISTINCT h.member_id) AS members, count(*) AS moves
            FROM stage_history h JOIN journeys j ON j.member_id = h.member_id
            WHERE h.brand_id = $1 AND h.map_key IS NOT NULL
              AND h.changed_at >= $4 AND h.changed_at < $5 AND {_IN_SCOPE}
            GROUP BY h.map_key, h.from_stage, h.to_stage
            ORDER BY h.map_key, coalesce(h.from_stage, ''), h.to_stage
            """,
            *self._scope(scope),
            since,
            until,
        )
        return [Transition(**dict(row)) for row in rows]

    async def daily_moves(self, scope: FigureScope, until: datetime) -> list[DailyMoves]:
        rows = await self._connection.fetch(
            f"""
            SELECT (h.changed_at AT TIME ZONE 'UTC')::date AS day, h.map_key, h.from_stage,
                   h.to_stage, count(*) AS moves
            FROM stage_history h JOIN journeys j ON j.member_id = h.member_id
            WHERE h.brand_id = $1 AND h.map_key IS NOT NULL AND h.changed_at < $4
              AND {_IN_SCOPE}
            GROUP BY 1, 2, 3, 4
            ORDER BY 1, 2, coalesce(h.from_stage, ''), 4
            """,
            *self._scope(scope),
            until,
        )
        return [DailyMoves(**dict(row)) for row in rows]

    async def goal_conversions(
        self, scope: FigureScope, since: datetime, until: datetime
    ) -> list[GoalConversion]:
        rows = await self._connection.fetch(
            """
            SELECT map_key, trigger, count(*) AS opened, count(reached_at) AS reached
            FROM goal_outcomes
            WHERE brand_id = $1 AND ($2::text IS NULL OR store_id = $2)
              AND ($3::text IS NULL OR associate_id = $3)
              AND opened_at >= $4 AND opened_at < $5
            GROUP BY map_key, trigger ORDER BY map_key, trigger
            """,
            *self._scope(scope),
            since,
            until,
        )
        return [GoalConversion(**dict(row)) for row in rows]

    async def win_backs(
        self,
        scope: FigureScope,
        since: datetime,
        until: datetime,
        dormant_stage: str,
        returned_stage: str,
        activity_kind: str,
    ) -> list[WinBack]:
        rows = await self._connection.fetch(
            f"""
            WITH dormant AS (
                SELECT h.map_key, h.member_id, min(h.changed_at) AS at
                FROM stage_history h JOIN journeys j ON j.member_id = h.member_id
                WHERE h.brand_id = $1 AND h.map_key IS NOT NULL AND h.to_stage = $6
                  AND h.changed_at >= $4 AND h.changed_at < $5 AND {_IN_SCOPE}
                GROUP BY h.map_key, h.member_id
            )
            SELECT d.map_key, count(*) AS became_dormant,
                   count(*) FILTER (WHERE EXISTS (
                       SELECT 1 FROM stage_history back
                       WHERE back.member_id = d.member_id AND back.map_key = d.map_key
                         AND back.to_stage = $7 AND back.changed_at > d.at
                   ) OR EXISTS (
                       SELECT 1 FROM member_events e
                       WHERE e.member_id = d.member_id AND e.kind = $8 AND e.occurred_at > d.at
                   )) AS returned
            FROM dormant d GROUP BY d.map_key ORDER BY d.map_key
            """,
            *self._scope(scope),
            since,
            until,
            dormant_stage,
            returned_stage,
            activity_kind,
        )
        return [WinBack(**dict(row)) for row in rows]

    async def tasks_per_assignee(self, scope: FigureScope, now: datetime) -> list[AssigneeTasks]:
        rows = await self._connection.fetch(
            """
            SELECT assignee_id, count(*) AS open, count(*) FILTER (WHERE due_by < $4) AS overdue
            FROM tasks
            WHERE brand_id = $1 AND status = 'open' AND ($2::text IS NULL OR store_id = $2)
              AND ($3::text IS NULL OR assignee_id = $3)
            GROUP BY assignee_id ORDER BY assignee_id
            """,
            *self._scope(scope),
            now,
        )
        return [AssigneeTasks(**dict(row)) for row in rows]


class PostgresTemplateReplica:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def remember(self, brand_id: str, key: str, is_task: bool, saved_at: datetime) -> None:
        await self._connection.execute(
            """
            INSERT INTO notifier_templates (brand_id, key, is_task, saved_at)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (brand_id, key) DO UPDATE
                SET is_task = EXCLUDED.is_task, saved_at = EXCLUDED.saved_at
                WHERE notifier_templates.saved_at <= EXCLUDED.saved_at
            """,
            brand_id,
            key,
            is_task,
            saved_at,
        )

    async def of(self, brand_id: str) -> dict[str, bool]:
        rows = await self._connection.fetch(
            "SELECT key, is_task FROM notifier_templates WHERE brand_id = $1", brand_id
        )
        return {row["key"]: row["is_task"] for row in rows}


class PostgresJourneyUnitOfWork(UnitOfWork):
    """One transaction over the journey's tables, the directory replica, the event store and
    the outbox."""

    journeys: PostgresJourneys
    timers: PostgresTimers
    touchpoints: PostgresTouchpoints
    views: PostgresJourneyViews
    directory: PostgresDirectory
    maps: PostgresMaps
    member_events: PostgresMemberEvents
    facts: PostgresFactSnapshots
    positions: PostgresPositions
    stage_history: PostgresStageHistory
    timeline: PostgresTimeline
    tasks: PostgresTasks
    goals: PostgresGoalOutcomes
    figures: PostgresFigures
    collected: Collected
    templates: PostgresTemplateReplica

    async def event_time_watermark(self) -> datetime | None:
        return await event_time_watermark(self.connection, SERVICE_NAME)

    def _bind(self, connection: Connection) -> None:
        self.collected = Collected()
        self.templates = PostgresTemplateReplica(connection)
        self.journeys = PostgresJourneys(connection)
        self.timers = PostgresTimers(connection)
        self.touchpoints = PostgresTouchpoints(connection)
        self.views = PostgresJourneyViews(connection)
        self.directory = PostgresDirectory(connection)
        self.maps = PostgresMaps(connection)
        self.member_events = PostgresMemberEvents(connection)
        self.facts = PostgresFactSnapshots(connection)
        self.positions = PostgresPositions(connection)
        self.stage_history = PostgresStageHistory(connection)
        self.timeline = PostgresTimeline(connection)
        self.tasks = PostgresTasks(connection)
        self.goals = PostgresGoalOutcomes(connection)
        self.figures = PostgresFigures(connection)
