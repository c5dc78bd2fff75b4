"""The identity repositories' contract: one suite, run on the in-memory fakes and PostgreSQL.

``backend`` opens units of work on a fresh, empty store of either kind; the ``add_*``
helpers store rows in a unit of their own, as a command would.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
import pytest_asyncio
from identity.adapters import MIGRATIONS
from identity.adapters.memory import SOURCE, in_memory_database, unit_of_work_factory
from identity.adapters.postgres import PostgresIdentityUnitOfWork
from identity.application.ports import IdentityUnitOfWork
from identity.domain import ids
from identity.domain.member import Member
from identity.domain.organisation import Brand, Staff, StaffRole, Store
from rapport_events.clock import ManualClock
from rapport_platform.db import migrate
from rapport_platform.pii import FieldCipher
from rapport_platform.settings import DEV_PII_KEY

NOW = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)

LOCK_WAITS = (
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


@dataclass
class Backend:
    unit_of_work: Callable[[], IdentityUnitOfWork]
    waits_for_a_lock: Callable[[], Awaitable[bool]]
    """Whether some unit of work is waiting for a row another one holds."""

    async def add_brand(self, code: str = "lumiere") -> Brand:
        brand = Brand.create(code, code.title())
        async with self.unit_of_work() as uow:
            await uow.brands.add(brand)
        return brand

    async def add_store(self, brand: Brand, name: str = "Jing'an") -> Store:
        store = Store.create(brand.brand_id, name, "Shanghai")
        async with self.unit_of_work() as uow:
            await uow.stores.add(store)
        return store

    async def add_staff(self, staff: Staff, password_hash: str = "scrypt$hash") -> Staff:
        async with self.unit_of_work() as uow:
            await uow.staff.add(staff, password_hash)
        return staff

    async def add_member(self, member: Member) -> Member:
        async with self.unit_of_work() as uow:
            await uow.members.add(member)
        return member


def associate(store: Store, username: str, code: str, display_name: str | None = None) -> Staff:
    return Staff.create(
        brand_id=store.brand_id,
        store_id=store.store_id,
        role=StaffRole.ASSOCIATE,
        display_name=display_name or username.title(),
        username=username,
        invite_code=code,
    )


def member(
    store: Store,
    phone: str,
    *,
    registered_at: datetime = NOW,
    name: str = "梁晓雯",
    id_digit: str | None = None,
) -> Member:
    """A newly registered member; ``id_digit`` gives her a known id (:func:`member_id`)."""
    found, _ = Member.register(
        brand_id=store.brand_id,
        store_id=store.store_id,
        name=name,
        surname=name[0],
        phone=phone,
        gender="female",
        birthday=None,
        preferred_channel="sms",
        now=registered_at,
    )
    return replace(found, member_id=member_id(id_digit)) if id_digit else found


def member_id(hex_digit: str) -> str:
    """Ids whose order is known: ``mbr_`` and 32 times one hex digit."""
    return ids.MEMBER + hex_digit * 32


MINUTE = timedelta(minutes=1)


async def _serialised() -> bool:
    # In memory, units of work run one at a time: a second one waits at its start.
    return True


@pytest_asyncio.fixture
async def identity_pool(pool: asyncpg.Pool) -> asyncpg.Pool:
    """A fresh database with the identity tables."""
    await migrate(pool, MIGRATIONS, component="identity")
    return pool


@pytest.fixture(params=["memory", "postgres"])
def backend(request: pytest.FixtureRequest) -> Backend:
    clock = ManualClock(NOW)
    if request.param == "memory":
        return Backend(unit_of_work_factory(in_memory_database(), clock), _serialised)
    pool: asyncpg.Pool = request.getfixturevalue("identity_pool")
    cipher = FieldCipher(DEV_PII_KEY)

    def unit_of_work() -> PostgresIdentityUnitOfWork:
        return PostgresIdentityUnitOfWork(pool, source=SOURCE, clock=clock, cipher=cipher)

    async def waits_for_a_lock() -> bool:
        return bool(await pool.fetchval(LOCK_WAITS))

    return Backend(unit_of_work, waits_for_a_lock)
