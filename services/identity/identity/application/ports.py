"""What the use cases need from the outside world."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from rapport_events.envelope import DomainEvent, EventEnvelope

from identity.domain.member import Member
from identity.domain.organisation import Brand, Staff, Store


class Brands(Protocol):
    async def add(self, brand: Brand) -> None:
        """Raises :class:`~identity.domain.errors.DuplicateBrandCode` when the code is taken."""
        ...

    async def get(self, brand_id: str) -> Brand | None: ...

    async def by_code(self, code: str) -> Brand | None: ...


class Stores(Protocol):
    async def add(self, store: Store) -> None: ...

    async def get(self, store_id: str) -> Store | None: ...

    async def of_brand(self, brand_id: str) -> list[Store]:
        """Ordered by name."""
        ...


@dataclass(frozen=True)
class StaffCredentials:
    staff: Staff
    password_hash: str


class StaffDirectory(Protocol):
    async def add(self, staff: Staff, password_hash: str) -> None:
        """Raises :class:`~identity.domain.errors.DuplicateUsername` when the name is taken."""
        ...

    async def get(self, staff_id: str) -> Staff | None: ...

    async def credentials(self, brand_id: str, username: str) -> StaffCredentials | None: ...

    async def by_invite_code(self, brand_id: str, invite_code: str) -> Staff | None: ...

    async def of_brand(self, brand_id: str, store_id: str | None = None) -> list[Staff]:
        """Ordered by display name; only one store's staff when ``store_id`` is given."""
        ...


@dataclass(frozen=True)
class MemberFilter:
    brand_id: str
    store_id: str | None = None
    associate_id: str | None = None


@dataclass(frozen=True)
class MemberPosition:
    """Where a page of members ends: lists run newest first, ties broken by id."""

    registered_at: datetime
    member_id: str


class Members(Protocol):
    async def add(self, member: Member) -> None:
        """Raises :class:`~identity.domain.errors.DuplicatePhone` for a phone already
        registered in the member's brand."""
        ...

    async def get(self, member_id: str, *, for_update: bool = False) -> Member | None:
        """``for_update`` holds the member until the transaction ends (concurrent binds)."""
        ...

    async def save_binding(self, member: Member) -> None: ...

    async def page(
        self, where: MemberFilter, after: MemberPosition | None, limit: int
    ) -> list[Member]:
        """At most ``limit`` members newest first, strictly after ``after``."""
        ...


class IdentityUnitOfWork(Protocol):
    """One transaction over the identity tables; emitted events commit with it."""

    @property
    def brands(self) -> Brands: ...

    @property
    def stores(self) -> Stores: ...

    @property
    def staff(self) -> StaffDirectory: ...

    @property
    def members(self) -> Members: ...

    def emit(self, event: DomainEvent, *, brand_id: str) -> EventEnvelope: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, password: str, hashed: str) -> bool: ...

    async def verify_decoy(self, password: str) -> None:
        """Spend the time of a verification without a stored hash.

        Login calls it for unknown users so that response times do not tell callers which
        usernames exist.
        """
        ...
