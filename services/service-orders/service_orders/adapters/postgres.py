"""PostgreSQL repositories and the unit of work that binds them to one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Self, TypeVar

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.uow import UnitOfWork

from service_orders.application.ports import (
    AppointmentFilter,
    IdempotencyRecord,
    PurchaseFilter,
)
from service_orders.domain.appointment import (
    Appointment,
    AppointmentStatus,
    Cancellation,
    Visit,
)
from service_orders.domain.purchase import Purchase

Executor = asyncpg.Connection | PoolConnectionProxy | asyncpg.Pool
Row = asyncpg.Record
T = TypeVar("T")

_APPOINTMENT_COLUMNS = """
    appointment_id, brand_id, store_id, member_id, service_code, scheduled_at, status,
    booked_by, booked_at, visit_id, amount, served_by, completed_at, cancelled_by, cancelled_at
"""

_PURCHASE_COLUMNS = """
    purchase_id, brand_id, store_id, member_id, amount, description, recorded_by, purchased_at
"""


def _where(brand_id: str, filters: Sequence[tuple[str, object | None]]) -> tuple[str, list[object]]:
    """A ``WHERE`` clause on the brand and each filter that is set, with its arguments.

    Only the given filters appear in the SQL so that the planner can use the matching index.
    """
    clauses = ["brand_id = $1"]
    arguments: list[object] = [brand_id]
    for column, value in filters:
        if value is not None:
            arguments.append(value)
            clauses.append(f"{column} = ${len(arguments)}")
    return " AND ".join(clauses), arguments


class PostgresAppointments:
    """Bound to the unit of work's connection for writes, or to the pool for reads."""

    def __init__(self, executor: Executor) -> None:
        self._executor = executor

    async def get(self, brand_id: str, appointment_id: str) -> Appointment | None:
        row = await self._executor.fetchrow(
            f"SELECT {_APPOINTMENT_COLUMNS} FROM appointments"
            " WHERE brand_id = $1 AND appointment_id = $2",
            brand_id,
            appointment_id,
        )
        return None if row is None else _appointment(row)

    async def get_for_update(self, brand_id: str, appointment_id: str) -> Appointment | None:
        row = await self._executor.fetchrow(
            f"SELECT {_APPOINTMENT_COLUMNS} FROM appointments"
            " WHERE brand_id = $1 AND appointment_id = $2 FOR UPDATE",
            brand_id,
            appointment_id,
        )
        return None if row is None else _appointment(row)

    async def search(self, query: AppointmentFilter) -> list[Appointment]:
        where, arguments = _where(
            query.brand_id,
            [
                ("member_id", query.member_id),
                ("store_id", query.store_id),
                ("status", query.status.value if query.status else None),
            ],
        )
        arguments.append(query.limit)
        rows = await self._executor.fetch(
            f"SELECT {_APPOINTMENT_COLUMNS} FROM appointments WHERE {where}"
            f" ORDER BY scheduled_at DESC, appointment_id LIMIT ${len(arguments)}",
            *arguments,
        )
        return [_appointment(row) for row in rows]

    async def add(self, appointment: Appointment) -> None:
        await self._executor.execute(
            f"INSERT INTO appointments ({_APPOINTMENT_COLUMNS})"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            *_appointment_values(appointment),
        )

    async def update(self, appointment: Appointment) -> None:
        """Store the outcome of an appointment; what was booked never changes."""
        visit, cancellation = appointment.visit, appointment.cancellation
        status = await self._executor.execute(
            """
            UPDATE appointments
               SET status = $3, visit_id = $4, amount = $5, served_by = $6, completed_at = $7,
                   cancelled_by = $8, cancelled_at = $9
             WHERE brand_id = $1 AND appointment_id = $2
            """,
            appointment.brand_id,
            appointment.appointment_id,
            appointment.status.value,
            visit.visit_id if visit else None,
            visit.amount if visit else None,
            visit.served_by if visit else None,
            visit.completed_at if visit else None,
            cancellation.cancelled_by if cancellation else None,
            cancellation.cancelled_at if cancellation else None,
        )
        if status != "UPDATE 1":
            raise LookupError(f"appointment {appointment.appointment_id} is not stored")


def _appointment_values(appointment: Appointment) -> list[object]:
    visit, cancellation = appointment.visit, appointment.cancellation
    return [
        appointment.appointment_id,
        appointment.brand_id,
        appointment.store_id,
        appointment.member_id,
        appointment.service_code,
        appointment.scheduled_at,
        appointment.status.value,
        appointment.booked_by,
        appointment.booked_at,
        visit.visit_id if visit else None,
        visit.amount if visit else None,
        visit.served_by if visit else None,
        visit.completed_at if visit else None,
        cancellation.cancelled_by if cancellation else None,
        cancellation.cancelled_at if cancellation else None,
    ]


def _appointment(row: Row) -> Appointment:
    visit = None
    if row["visit_id"] is not None:
        visit = Visit(
            visit_id=row["visit_id"],
            amount=row["amount"],
            served_by=row["served_by"],
            completed_at=row["completed_at"],
        )
    cancellation = None
    if row["cancelled_at"] is not None:
        cancellation = Cancellation(
            cancelled_by=row["cancelled_by"], cancelled_at=row["cancelled_at"]
        )
    return Appointment(
        appointment_id=row["appointment_id"],
        brand_id=row["brand_id"],
        store_id=row["store_id"],
        member_id=row["member_id"],
        service_code=row["service_code"],
        scheduled_at=row["scheduled_at"],
        status=AppointmentStatus(row["status"]),
        booked_by=row["booked_by"],
        booked_at=row["booked_at"],
        visit=visit,
        cancellation=cancellation,
    )


class PostgresPurchases:
    def __init__(self, executor: Executor) -> None:
        self._executor = executor

    async def get(self, brand_id: str, purchase_id: str) -> Purchase | None:
        row = await self._executor.fetchrow(
            f"SELECT {_PURCHASE_COLUMNS} FROM purchases WHERE brand_id = $1 AND purchase_id = $2",
            brand_id,
            purchase_id,
        )
        return None if row is None else _purchase(row)

    async def search(self, query: PurchaseFilter) -> list[Purchase]:
        where, arguments = _where(
            query.brand_id, [("member_id", query.member_id), ("store_id", query.store_id)]
        )
        arguments.append(query.limit)
        rows = await self._executor.fetch(
            f"SELECT {_PURCHASE_COLUMNS} FROM purchases WHERE {where}"
            f" ORDER BY purchased_at DESC, purchase_id LIMIT ${len(arguments)}",
            *arguments,
        )
        return [_purchase(row) for row in rows]

    async def add(self, purchase: Purchase) -> None:
        await self._executor.execute(
            f"INSERT INTO purchases ({_PURCHASE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            purchase.purchase_id,
            purchase.brand_id,
            purchase.store_id,
            purchase.member_id,
            purchase.amount,
            purchase.description,
            purchase.recorded_by,
            purchase.purchased_at,
        )


def _purchase(row: Row) -> Purchase:
    return Purchase(
        purchase_id=row["purchase_id"],
        brand_id=row["brand_id"],
        store_id=row["store_id"],
        member_id=row["member_id"],
        amount=row["amount"],
        description=row["description"],
        recorded_by=row["recorded_by"],
        purchased_at=row["purchased_at"],
    )


class PostgresIdempotencyKeys:
    def __init__(self, executor: Executor) -> None:
        self._executor = executor

    async def claim(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        # ON CONFLICT waits for a concurrent uncommitted claim of the same key; the SELECT
        # below, a new statement, then sees the winner's row.
        inserted = await self._executor.fetchval(
            """
            INSERT INTO idempotency_keys (brand_id, idempotency_key, operation, fingerprint,
                                          resource_id, created_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (brand_id, idempotency_key) DO NOTHING
            RETURNING true
            """,
            record.brand_id,
            record.key,
            record.operation,
            record.fingerprint,
            record.resource_id,
            record.created_at,
        )
        if inserted:
            return None
        row = await self._executor.fetchrow(
            """
            SELECT operation, fingerprint, resource_id, created_at
              FROM idempotency_keys
             WHERE brand_id = $1 AND idempotency_key = $2
            """,
            record.brand_id,
            record.key,
        )
        if row is None:
            raise LookupError(f"idempotency key {record.key!r} vanished while being claimed")
        return IdempotencyRecord(
            brand_id=record.brand_id,
            key=record.key,
            operation=row["operation"],
            fingerprint=row["fingerprint"],
            resource_id=row["resource_id"],
            created_at=row["created_at"],
        )


class PostgresServiceOrdersUnitOfWork:
    """The platform's unit of work with this service's repositories on its connection."""

    def __init__(self, inner: UnitOfWork) -> None:
        self._inner = inner
        self._appointments: PostgresAppointments | None = None
        self._purchases: PostgresPurchases | None = None
        self._idempotency_keys: PostgresIdempotencyKeys | None = None

    @property
    def appointments(self) -> PostgresAppointments:
        return _opened(self._appointments)

    @property
    def purchases(self) -> PostgresPurchases:
        return _opened(self._purchases)

    @property
    def idempotency_keys(self) -> PostgresIdempotencyKeys:
        return _opened(self._idempotency_keys)

    def emit(
        self, event: DomainEvent, *, brand_id: str, caused_by: EventEnvelope | None = None
    ) -> EventEnvelope:
        return self._inner.emit(event, brand_id=brand_id, caused_by=caused_by)

    async def __aenter__(self) -> Self:
        await self._inner.__aenter__()
        connection = self._inner.connection
        self._appointments = PostgresAppointments(connection)
        self._purchases = PostgresPurchases(connection)
        self._idempotency_keys = PostgresIdempotencyKeys(connection)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._appointments = None
        self._purchases = None
        self._idempotency_keys = None
        await self._inner.__aexit__(exc_type, exc, traceback)


def _opened(repository: T | None) -> T:
    if repository is None:
        raise RuntimeError("the unit of work is not open: use `async with uow:`")
    return repository
