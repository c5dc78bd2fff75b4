"""What the use cases need from the outside world."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from rapport_events.directory import Directory
from rapport_events.uow import UnitOfWorkPort

from service_orders.domain.appointment import Appointment, AppointmentStatus
from service_orders.domain.purchase import Purchase
from service_orders.domain.review import Review

ByTime = tuple[datetime, str]
"""Where a page ends: the last item's (time, id). Lists run newest first, ties by id
(descending too), so a page holds what sorts strictly before its cursor."""


def appointment_position(appointment: Appointment) -> ByTime:
    """Where an appointment sorts in a listing, and what its cursor holds."""
    return appointment.scheduled_at, appointment.appointment_id


def purchase_position(purchase: Purchase) -> ByTime:
    return purchase.purchased_at, purchase.purchase_id


@dataclass(frozen=True)
class AppointmentFilter:
    brand_id: str
    member_id: str | None = None
    store_id: str | None = None
    status: AppointmentStatus | None = None


@dataclass(frozen=True)
class PurchaseFilter:
    brand_id: str
    member_id: str | None = None
    store_id: str | None = None


class Appointments(Protocol):
    async def get(self, brand_id: str, appointment_id: str) -> Appointment | None:
        """The brand's appointment; another brand's is reported as missing."""
        ...

    async def get_for_update(self, brand_id: str, appointment_id: str) -> Appointment | None:
        """Like :meth:`get`, and holds the appointment until the transaction ends so that
        two concurrent completions cannot both see it booked."""
        ...

    async def find(self, appointment_id: str) -> Appointment | None:
        """The appointment whichever brand holds it. Only for checking an id an outside
        system chose, which may already be taken elsewhere; never answered to a caller."""
        ...

    async def get_by_visit(self, brand_id: str, visit_id: str) -> Appointment | None:
        """The brand's appointment the visit completed; another brand's is reported missing."""
        ...

    async def find_by_visit(self, visit_id: str) -> Appointment | None:
        """The appointment the visit completed, whichever brand holds it (as :meth:`find`)."""
        ...

    async def search(
        self, query: AppointmentFilter, after: ByTime | None, limit: int
    ) -> list[Appointment]:
        """At most ``limit`` appointments matching every given filter, latest
        ``scheduled_at`` first (ties by id, descending), strictly after ``after``."""
        ...

    async def add(self, appointment: Appointment) -> None: ...

    async def update(self, appointment: Appointment) -> None:
        """Store the outcome of a stored appointment (:class:`LookupError` if it is not)."""
        ...


class Purchases(Protocol):
    async def get(self, brand_id: str, purchase_id: str) -> Purchase | None: ...

    async def find(self, purchase_id: str) -> Purchase | None:
        """The purchase whichever brand holds it (as :meth:`Appointments.find`)."""
        ...

    async def search(
        self, query: PurchaseFilter, after: ByTime | None, limit: int
    ) -> list[Purchase]:
        """At most ``limit`` purchases matching every given filter, newest first (ties by
        id, descending), strictly after ``after``."""
        ...

    async def add(self, purchase: Purchase) -> None: ...


class Reviews(Protocol):
    async def add(self, review: Review) -> bool:
        """Store ``review`` unless its visit already has one: then False, and nothing is
        stored. A concurrent uncommitted review of the same visit is waited for, so only
        one of them can be stored."""
        ...

    async def get(self, brand_id: str, review_id: str) -> Review | None:
        """The brand's review; another brand's is reported as missing."""
        ...


@dataclass(frozen=True)
class IdempotencyRecord:
    """A client's ``Idempotency-Key`` and what the first request carrying it produced."""

    brand_id: str
    key: str
    operation: str
    fingerprint: str
    resource_id: str
    created_at: datetime


class IdempotencyKeys(Protocol):
    async def claim(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        """Store ``record`` unless the brand already used its key.

        Returns ``None`` when stored, else the record holding the key. A claim racing an
        uncommitted one for the same key waits for it, so only one of them can win.
        """
        ...


class ServiceOrdersUnitOfWork(UnitOfWorkPort, Protocol):
    """One transaction: state changes, idempotency keys and emitted events commit together;
    ``directory`` is the local replica of identity's directory, read to check references."""

    @property
    def appointments(self) -> Appointments: ...

    @property
    def purchases(self) -> Purchases: ...

    @property
    def reviews(self) -> Reviews: ...

    @property
    def idempotency_keys(self) -> IdempotencyKeys: ...

    @property
    def directory(self) -> Directory: ...
