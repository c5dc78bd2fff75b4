"""The identity tables in memory: for tests, and for trying the API without PostgreSQL.

The fakes keep the contract of the PostgreSQL repositories (``tests/contract/identity``):
the same uniqueness rules, the same orders and cursor boundaries. Each unit of work runs on
a private copy of the tables that replaces them on commit, so a refused command leaves
nothing behind, as a rolled-back transaction would.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rapport_events.clock import Clock
from rapport_events.ingestion import IngestionAccess, ingestion_username
from rapport_events.kafka_security import KafkaConnection
from rapport_events.topics import ingestion_topic
from rapport_events.uow import InMemoryDatabase, InMemoryUnitOfWork

from identity.adapters.ingestion import credentials_of
from identity.application.ports import (
    ByName,
    ByRegistration,
    IngestionCredentials,
    InviteCodeTaken,
    MemberFilter,
    StaffCredentials,
    StaffFilter,
)
from identity.domain.errors import (
    DuplicateBrandCode,
    DuplicatePhone,
    DuplicateUsername,
    IngestionUnavailable,
)
from identity.domain.member import Member
from identity.domain.organisation import Brand, Staff, Store
from identity.settings import SERVICE_NAME

SOURCE = f"/rapport/{SERVICE_NAME}"

Row = TypeVar("Row")


@dataclass
class IdentityTables:
    brands: dict[str, Brand] = field(default_factory=dict)
    stores: dict[str, Store] = field(default_factory=dict)
    staff: dict[str, Staff] = field(default_factory=dict)
    password_hashes: dict[str, str] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)


def _keyset_page(
    rows: Iterable[Row],
    key: Callable[[Row], tuple[Any, ...]],
    after: tuple[Any, ...] | None,
    limit: int,
    *,
    descending: bool = False,
) -> list[Row]:
    """Rows in ``key`` order, strictly after ``after``, at most ``limit`` of them."""
    ordered = sorted(rows, key=key, reverse=descending)
    if after is not None:
        ordered = [row for row in ordered if (key(row) < after if descending else key(row) > after)]
    return ordered[:limit]


class InMemoryBrands:
    def __init__(self, tables: IdentityTables) -> None:
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
    def __init__(self, tables: IdentityTables) -> None:
        self._tables = tables

    async def add(self, store: Store) -> None:
        self._tables.stores[store.store_id] = store

    async def get(self, store_id: str) -> Store | None:
        return self._tables.stores.get(store_id)

    async def page(self, brand_id: str, after: ByName | None, limit: int) -> list[Store]:
        stores = (s for s in self._tables.stores.values() if s.brand_id == brand_id)
        return _keyset_page(stores, lambda s: (s.name, s.store_id), after, limit)


class InMemoryStaffDirectory:
    def __init__(self, tables: IdentityTables) -> None:
        self._tables = tables

    async def add(self, staff: Staff, password_hash: str) -> None:
        if await self.credentials(staff.brand_id, staff.username) is not None:
            raise DuplicateUsername(staff.username)
        if staff.invite_code is not None and await self.by_invite_code(
            staff.brand_id, staff.invite_code
        ):
            raise InviteCodeTaken(f"invite code {staff.invite_code} is taken")
        self._tables.staff[staff.staff_id] = staff
        self._tables.password_hashes[staff.staff_id] = password_hash

    async def get(self, staff_id: str) -> Staff | None:
        return self._tables.staff.get(staff_id)

    async def credentials(self, brand_id: str, username: str) -> StaffCredentials | None:
        found = self._first(lambda s: s.brand_id == brand_id and s.username == username)
        if found is None:
            return None
        return StaffCredentials(found, self._tables.password_hashes[found.staff_id])

    async def by_invite_code(self, brand_id: str, invite_code: str) -> Staff | None:
        return self._first(lambda s: s.brand_id == brand_id and s.invite_code == invite_code)

    async def page(self, where: StaffFilter, after: ByName | None, limit: int) -> list[Staff]:
        staff = (
            s
            for s in self._tables.staff.values()
            if s.brand_id == where.brand_id
            and (where.store_id is None or s.store_id == where.store_id)
        )
        return _keyset_page(staff, lambda s: (s.display_name, s.staff_id), after, limit)

    def _first(self, matches: Callable[[Staff], bool]) -> Staff | None:
        return next((s for s in self._tables.staff.values() if matches(s)), None)


class InMemoryMembers:
    def __init__(self, tables: IdentityTables) -> None:
        self._tables = tables

    async def add(self, member: Member) -> None:
        if any(
            m.brand_id == member.brand_id and m.phone == member.phone
            for m in self._tables.members.values()
        ):
            raise DuplicatePhone()
        self._tables.members[member.member_id] = copy.deepcopy(member)

    async def get(self, member_id: str, *, for_update: bool = False) -> Member | None:
        # Units of work run one at a time, so every read is as good as locked.
        member = self._tables.members.get(member_id)
        # A copy, as a row read from a database: changes count only once saved.
        return copy.deepcopy(member) if member is not None else None

    async def save_binding(self, member: Member) -> None:
        stored = self._tables.members[member.member_id]
        stored.associate_id = member.associate_id
        stored.bound_at = member.bound_at

    async def page(
        self, where: MemberFilter, after: ByRegistration | None, limit: int
    ) -> list[Member]:
        matching = (
            m
            for m in self._tables.members.values()
            if m.brand_id == where.brand_id
            and (where.store_id is None or m.store_id == where.store_id)
            and (where.associate_id is None or m.associate_id == where.associate_id)
        )
        newest_first = _keyset_page(
            matching, lambda m: (m.registered_at, m.member_id), after, limit, descending=True
        )
        return [copy.deepcopy(m) for m in newest_first]


class InMemoryIdentityUnitOfWork(InMemoryUnitOfWork):
    """The recording fake of :class:`~identity.adapters.postgres.PostgresIdentityUnitOfWork`."""

    brands: InMemoryBrands
    stores: InMemoryStores
    staff: InMemoryStaffDirectory
    members: InMemoryMembers

    def _bind(self, tables: IdentityTables) -> None:
        self.brands = InMemoryBrands(tables)
        self.stores = InMemoryStores(tables)
        self.staff = InMemoryStaffDirectory(tables)
        self.members = InMemoryMembers(tables)


def in_memory_database() -> InMemoryDatabase:
    """An empty in-memory identity database; ``.tables`` is an :class:`IdentityTables`."""
    return InMemoryDatabase(IdentityTables())


def unit_of_work_factory(
    database: InMemoryDatabase, clock: Clock
) -> Callable[[], InMemoryIdentityUnitOfWork]:
    """What handlers and queries are given: a new unit of work on ``database`` per call."""
    return lambda: InMemoryIdentityUnitOfWork(database, source=SOURCE, clock=clock)


class InMemoryIngestionProvisioner:
    """Hands out credentials the way the Kafka adapter does, on a cluster that only exists in
    memory: each call rotates the brand's password, and :attr:`valid` holds the ones that
    would work now."""

    def __init__(self, bootstrap_servers: str = "127.0.0.1:59092") -> None:
        self._bootstrap_servers = bootstrap_servers
        self.valid: dict[str, str] = {}
        self.unavailable = False

    async def provision(self, brand_id: str) -> IngestionCredentials:
        if self.unavailable:
            raise IngestionUnavailable()
        access = IngestionAccess(
            brand_id,
            ingestion_topic(brand_id),
            KafkaConnection(
                self._bootstrap_servers,
                "SASL_PLAINTEXT",
                "SCRAM-SHA-512",
                username=ingestion_username(brand_id),
                password=secrets.token_urlsafe(24),
            ),
        )
        self.valid[access.username] = access.connection.password
        return credentials_of(access)
