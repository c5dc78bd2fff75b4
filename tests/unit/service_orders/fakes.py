"""In-memory stand-ins for the service-orders unit of work and its repositories.

A :class:`FakeDatabase` holds committed state; each unit of work works on a copy and
publishes it (with its emitted envelopes) only on a clean exit, as a transaction would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from rapport_events.clock import Clock, ManualClock
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.uow import stamp
from service_orders.application.ports import (
    AppointmentFilter,
    IdempotencyRecord,
    PurchaseFilter,
)
from service_orders.domain.appointment import Appointment
from service_orders.domain.purchase import Purchase

SOURCE = "/rapport/service-orders"


@dataclass
class State:
    appointments: dict[str, Appointment] = field(default_factory=dict)
    purchases: dict[str, Purchase] = field(default_factory=dict)
    keys: dict[tuple[str, str], IdempotencyRecord] = field(default_factory=dict)

    def copy(self) -> State:
        return State(dict(self.appointments), dict(self.purchases), dict(self.keys))


class InMemoryAppointments:
    def __init__(self, state: Callable[[], State]) -> None:
        self._current = state

    @property
    def _state(self) -> State:
        return self._current()

    async def get(self, brand_id: str, appointment_id: str) -> Appointment | None:
        found = self._state.appointments.get(appointment_id)
        return found if found is not None and found.brand_id == brand_id else None

    async def get_for_update(self, brand_id: str, appointment_id: str) -> Appointment | None:
        return await self.get(brand_id, appointment_id)

    async def search(self, query: AppointmentFilter) -> list[Appointment]:
        found = [
            item
            for item in self._state.appointments.values()
            if item.brand_id == query.brand_id
            and query.member_id in (None, item.member_id)
            and query.store_id in (None, item.store_id)
            and query.status in (None, item.status)
        ]
        found.sort(key=lambda item: item.appointment_id)
        found.sort(key=lambda item: item.scheduled_at, reverse=True)
        return found[: query.limit]

    async def add(self, appointment: Appointment) -> None:
        if appointment.appointment_id in self._state.appointments:
            raise KeyError(f"duplicate appointment {appointment.appointment_id}")
        self._state.appointments[appointment.appointment_id] = appointment

    async def update(self, appointment: Appointment) -> None:
        if appointment.appointment_id not in self._state.appointments:
            raise LookupError(f"appointment {appointment.appointment_id} is not stored")
        self._state.appointments[appointment.appointment_id] = appointment


class InMemoryPurchases:
    def __init__(self, state: Callable[[], State]) -> None:
        self._current = state

    @property
    def _state(self) -> State:
        return self._current()

    async def get(self, brand_id: str, purchase_id: str) -> Purchase | None:
        found = self._state.purchases.get(purchase_id)
        return found if found is not None and found.brand_id == brand_id else None

    async def search(self, query: PurchaseFilter) -> list[Purchase]:
        found = [
            item
            for item in self._state.purchases.values()
            if item.brand_id == query.brand_id
            and query.member_id in (None, item.member_id)
            and query.store_id in (None, item.store_id)
        ]
        found.sort(key=lambda item: item.purchase_id)
        found.sort(key=lambda item: item.purchased_at, reverse=True)
        return found[: query.limit]

    async def add(self, purchase: Purchase) -> None:
        if purchase.purchase_id in self._state.purchases:
            raise KeyError(f"duplicate purchase {purchase.purchase_id}")
        self._state.purchases[purchase.purchase_id] = purchase


class InMemoryIdempotencyKeys:
    def __init__(self, state: Callable[[], State]) -> None:
        self._current = state

    @property
    def _state(self) -> State:
        return self._current()

    async def claim(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        existing = self._state.keys.get((record.brand_id, record.key))
        if existing is None:
            self._state.keys[(record.brand_id, record.key)] = record
        return existing


class FakeUnitOfWork:
    def __init__(self, database: FakeDatabase) -> None:
        self._database = database
        self._state: State | None = None
        self.emitted: list[EventEnvelope] = []

    @property
    def _open(self) -> State:
        if self._state is None:
            raise RuntimeError("the unit of work is not open")
        return self._state

    @property
    def appointments(self) -> InMemoryAppointments:
        return InMemoryAppointments(lambda: self._open)

    @property
    def purchases(self) -> InMemoryPurchases:
        return InMemoryPurchases(lambda: self._open)

    @property
    def idempotency_keys(self) -> InMemoryIdempotencyKeys:
        return InMemoryIdempotencyKeys(lambda: self._open)

    def emit(
        self, event: DomainEvent, *, brand_id: str, caused_by: EventEnvelope | None = None
    ) -> EventEnvelope:
        if self._state is None:
            raise RuntimeError("emitting outside the transaction would lose the event")
        envelope = stamp(
            event,
            source=SOURCE,
            clock=self._database.clock,
            brand_id=brand_id,
            caused_by=caused_by,
        )
        self.emitted.append(envelope)
        return envelope

    async def __aenter__(self) -> Self:
        if self._state is not None:
            raise RuntimeError("a unit of work cannot be entered twice")
        self._state = self._database.state.copy()
        self.emitted = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        state, self._state = self._state, None
        if exc_type is None and state is not None:
            self._database.state = state
            self._database.published.extend(self.emitted)
            self._database.commits += 1


class FakeDatabase:
    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or ManualClock()
        self.state = State()
        self.published: list[EventEnvelope] = []
        self.commits = 0

    def begin(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)

    def appointment_reader(self) -> InMemoryAppointments:
        """Reads the committed state as it is at each call."""
        return InMemoryAppointments(lambda: self.state)

    def purchase_reader(self) -> InMemoryPurchases:
        return InMemoryPurchases(lambda: self.state)
