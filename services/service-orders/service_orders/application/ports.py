"""What the use cases need from the outside world."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from rapport_events.envelope import DomainEvent, EventEnvelope

from service_orders.domain.appointment import Appointment, AppointmentStatus
from service_orders.domain.purchase import Purchase


@dataclass(frozen=True)
class AppointmentFilter:
    brand_id: str
    member_id: str | None = None
    store_id: str | None = None
    status: AppointmentStatus | None = None
    limit: int = 50


@dataclass(frozen=True)
class PurchaseFilter:
    brand_id: str
    member_id: str | None = None
    store_id: str | None = None
    limit: int = 50


class AppointmentReader(Protocol):
    async def get(self, brand_id: str, appointment_id: str) -> Appointment | None:
        """The brand's appointment; another brand's is reported as missing."""
        ...

    async def search(self, query: AppointmentFilter) -> list[Appointment]:
        """Appointments matching every given filter, latest ``scheduled_at`` first."""
        ...


class Appointments(AppointmentReader, Protocol):
    """Appointments inside the unit of work's transaction."""

    async def get_for_update(self, brand_id: str, appointment_id: str) -> Appointment | None:
        """Like :meth:`get`, and holds the appointment until the transaction ends so that
        two concurrent completions cannot both see it booked."""
        ...

    async def add(self, appointment: Appointment) -> None: ...

    async def update(self, appointment: Appointment) -> None: ...


class PurchaseReader(Protocol):
    async def get(self, brand_id: str, purchase_id: str) -> Purchase | None: ...

    async def search(self, query: PurchaseFilter) -> list[Purchase]:
        """Purchases matching every given filter, newest first."""
        ...


class Purchases(PurchaseReader, Protocol):
    async def add(self, purchase: Purchase) -> None: ...


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


class ServiceOrdersUnitOfWork(Protocol):
    """One transaction: state changes, idempotency keys and emitted events commit together."""

    @property
    def appointments(self) -> Appointments: ...

    @property
    def purchases(self) -> Purchases: ...

    @property
    def idempotency_keys(self) -> IdempotencyKeys: ...

    def emit(
        self, event: DomainEvent, *, brand_id: str, caused_by: EventEnvelope | None = None
    ) -> EventEnvelope:
        """Queue ``event`` for publication when the transaction commits."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...
