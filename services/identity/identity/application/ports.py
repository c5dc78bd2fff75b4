"""What the use cases need from the outside world."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from rapport_events.uow import UnitOfWorkPort
from rapport_platform.auth import Principal

from identity.domain.member import Member
from identity.domain.organisation import Brand, Staff, Store

ByName = tuple[str, str]
"""Where a page of stores or staff ends: the last (name, id); lists run by name, then id."""

ByRegistration = tuple[datetime, str]
"""Where a page of members ends: the last (registered_at, member_id); newest first."""


class Brands(Protocol):
    async def add(self, brand: Brand) -> None:
        """Raises :class:`~identity.domain.errors.DuplicateBrandCode` when the code is taken."""
        ...

    async def get(self, brand_id: str) -> Brand | None: ...

    async def by_code(self, code: str) -> Brand | None: ...


class Stores(Protocol):
    async def add(self, store: Store) -> None: ...

    async def get(self, store_id: str) -> Store | None: ...

    async def page(self, brand_id: str, after: ByName | None, limit: int) -> list[Store]:
        """At most ``limit`` stores of the brand by name then id, strictly after ``after``."""
        ...


@dataclass(frozen=True)
class StaffCredentials:
    staff: Staff
    password_hash: str


class InviteCodeTaken(RuntimeError):
    """Two associates of one brand were given the same code: handlers draw a free one first,
    so this means a bug or a race between two creations."""


@dataclass(frozen=True)
class StaffFilter:
    brand_id: str
    store_id: str | None = None


class StaffDirectory(Protocol):
    async def add(self, staff: Staff, password_hash: str) -> None:
        """Raises :class:`~identity.domain.errors.DuplicateUsername` when the name is taken in
        the brand, and :class:`InviteCodeTaken` for an invite code a colleague has."""
        ...

    async def get(self, staff_id: str) -> Staff | None: ...

    async def credentials(self, brand_id: str, username: str) -> StaffCredentials | None: ...

    async def by_invite_code(self, brand_id: str, invite_code: str) -> Staff | None: ...

    async def page(self, where: StaffFilter, after: ByName | None, limit: int) -> list[Staff]:
        """At most ``limit`` staff by display name then id, strictly after ``after``."""
        ...


@dataclass(frozen=True)
class MemberFilter:
    brand_id: str
    store_id: str | None = None
    associate_id: str | None = None


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
        self, where: MemberFilter, after: ByRegistration | None, limit: int
    ) -> list[Member]:
        """At most ``limit`` members newest first (ties by id, descending), strictly after
        ``after``."""
        ...


class IdentityUnitOfWork(UnitOfWorkPort, Protocol):
    """One transaction over the identity tables; emitted events commit with it."""

    @property
    def brands(self) -> Brands: ...

    @property
    def stores(self) -> Stores: ...

    @property
    def staff(self) -> StaffDirectory: ...

    @property
    def members(self) -> Members: ...


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, password: str, hashed: str) -> bool: ...

    async def verify_decoy(self, password: str) -> None:
        """Spend the time of a verification without a stored hash.

        Login calls it for unknown users so that response times do not tell callers which
        usernames exist.
        """
        ...


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    """Seconds until the token expires."""


class TokenIssuer(Protocol):
    def issue(self, principal: Principal) -> IssuedToken:
        """A bearer token for ``principal``, valid for the issuer's lifetime."""
        ...


@dataclass(frozen=True)
class IngestionCredentials:
    """What an outside system of a brand needs to publish to the brand's ingestion topic.

    ``password`` is shown once, in the answer to the request that rotated it; nothing keeps it.
    """

    brand_id: str
    topic: str
    bootstrap_servers: str
    security_protocol: str
    sasl_mechanism: str
    username: str
    password: str
    librdkafka: dict[str, str]


class IngestionProvisioner(Protocol):
    async def provision(self, brand_id: str) -> IngestionCredentials:
        """Create the brand's ingestion topic and user if missing, and give the user a new
        password (the previous one stops working). Raises
        :class:`~identity.domain.errors.IngestionUnavailable` when the platform's Kafka
        authenticates nobody."""
        ...
