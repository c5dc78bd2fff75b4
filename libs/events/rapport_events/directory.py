"""A service's local replica of identity's directory, and the reference checks built on it.

Identity owns brands, stores, staff and members. Every other service must check the
references a request or an event names (this member, that store, this associate) against
the caller's brand before it writes anything, and must not ask identity over HTTP on every
request to do so. Each such service therefore keeps a replica of the few facts the checks
need (which brand and store a member, a store or a member of staff belongs to; whom a member
is bound to), fed by identity's events through the service's own consumer::

    # bootstrap.py
    subscriptions=with_directory(subscriptions(handlers)),
    migrations=[MIGRATIONS, DIRECTORY_MIGRATIONS],

    # adapters/postgres.py, in the unit of work's _bind
    self.directory = PostgresDirectory(connection)

    # application code
    member = await known_member(uow.directory, member_id, brand_id=caller_brand)
    if member is None:
        raise UnknownMember("member_id", member_id)  # the service's own refusal

The replica lags identity by the consumer's delay (milliseconds when all is well). A member
registered a moment ago may therefore be unknown for that moment: a request naming her is
refused like any unknown reference and succeeds when retried. Consumers apply events naming a
member, store or member of staff the replica does not know yet (the producer checked them),
and refuse those naming one the replica knows under another brand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from rapport_events.consumer import Handler, RejectEvent, Subscription, combined
from rapport_events.contracts.identity import (
    MemberBoundToAssociate,
    MemberRegistered,
    StaffJoined,
    StoreOpened,
)
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.topics import IDENTITY_MEMBERS, IDENTITY_ORGANISATION
from rapport_events.uow import Connection

DIRECTORY_MIGRATIONS = Path(__file__).parent / "sql_directory"
"""The replica's tables; a service that keeps the replica migrates this folder too."""


@dataclass(frozen=True)
class KnownMember:
    member_id: str
    brand_id: str
    store_id: str
    associate_id: str | None = None


@dataclass(frozen=True)
class KnownStore:
    store_id: str
    brand_id: str


@dataclass(frozen=True)
class KnownStaff:
    staff_id: str
    brand_id: str
    role: str
    store_id: str | None = None


class Directory(Protocol):
    """The replica, read and fed inside the service's unit of work."""

    async def member(self, member_id: str) -> KnownMember | None: ...

    async def store(self, store_id: str) -> KnownStore | None: ...

    async def staff(self, staff_id: str) -> KnownStaff | None: ...

    async def store_managers(self, store_id: str) -> list[KnownStaff]:
        """The managers of ``store_id`` the replica knows, by staff id (alerts go to them)."""
        ...

    async def remember_member(self, member: KnownMember) -> None:
        """Insert or replace: a member's store and associate change with hand-overs."""
        ...

    async def remember_store(self, store: KnownStore) -> None: ...

    async def remember_staff(self, staff: KnownStaff) -> None: ...


class DirectoryUnitOfWork(Protocol):
    """What the replica's consumers need of a service's unit of work."""

    directory: Directory


# --------------------------------------------------------------------------- reference checks


async def known_member(
    directory: Directory, member_id: str, *, brand_id: str
) -> KnownMember | None:
    """The member if the replica knows her in ``brand_id``; None if unknown or elsewhere.

    The two cases are deliberately one: a caller must not learn that an id exists in another
    brand. Callers turn None into their own refusal (404 for a path, 422 for a body field).
    """
    member = await directory.member(member_id)
    return member if member is not None and member.brand_id == brand_id else None


async def known_store(directory: Directory, store_id: str, *, brand_id: str) -> KnownStore | None:
    """The store if the replica knows it in ``brand_id``; None if unknown or elsewhere."""
    store = await directory.store(store_id)
    return store if store is not None and store.brand_id == brand_id else None


async def known_staff(directory: Directory, staff_id: str, *, brand_id: str) -> KnownStaff | None:
    """The member of staff if the replica knows her in ``brand_id``; None otherwise."""
    staff = await directory.staff(staff_id)
    return staff if staff is not None and staff.brand_id == brand_id else None


Known = KnownMember | KnownStore | KnownStaff

REFERENCE_FIELDS: dict[str, str] = {
    "member_id": "member",
    "store_id": "store",
    "staff_id": "staff",
    "associate_id": "staff",
    "previous_associate_id": "staff",
}
"""The event fields that name something identity owns, and what they name."""


async def _look_up(directory: Directory, kind: str, reference: str) -> Known | None:
    if kind == "member":
        return await directory.member(reference)
    if kind == "store":
        return await directory.store(reference)
    return await directory.staff(reference)


async def foreign_reference(event: DomainEvent, directory: Directory) -> str | None:
    """Why an event naming a member, store or member of staff the replica knows under another
    brand than the event's is refused; None when it names none (or none known yet)."""
    brand_id = getattr(event, "brand_id", None)
    if not isinstance(brand_id, str):
        return None
    for field_name, kind in REFERENCE_FIELDS.items():
        reference = getattr(event, field_name, None)
        if not isinstance(reference, str):
            continue
        known = await _look_up(directory, kind, reference)
        if known is not None and known.brand_id != brand_id:
            return (
                f"{kind} {reference!r} belongs to another brand than the event's "
                f"brand_id {brand_id!r}"
            )
    return None


# --------------------------------------------------------------------------- the replica's feed


async def _on_member_registered(
    event: MemberRegistered, _envelope: EventEnvelope, uow: DirectoryUnitOfWork
) -> None:
    if await uow.directory.member(event.member_id) is not None:
        return  # a binding got here first and already holds her current store and associate
    await uow.directory.remember_member(
        KnownMember(event.member_id, event.brand_id, event.store_id)
    )


async def _on_member_bound(
    event: MemberBoundToAssociate, _envelope: EventEnvelope, uow: DirectoryUnitOfWork
) -> None:
    await uow.directory.remember_member(
        KnownMember(event.member_id, event.brand_id, event.store_id, event.associate_id)
    )


async def _on_store_opened(
    event: StoreOpened, _envelope: EventEnvelope, uow: DirectoryUnitOfWork
) -> None:
    await uow.directory.remember_store(KnownStore(event.store_id, event.brand_id))


async def _on_staff_joined(
    event: StaffJoined, _envelope: EventEnvelope, uow: DirectoryUnitOfWork
) -> None:
    await uow.directory.remember_staff(
        KnownStaff(event.staff_id, event.brand_id, event.role, event.store_id)
    )


DIRECTORY_SUBSCRIPTIONS = [
    Subscription(
        topic=IDENTITY_MEMBERS,
        handlers={
            MemberRegistered: _on_member_registered,
            MemberBoundToAssociate: _on_member_bound,
        },
    ),
    Subscription(
        topic=IDENTITY_ORGANISATION,
        handlers={StoreOpened: _on_store_opened, StaffJoined: _on_staff_joined},
    ),
]


def _guarded(handler: Handler) -> Handler:
    async def guarded(event: Any, envelope: EventEnvelope, uow: Any) -> None:
        reason = await foreign_reference(event, uow.directory)
        if reason is not None:
            raise RejectEvent(reason)
        await handler(event, envelope, uow)

    return guarded


def with_directory(subscriptions: Sequence[Subscription]) -> list[Subscription]:
    """The service's subscriptions, plus the replica's feed, each guarded against members,
    stores and staff of another brand.

    The guard runs before anything is applied (the replica's own update included), so an event
    that names a brand-A member under brand B is dead-lettered and changes nothing.
    """
    merged = combined([*DIRECTORY_SUBSCRIPTIONS, *subscriptions])
    return [
        Subscription(topic=s.topic, handlers={kind: _guarded(h) for kind, h in s.handlers.items()})
        for s in merged
    ]


# --------------------------------------------------------------------------- adapters


class PostgresDirectory:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def member(self, member_id: str) -> KnownMember | None:
        row = await self._connection.fetchrow(
            "SELECT member_id, brand_id, store_id, associate_id"
            " FROM directory_members WHERE member_id = $1",
            member_id,
        )
        return KnownMember(**dict(row)) if row is not None else None

    async def store(self, store_id: str) -> KnownStore | None:
        row = await self._connection.fetchrow(
            "SELECT store_id, brand_id FROM directory_stores WHERE store_id = $1", store_id
        )
        return KnownStore(**dict(row)) if row is not None else None

    async def staff(self, staff_id: str) -> KnownStaff | None:
        row = await self._connection.fetchrow(
            "SELECT staff_id, brand_id, role, store_id FROM directory_staff WHERE staff_id = $1",
            staff_id,
        )
        return KnownStaff(**dict(row)) if row is not None else None

    async def store_managers(self, store_id: str) -> list[KnownStaff]:
        rows = await self._connection.fetch(
            "SELECT staff_id, brand_id, role, store_id FROM directory_staff"
            " WHERE store_id = $1 AND role = 'store_manager' ORDER BY staff_id",
            store_id,
        )
        return [KnownStaff(**dict(row)) for row in rows]

    async def remember_member(self, member: KnownMember) -> None:
        await self._connection.execute(
            """
            INSERT INTO directory_members (member_id, brand_id, store_id, associate_id)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (member_id) DO UPDATE SET brand_id = EXCLUDED.brand_id,
                store_id = EXCLUDED.store_id, associate_id = EXCLUDED.associate_id
            """,
            member.member_id,
            member.brand_id,
            member.store_id,
            member.associate_id,
        )

    async def remember_store(self, store: KnownStore) -> None:
        await self._connection.execute(
            """
            INSERT INTO directory_stores (store_id, brand_id) VALUES ($1, $2)
            ON CONFLICT (store_id) DO UPDATE SET brand_id = EXCLUDED.brand_id
            """,
            store.store_id,
            store.brand_id,
        )

    async def remember_staff(self, staff: KnownStaff) -> None:
        await self._connection.execute(
            """
            INSERT INTO directory_staff (staff_id, brand_id, role, store_id) VALUES ($1, $2, $3, $4)
            ON CONFLICT (staff_id) DO UPDATE SET brand_id = EXCLUDED.brand_id,
                role = EXCLUDED.role, store_id = EXCLUDED.store_id
            """,
            staff.staff_id,
            staff.brand_id,
            staff.role,
            staff.store_id,
        )


@dataclass
class DirectoryTables:
    """The in-memory replica; services put one in their tables dataclass."""

    members: dict[str, KnownMember] = field(default_factory=dict)
    stores: dict[str, KnownStore] = field(default_factory=dict)
    staff: dict[str, KnownStaff] = field(default_factory=dict)


class InMemoryDirectory:
    def __init__(self, tables: DirectoryTables) -> None:
        self._tables = tables

    async def member(self, member_id: str) -> KnownMember | None:
        return self._tables.members.get(member_id)

    async def store(self, store_id: str) -> KnownStore | None:
        return self._tables.stores.get(store_id)

    async def staff(self, staff_id: str) -> KnownStaff | None:
        return self._tables.staff.get(staff_id)

    async def store_managers(self, store_id: str) -> list[KnownStaff]:
        return sorted(
            (
                s
                for s in self._tables.staff.values()
                if s.store_id == store_id and s.role == "store_manager"
            ),
            key=lambda staff: staff.staff_id,
        )

    async def remember_member(self, member: KnownMember) -> None:
        self._tables.members[member.member_id] = member

    async def remember_store(self, store: KnownStore) -> None:
        self._tables.stores[store.store_id] = store

    async def remember_staff(self, staff: KnownStaff) -> None:
        self._tables.staff[staff.staff_id] = staff
