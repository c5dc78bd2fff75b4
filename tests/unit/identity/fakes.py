"""A brand set up through the handlers on the in-memory tables, for the application tests."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from identity.adapters.memory import InMemoryIdentity
from identity.adapters.passwords import ScryptPasswordHasher
from identity.application import handlers
from identity.application.commands import CreateBrand, CreateStaff, CreateStore, RegisterMember
from identity.domain.invite_codes import RandomBelow
from identity.domain.member import Member
from identity.domain.organisation import Staff, StaffRole, Store
from rapport_events.clock import ManualClock
from rapport_platform.auth import Principal, Role

NOW = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
HQ_PASSWORD = "hq-password-1"
STAFF_PASSWORD = "staff-password-1"


def cheap_hasher() -> ScryptPasswordHasher:
    # The production cost makes no difference to behaviour, only to the suite's duration.
    return ScryptPasswordHasher(n=16)


def scripted(draws: Iterable[int]) -> RandomBelow:
    """A random source that returns ``draws`` in order, then zeros."""
    remaining = iter(draws)
    return lambda n: next(remaining, 0) % n


@dataclass
class World:
    db: InMemoryIdentity
    clock: ManualClock
    hasher: ScryptPasswordHasher
    random_below: RandomBelow
    brand_id: str = ""
    hq: Principal | None = None

    @property
    def hq_actor(self) -> Principal:
        assert self.hq is not None
        return self.hq

    async def brand(self, code: str = "lumiere") -> str:
        created = await handlers.create_brand(
            CreateBrand(code=code, name="Lumière", hq_username="hq", hq_password=HQ_PASSWORD),
            self.db.unit_of_work(),
            self.hasher,
        )
        self.brand_id = created.brand.brand_id
        self.hq = Principal(
            subject=created.hq.staff_id, role=Role.HQ, brand_id=self.brand_id, store_id=None
        )
        return self.brand_id

    async def store(self, name: str = "Jing'an", brand_id: str | None = None) -> Store:
        return await handlers.create_store(
            CreateStore(brand_id=brand_id or self.brand_id, name=name, city="Shanghai"),
            self.db.unit_of_work(),
        )

    async def staff(
        self,
        store: Store | None,
        role: StaffRole = StaffRole.ASSOCIATE,
        username: str | None = None,
        actor: Principal | None = None,
    ) -> Staff:
        return await handlers.create_staff(
            CreateStaff(
                actor=actor or self.hq_actor,
                brand_id=self.brand_id,
                store_id=store.store_id if store else None,
                role=role,
                display_name=(username or "staff").title(),
                username=username or f"u{next(_numbers)}",
                password=STAFF_PASSWORD,
            ),
            self.db.unit_of_work(),
            self.hasher,
            self.random_below,
        )

    async def member(
        self,
        store: Store,
        phone: str,
        *,
        name: str = "梁晓雯",
        invite_code: str | None = None,
        actor: Principal | None = None,
    ) -> Member:
        return await handlers.register_member(
            RegisterMember(
                actor=actor or self.hq_actor,
                brand_id=self.brand_id,
                store_id=store.store_id,
                name=name,
                phone=phone,
                invite_code=invite_code,
            ),
            self.db.unit_of_work(),
            self.clock,
        )


_numbers = itertools.count(1)


def new_world(seed: int = 1) -> World:
    clock = ManualClock(NOW)
    return World(
        db=InMemoryIdentity(clock),
        clock=clock,
        hasher=cheap_hasher(),
        random_below=random.Random(seed).randrange,
    )


def principal_of(staff: Staff) -> Principal:
    return Principal(
        subject=staff.staff_id,
        role=Role(staff.role.value),
        brand_id=staff.brand_id,
        store_id=staff.store_id,
    )
