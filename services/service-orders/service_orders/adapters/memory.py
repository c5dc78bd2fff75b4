"""The service-orders tables in memory: for tests, and for trying the API without PostgreSQL.

The fakes keep the contract of the PostgreSQL repositories (``tests/contract/service_orders``):
brand isolation, the same orders and cursor boundaries, one winner per idempotency key. Each
unit of work runs on a private copy of the tables that replaces them on commit, so a refused
command leaves nothing behind, as a rolled-back transaction would; units of work run one at
a time, which gives ``get_for_update`` and a contended key claim their PostgreSQL meaning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from rapport_events.clock import Clock
from rapport_events.directory import Directory, DirectoryTables, InMemoryDirectory
from rapport_events.uow import InMemoryDatabase, InMemoryUnitOfWork

from service_orders.application.ports import (
    AppointmentFilter,
    ByTime,
    IdempotencyRecord,
    PurchaseFilter,
    appointment_position,
    purchase_position,
)
from service_orders.domain.appointment import Appointment
from service_orders.domain.purchase import Purchase
from service_orders.domain.review import Review
from service_orders.settings import SERVICE_NAME

SOURCE = f"/rapport/{SERVICE_NAME}"

Row = TypeVar("Row")


@dataclass
class ServiceOrdersTables:
    appointments: dict[str, Appointment] = field(default_factory=dict)
    purchases: dict[str, Purchase] = field(default_factory=dict)
    reviews: dict[str, Review] = field(default_factory=dict)
    idempotency_keys: dict[tuple[str, str], IdempotencyRecord] = field(default_factory=dict)
    directory: DirectoryTables = field(default_factory=DirectoryTables)
    """The replica of identity's directory: tests put the members, stores and staff the
    requests name here (or feed identity's events through the subscriptions)."""


def _newest_first(
    rows: Iterable[Row], position: Callable[[Row], ByTime], after: ByTime | None, limit: int
) -> list[Row]:
    """Rows by descending position, strictly after ``after``, at most ``limit`` of them."""
    ordered = sorted(rows, key=position, reverse=True)
    if after is not None:
        ordered = [row for row in ordered if position(row) < after]
    return ordered[:limit]


class _MemberRow(Protocol):
    @property
    def brand_id(self) -> str: ...

    @property
    def store_id(self) -> str: ...

    @property
    def member_id(self) -> str: ...


MemberRow = TypeVar("MemberRow", bound=_MemberRow)


def _of_brand(row: MemberRow | None, brand_id: str) -> MemberRow | None:
    return row if row is not None and row.brand_id == brand_id else None


def _matches(row: _MemberRow, query: AppointmentFilter | PurchaseFilter) -> bool:
    return (
        row.brand_id == query.brand_id
        and query.member_id in (None, row.member_id)
        and query.store_id in (None, row.store_id)
    )


def _insert(rows: dict[str, MemberRow], row_id: str, row: MemberRow) -> None:
    if row_id in rows:
        raise KeyError(f"duplicate {row_id}")
    rows[row_id] = row


class InMemoryAppointments:
    def __init__(self, tables: ServiceOrdersTables) -> None:
        self._rows = tables.appointments

    async def get(self, brand_id: str, appointment_id: str) -> Appointment | None:
        return _of_brand(self._rows.get(appointment_id), brand_id)

    async def get_for_update(self, brand_id: str, appointment_id: str) -> Appointment | None:
        # Units of work on one in-memory database run one at a time: the row is held anyway.
        return await self.get(brand_id, appointment_id)

    async def find(self, appointment_id: str) -> Appointment | None:
        return self._rows.get(appointment_id)

    async def get_by_visit(self, brand_id: str, visit_id: str) -> Appointment | None:
        return _of_brand(await self.find_by_visit(visit_id), brand_id)

    async def find_by_visit(self, visit_id: str) -> Appointment | None:
        return next(
            (row for row in self._rows.values() if row.visit and row.visit.visit_id == visit_id),
            None,
        )

    async def search(
        self, query: AppointmentFilter, after: ByTime | None, limit: int
    ) -> list[Appointment]:
        matching = (
            row
            for row in self._rows.values()
            if _matches(row, query) and query.status in (None, row.status)
        )
        return _newest_first(matching, appointment_position, after, limit)

    async def add(self, appointment: Appointment) -> None:
        _insert(self._rows, appointment.appointment_id, appointment)

    async def update(self, appointment: Appointment) -> None:
        stored = await self.get(appointment.brand_id, appointment.appointment_id)
        if stored is None:
            raise LookupError(f"appointment {appointment.appointment_id} is not stored")
        self._rows[appointment.appointment_id] = appointment


class InMemoryPurchases:
    def __init__(self, tables: ServiceOrdersTables) -> None:
        self._rows = tables.purchases

    async def get(self, brand_id: str, purchase_id: str) -> Purchase | None:
        return _of_brand(self._rows.get(purchase_id), brand_id)

    async def find(self, purchase_id: str) -> Purchase | None:
        return self._rows.get(purchase_id)

    async def search(
        self, query: PurchaseFilter, after: ByTime | None, limit: int
    ) -> list[Purchase]:
        matching = (row for row in self._rows.values() if _matches(row, query))
        return _newest_first(matching, purchase_position, after, limit)

    async def add(self, purchase: Purchase) -> None:
        _insert(self._rows, purchase.purchase_id, purchase)


class InMemoryReviews:
    def __init__(self, tables: ServiceOrdersTables) -> None:
        self._rows = tables.reviews

    async def add(self, review: Review) -> bool:
        if any(row.visit_id == review.visit_id for row in self._rows.values()):
            return False
        _insert(self._rows, review.review_id, review)
        return True

    async def get(self, brand_id: str, review_id: str) -> Review | None:
        return _of_brand(self._rows.get(review_id), brand_id)


class InMemoryIdempotencyKeys:
    def __init__(self, tables: ServiceOrdersTables) -> None:
        self._rows = tables.idempotency_keys

    async def claim(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        existing = self._rows.get((record.brand_id, record.key))
        if existing is None:
            self._rows[(record.brand_id, record.key)] = record
        return existing


class InMemoryServiceOrdersUnitOfWork(InMemoryUnitOfWork):
    """The recording fake of
    :class:`~service_orders.adapters.postgres.PostgresServiceOrdersUnitOfWork`."""

    appointments: InMemoryAppointments
    purchases: InMemoryPurchases
    reviews: InMemoryReviews
    idempotency_keys: InMemoryIdempotencyKeys
    directory: Directory

    def _bind(self, tables: ServiceOrdersTables) -> None:
        self.appointments = InMemoryAppointments(tables)
        self.purchases = InMemoryPurchases(tables)
        self.reviews = InMemoryReviews(tables)
        self.idempotency_keys = InMemoryIdempotencyKeys(tables)
        self.directory = InMemoryDirectory(tables.directory)


def in_memory_database() -> InMemoryDatabase:
    """An empty in-memory service-orders database; ``.tables`` is a :class:`ServiceOrdersTables`."""
    return InMemoryDatabase(ServiceOrdersTables())


def unit_of_work_factory(
    database: InMemoryDatabase, clock: Clock
) -> Callable[[], InMemoryServiceOrdersUnitOfWork]:
    """What handlers and queries are given: a new unit of work on ``database`` per call."""
    return lambda: InMemoryServiceOrdersUnitOfWork(database, source=SOURCE, clock=clock)
