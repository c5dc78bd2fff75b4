"""Test data builders: a brand set up through the handlers on the in-memory fakes."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from identity.adapters.memory import (
    IdentityTables,
    InMemoryIngestionProvisioner,
    in_memory_database,
    unit_of_work_factory,
)
from identity.adapters.passwords import ScryptPasswordHasher
from identity.adapters.tokens import JwtTokenIssuer
from identity.application.commands import CreateBrand, CreateStaff, CreateStore, RegisterMember
from identity.application.handlers import IdentityHandlers, principal_of
from identity.application.queries import IdentityQueries
from identity.domain.invite_codes import RandomBelow
from identity.domain.member import Member
from identity.domain.organisation import Staff, StaffRole, Store
from rapport_events.clock import ManualClock
from rapport_events.envelope import EventEnvelope
from rapport_events.uow import InMemoryDatabase
from rapport_platform.auth import Principal, Role

from tests.support.http import NOW as TOKEN_TIME
from tests.support.http import SECRET

NOW = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
TOKEN_TTL = timedelta(hours=2)
HQ_PASSWORD = "hq-password-1"
STAFF_PASSWORD = "staff-password-1"

__all__ = [
    "HQ_PASSWORD",
    "NOW",
    "STAFF_PASSWORD",
    "TOKEN_TIME",
    "World",
    "new_world",
    "principal_of",
]


def cheap_hasher() -> ScryptPasswordHasher:
    # The production cost makes no difference to behaviour, only to the suite's duration.
    return ScryptPasswordHasher(n=16)


def scripted(draws: Iterable[int]) -> RandomBelow:
    """A random source that returns ``draws`` in order, then zeros."""
    remaining = iter(draws)
    return lambda n: next(remaining, 0) % n


_numbers = itertools.count(1)


MEMBER_EVENTS = "rapport.identity.member."


@dataclass
class World:
    """The identity service on one in-memory database, acting for one brand."""

    database: InMemoryDatabase
    clock: ManualClock
    random_below: RandomBelow
    hasher: ScryptPasswordHasher = field(default_factory=cheap_hasher)
    brand_id: str = ""
    hq: Principal | None = None
    ingestion: InMemoryIngestionProvisioner = field(default_factory=InMemoryIngestionProvisioner)

    def __post_init__(self) -> None:
        unit_of_work = unit_of_work_factory(self.database, self.clock)
        self.handlers = IdentityHandlers(
            unit_of_work,
            self.clock,
            hasher=self.hasher,
            # Looked up at each draw, so a test can script the draws after the world is made.
            random_below=lambda n: self.random_below(n),
            # Tokens are minted on their own (wall) clock, at the instant the HTTP tests check them.
            tokens=JwtTokenIssuer(SECRET, ManualClock(TOKEN_TIME), TOKEN_TTL),
            ingestion=self.ingestion,
        )
        self.queries = IdentityQueries(unit_of_work)

    @property
    def tables(self) -> IdentityTables:
        tables: IdentityTables = self.database.tables
        return tables

    @property
    def events(self) -> list[EventEnvelope]:
        """What happened to members (the organisation's events: :attr:`organisation_events`)."""
        return [e for e in self.database.published() if e.type.startswith(MEMBER_EVENTS)]

    @property
    def organisation_events(self) -> list[EventEnvelope]:
        return [e for e in self.database.published() if not e.type.startswith(MEMBER_EVENTS)]

    @property
    def hq_actor(self) -> Principal:
        assert self.hq is not None
        return self.hq

    def another(self) -> World:
        """A world on the same database, for a second brand."""
        return World(self.database, self.clock, random.Random(2).randrange, self.hasher)

    async def brand(self, code: str = "lumiere") -> str:
        created = await self.handlers.create_brand(
            CreateBrand(code=code, name="Lumière", hq_username="hq", hq_password=HQ_PASSWORD)
        )
        self.brand_id = created.brand.brand_id
        self.hq = Principal(subject=created.hq.staff_id, role=Role.HQ, brand_id=self.brand_id)
        return self.brand_id

    async def store(self, name: str = "Jing'an", actor: Principal | None = None) -> Store:
        return await self.handlers.create_store(
            CreateStore(actor=actor or self.hq_actor, name=name, city="Shanghai")
        )

    async def staff(
        self,
        store: Store | None,
        role: StaffRole = StaffRole.ASSOCIATE,
        username: str | None = None,
        actor: Principal | None = None,
    ) -> Staff:
        return await self.handlers.create_staff(
            CreateStaff(
                actor=actor or self.hq_actor,
                store_id=store.store_id if store else None,
                role=role,
                display_name=(username or "staff").title(),
                username=username or f"u{next(_numbers)}",
                password=STAFF_PASSWORD,
            )
        )

    async def member(
        self,
        store: Store | str,
        phone: str,
        *,
        name: str = "梁晓雯",
        surname: str = "梁",
        invite_code: str | None = None,
        actor: Principal | None = None,
    ) -> Member:
        return await self.handlers.register_member(
            RegisterMember(
                actor=actor or self.hq_actor,
                store_id=store if isinstance(store, str) else store.store_id,
                name=name,
                surname=surname,
                phone=phone,
                invite_code=invite_code,
            )
        )


def new_world(seed: int = 1) -> World:
    return World(in_memory_database(), ManualClock(NOW), random.Random(seed).randrange)
