"""The identity tables in memory: for tests, and for trying the API without PostgreSQL.

Each unit of work runs on a private copy of the tables that replaces them on commit, so a
refused command leaves nothing behind, as a rolled-back transaction would.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from rapport_events.clock import Clock, ManualClock
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.uow import stamp

from identity.application.ports import MemberFilter, MemberPosition, StaffCredentials
from identity.domain.errors import DuplicateBrandCode, DuplicatePhone, DuplicateUsername
from identity.domain.member import Member
from identity.domain.organisation import Brand, Staff, Store

SOURCE = "/rapport/identity"


@dataclass
class Tables:
    brands: dict[str, Brand] = field(default_factory=dict)
    stores: dict[str, Store] = field(default_factory=dict)
    staff: dict[str, Staff] = field(default_factory=dict)
    password_hashes: dict[str, str] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)


class InMemoryBrands:
    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    async def add(self, brand: Brand) -> None:
        if await self.by_code(brand.code) is not None:
            raise DuplicateBrandCode(brand.code)
        self._tables.brands[brand.brand_id] = brand

    async def get(self, brand_id: str) -> Brand | None:
        return self._tables.brands.get(brand_id)

    async def by_code(self, code: str) -> Brand | None:
        return next((b for b in self._tables.brands.values() if b.code == code), None)


class InMemoryStores:
    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    async def add(self, store: Store) -> None:
        self._tables.stores[store.store_id] = store

    async def get(self, store_id: str) -> Store | None:
        return self._tables.stores.get(store_id)

    async def of_brand(self, brand_id: str) -> list[Store]:
        stores = [s for s in self._tables.stores.values() if s.brand_id == brand_id]
        return sorted(stores, key=lambda s: (s.name, s.store_id))


class InMemoryStaffDirectory:
    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    async def add(self, staff: Staff, password_hash: str) -> None:
        if await self.credentials(staff.brand_id, staff.username) is not None:
            raise DuplicateUsername(staff.username)
        if staff.invite_code is not None and await self.by_invite_code(
            staff.brand_id, staff.invite_code
        ):
            raise ValueError(f"invite code {staff.invite_code} is taken")
        self._tables.staff[staff.staff_id] = staff
        self._tables.password_hashes[staff.staff_id] = password_hash

    async def get(self, staff_id: str) -> Staff | None:
        return self._tables.staff.get(staff_id)

    async def credentials(self, brand_id: str, username: str) -> StaffCredentials | None:
        for staff in self._tables.staff.values():
            if staff.brand_id == brand_id and staff.username == username:
                return StaffCredentials(staff, self._tables.password_hashes[staff.staff_id])
        return None

    async def by_invite_code(self, brand_id: str, invite_code: str) -> Staff | None:
        return next(
            (
                s
                for s in self._tables.staff.values()
                if s.brand_id == brand_id and s.invite_code == invite_code
            ),
            None,
        )

    async def of_brand(self, brand_id: str, store_id: str | None = None) -> list[Staff]:
        staff = [
            s
            for s in self._tables.staff.values()
            if s.brand_id == brand_id and (store_id is None or s.store_id == store_id)
        ]
        return sorted(staff, key=lambda s: (s.display_name, s.staff_id))


class InMemoryMembers:
    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    async def add(self, member: Member) -> None:
        if any(
            m.brand_id == member.brand_id and m.phone == member.phone
            for m in self._tables.members.values()
        ):
            raise DuplicatePhone()
        self._tables.members[member.member_id] = copy.deepcopy(member)

    async def get(self, member_id: str, *, for_update: bool = False) -> Member | None:
        member = self._tables.members.get(member_id)
        # A copy, as a row read from a database: changes count only once saved.
        return copy.deepcopy(member) if member is not None else None

    async def save_binding(self, member: Member) -> None:
        stored = self._tables.members[member.member_id]
        stored.associate_id = member.associate_id
        stored.bound_at = member.bound_at

    async def page(
        self, where: MemberFilter, after: MemberPosition | None, limit: int
    ) -> list[Member]:
        matching = [
            m
            for m in self._tables.members.values()
            if m.brand_id == where.brand_id
            and (where.store_id is None or m.store_id == where.store_id)
            and (where.associate_id is None or m.associate_id == where.associate_id)
            and (
                after is None
                or (m.registered_at, m.member_id) < (after.registered_at, after.member_id)
            )
        ]
        matching.sort(key=lambda m: (m.registered_at, m.member_id), reverse=True)
        return [copy.deepcopy(m) for m in matching[:limit]]


class InMemoryIdentity:
    """The in-memory "database": committed tables and every event committed so far."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or ManualClock()
        self.tables = Tables()
        self.events: list[EventEnvelope] = []

    def unit_of_work(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self)


class InMemoryUnitOfWork:
    def __init__(self, database: InMemoryIdentity) -> None:
        self._database = database
        self._working: Tables | None = None
        self.emitted: list[EventEnvelope] = []

    def _tables(self) -> Tables:
        if self._working is None:
            raise RuntimeError("the unit of work is not open: use `async with uow:`")
        return self._working

    @property
    def brands(self) -> InMemoryBrands:
        return InMemoryBrands(self._tables())

    @property
    def stores(self) -> InMemoryStores:
        return InMemoryStores(self._tables())

    @property
    def staff(self) -> InMemoryStaffDirectory:
        return InMemoryStaffDirectory(self._tables())

    @property
    def members(self) -> InMemoryMembers:
        return InMemoryMembers(self._tables())

    def emit(self, event: DomainEvent, *, brand_id: str) -> EventEnvelope:
        self._tables()
        envelope = stamp(event, source=SOURCE, clock=self._database.clock, brand_id=brand_id)
        self.emitted.append(envelope)
        return envelope

    async def __aenter__(self) -> Self:
        if self._working is not None:
            raise RuntimeError("a unit of work cannot be entered twice")
        self._working = copy.deepcopy(self._database.tables)
        self.emitted = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None and self._working is not None:
            self._database.tables = self._working
            self._database.events.extend(self.emitted)
        self._working = None
