"""PostgreSQL repositories and the unit of work that binds them to one transaction."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from rapport_events.directory import Directory, PostgresDirectory
from rapport_events.uow import Connection, UnitOfWork

from service_orders.application.ports import (
    AppointmentFilter,
    ByTime,
    IdempotencyRecord,
    PurchaseFilter,
)
from service_orders.domain.appointment import (
    Appointment,
    AppointmentStatus,
    Cancellation,
    Visit,
)
from service_orders.domain.purchase import Item, Purchase
from service_orders.domain.review import Review

Row = asyncpg.Record

_APPOINTMENT_COLUMNS = """
    appointment_id, brand_id, store_id, member_id, service_code, scheduled_at, status,
    booked_by, booked_at, visit_id, amount, served_by, completed_at, cancelled_by, cancelled_at,
    cancellation_reason, missed_at
"""

_PURCHASE_COLUMNS = """
    purchase_id, brand_id, store_id, member_id, amount, description, recorded_by, purchased_at,
    items
"""

_REVIEW_COLUMNS = """
    review_id, visit_id, brand_id, store_id, member_id, recommendation, satisfaction, comment,
    submitted_by, submitted_at
"""


def _page_query(
    table: str,
    columns: str,
    position: tuple[str, str],
    query: tuple[str, Sequence[tuple[str, object | None]]],
    after: ByTime | None,
    limit: int,
) -> tuple[str, list[object]]:
    """A page of ``table``: the brand's rows matching each filter that is set, by descending
    ``position`` (time column, id column), strictly after ``after``, at most ``limit``.

    Only the given filters appear in the SQL so that the planner can use the matching index.
    """
    brand_id, filters = query
    clauses = ["brand_id = $1"]
    arguments: list[object] = [brand_id]
    for column, value in filters:
        if value is not None:
            arguments.append(value)
            clauses.append(f"{column} = ${len(arguments)}")
    time_column, id_column = position
    if after is not None:
        arguments.extend(after)
        clauses.append(f"({time_column}, {id_column}) < (${len(arguments) - 1}, ${len(arguments)})")
    arguments.append(limit)
    sql = (
        f"SELECT {columns} FROM {table} WHERE {' AND '.join(clauses)}"
        f" ORDER BY {time_column} DESC, {id_column} DESC LIMIT ${len(arguments)}"
    )
    return sql, arguments


class PostgresAppointments:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def get(self, brand_id: str, appointment_id: str) -> Appointment | None:
        return await self._one("brand_id = $1 AND appointment_id = $2", brand_id, appointment_id)

    async def get_for_update(self, brand_id: str, appointment_id: str) -> Appointment | None:
        return await self._one(
            "brand_id = $1 AND appointment_id = $2 FOR UPDATE", brand_id, appointment_id
        )

    async def find(self, appointment_id: str) -> Appointment | None:
        return await self._one("appointment_id = $1", appointment_id)

    async def get_by_visit(self, brand_id: str, visit_id: str) -> Appointment | None:
        return await self._one("brand_id = $1 AND visit_id = $2", brand_id, visit_id)

    async def find_by_visit(self, visit_id: str) -> Appointment | None:
        return await self._one("visit_id = $1", visit_id)  # visit_id is UNIQUE: indexed

    async def _one(self, where: str, *arguments: object) -> Appointment | None:
        row = await self._connection.fetchrow(
            f"SELECT {_APPOINTMENT_COLUMNS} FROM appointments WHERE {where}", *arguments
        )
        return None if row is None else _appointment(row)

    async def search(
        self, query: AppointmentFilter, after: ByTime | None, limit: int
    ) -> list[Appointment]:
        filters = [
            ("member_id", query.member_id),
            ("store_id", query.store_id),
            ("status", query.status.value if query.status else None),
        ]
        sql, arguments = _page_query(
            "appointments",
            _APPOINTMENT_COLUMNS,
            ("scheduled_at", "appointment_id"),
            (query.brand_id, filters),
            after,
            limit,
        )
        return [_appointment(row) for row in await self._connection.fetch(sql, *arguments)]

    async def add(self, appointment: Appointment) -> None:
        await self._connection.execute(
            f"INSERT INTO appointments ({_APPOINTMENT_COLUMNS})"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
            *_appointment_values(appointment),
        )

    async def update(self, appointment: Appointment) -> None:
        """Store the outcome of an appointment; what was booked never changes."""
        visit, cancellation = appointment.visit, appointment.cancellation
        status = await self._connection.execute(
            """
            UPDATE appointments
               SET status = $3, visit_id = $4, amount = $5, served_by = $6, completed_at = $7,
                   cancelled_by = $8, cancelled_at = $9, cancellation_reason = $10,
                   missed_at = $11
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
            cancellation.reason if cancellation else "",
            appointment.missed_at,
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
        cancellation.reason if cancellation else "",
        appointment.missed_at,
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
            cancelled_by=row["cancelled_by"],
            cancelled_at=row["cancelled_at"],
            reason=row["cancellation_reason"],
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
        missed_at=row["missed_at"],
    )


class PostgresPurchases:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def get(self, brand_id: str, purchase_id: str) -> Purchase | None:
        return await self._one("brand_id = $1 AND purchase_id = $2", brand_id, purchase_id)

    async def find(self, purchase_id: str) -> Purchase | None:
        return await self._one("purchase_id = $1", purchase_id)

    async def _one(self, where: str, *arguments: object) -> Purchase | None:
        row = await self._connection.fetchrow(
            f"SELECT {_PURCHASE_COLUMNS} FROM purchases WHERE {where}", *arguments
        )
        return None if row is None else _purchase(row)

    async def search(
        self, query: PurchaseFilter, after: ByTime | None, limit: int
    ) -> list[Purchase]:
        sql, arguments = _page_query(
            "purchases",
            _PURCHASE_COLUMNS,
            ("purchased_at", "purchase_id"),
            (query.brand_id, [("member_id", query.member_id), ("store_id", query.store_id)]),
            after,
            limit,
        )
        return [_purchase(row) for row in await self._connection.fetch(sql, *arguments)]

    async def add(self, purchase: Purchase) -> None:
        await self._connection.execute(
            f"INSERT INTO purchases ({_PURCHASE_COLUMNS})"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)",
            purchase.purchase_id,
            purchase.brand_id,
            purchase.store_id,
            purchase.member_id,
            purchase.amount,
            purchase.description,
            purchase.recorded_by,
            purchase.purchased_at,
            # The pool's jsonb codec turns the list into JSON (rapport_platform.db).
            [_item_document(item) for item in purchase.items],
        )


def _item_document(item: Item) -> dict[str, object]:
    return {"product_code": item.product_code, "category": item.category, "quantity": item.quantity}


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
        items=tuple(Item(**document) for document in row["items"]),
    )


class PostgresReviews:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def add(self, review: Review) -> bool:
        # ON CONFLICT waits for a concurrent uncommitted review of the same visit, then
        # skips: one review per visit whoever commits first.
        inserted = await self._connection.fetchval(
            f"INSERT INTO reviews ({_REVIEW_COLUMNS})"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            " ON CONFLICT (visit_id) DO NOTHING RETURNING true",
            review.review_id,
            review.visit_id,
            review.brand_id,
            review.store_id,
            review.member_id,
            review.recommendation,
            review.satisfaction,
            review.comment,
            review.submitted_by,
            review.submitted_at,
        )
        return bool(inserted)

    async def get(self, brand_id: str, review_id: str) -> Review | None:
        row = await self._connection.fetchrow(
            f"SELECT {_REVIEW_COLUMNS} FROM reviews WHERE brand_id = $1 AND review_id = $2",
            brand_id,
            review_id,
        )
        return None if row is None else Review(**dict(row))


class PostgresIdempotencyKeys:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def claim(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        # ON CONFLICT waits for a concurrent uncommitted claim of the same key; the SELECT
        # below, a new statement, then sees the winner's row.
        inserted = await self._connection.fetchval(
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
        row = await self._connection.fetchrow(
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


class PostgresServiceOrdersUnitOfWork(UnitOfWork):
    """One transaction over the service-orders tables, the directory replica and the outbox."""

    appointments: PostgresAppointments
    purchases: PostgresPurchases
    reviews: PostgresReviews
    idempotency_keys: PostgresIdempotencyKeys
    directory: Directory

    def _bind(self, connection: Connection) -> None:
        self.appointments = PostgresAppointments(connection)
        self.purchases = PostgresPurchases(connection)
        self.reviews = PostgresReviews(connection)
        self.idempotency_keys = PostgresIdempotencyKeys(connection)
        self.directory = PostgresDirectory(connection)
