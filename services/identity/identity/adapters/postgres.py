"""The identity tables in PostgreSQL; every repository works on the unit of work's connection."""

from __future__ import annotations

import asyncpg
from rapport_events.clock import Clock
from rapport_events.uow import Connection, UnitOfWork
from rapport_platform.pii import FieldCipher

from identity.application.ports import (
    ByName,
    ByRegistration,
    InviteCodeTaken,
    MemberFilter,
    StaffCredentials,
    StaffFilter,
)
from identity.domain.errors import DuplicateBrandCode, DuplicatePhone, DuplicateUsername
from identity.domain.member import Member
from identity.domain.organisation import Brand, Staff, StaffRole, Store

# Keyset boundaries compare text byte-wise, as the in-memory fakes (and Python) do.
C = 'COLLATE "C"'


class PostgresBrands:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def add(self, brand: Brand) -> None:
        try:
            await self._connection.execute(
                "INSERT INTO brands (brand_id, code, name) VALUES ($1, $2, $3)",
                brand.brand_id,
                brand.code,
                brand.name,
            )
        except asyncpg.UniqueViolationError as error:
            if error.constraint_name == "brands_code_unique":
                raise DuplicateBrandCode(brand.code) from error
            raise

    async def get(self, brand_id: str) -> Brand | None:
        row = await self._connection.fetchrow(
            "SELECT brand_id, code, name FROM brands WHERE brand_id = $1", brand_id
        )
        return Brand(**dict(row)) if row is not None else None

    async def by_code(self, code: str) -> Brand | None:
        row = await self._connection.fetchrow(
            "SELECT brand_id, code, name FROM brands WHERE code = $1", code
        )
        return Brand(**dict(row)) if row is not None else None


class PostgresStores:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def add(self, store: Store) -> None:
        await self._connection.execute(
            "INSERT INTO stores (store_id, brand_id, name, city) VALUES ($1, $2, $3, $4)",
            store.store_id,
            store.brand_id,
            store.name,
            store.city,
        )

    async def get(self, store_id: str) -> Store | None:
        row = await self._connection.fetchrow(
            "SELECT store_id, brand_id, name, city FROM stores WHERE store_id = $1", store_id
        )
        return Store(**dict(row)) if row is not None else None

    async def page(self, brand_id: str, after: ByName | None, limit: int) -> list[Store]:
        rows = await self._connection.fetch(
            "SELECT store_id, brand_id, name, city FROM stores"
            " WHERE brand_id = $1"
            f"   AND ($2::text IS NULL OR (name {C}, store_id {C}) > ($2, $3::text))"
            f" ORDER BY name {C}, store_id {C}"
            " LIMIT $4",
            brand_id,
            *_boundary(after),
            limit,
        )
        return [Store(**dict(row)) for row in rows]


def _boundary(after: tuple[object, str] | None) -> tuple[object, str | None]:
    """The two parameters of a keyset boundary: NULLs for the first page."""
    return after if after is not None else (None, None)


_STAFF_COLUMNS = "staff_id, brand_id, store_id, role, display_name, username, invite_code"


def _staff(row: asyncpg.Record) -> Staff:
    return Staff(
        staff_id=row["staff_id"],
        brand_id=row["brand_id"],
        store_id=row["store_id"],
        role=StaffRole(row["role"]),
        display_name=row["display_name"],
        username=row["username"],
        invite_code=row["invite_code"],
    )


class PostgresStaffDirectory:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def add(self, staff: Staff, password_hash: str) -> None:
        try:
            await self._connection.execute(
                f"INSERT INTO staff ({_STAFF_COLUMNS}, password_hash)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                staff.staff_id,
                staff.brand_id,
                staff.store_id,
                staff.role.value,
                staff.display_name,
                staff.username,
                staff.invite_code,
                password_hash,
            )
        except asyncpg.UniqueViolationError as error:
            if error.constraint_name == "staff_username_unique":
                raise DuplicateUsername(staff.username) from error
            if error.constraint_name == "staff_invite_code_unique":
                raise InviteCodeTaken(f"invite code {staff.invite_code} is taken") from error
            raise

    async def get(self, staff_id: str) -> Staff | None:
        row = await self._connection.fetchrow(
            f"SELECT {_STAFF_COLUMNS} FROM staff WHERE staff_id = $1", staff_id
        )
        return _staff(row) if row is not None else None

    async def credentials(self, brand_id: str, username: str) -> StaffCredentials | None:
        row = await self._connection.fetchrow(
            f"SELECT {_STAFF_COLUMNS}, password_hash FROM staff"
            " WHERE brand_id = $1 AND username = $2",
            brand_id,
            username,
        )
        return StaffCredentials(_staff(row), row["password_hash"]) if row is not None else None

    async def by_invite_code(self, brand_id: str, invite_code: str) -> Staff | None:
        row = await self._connection.fetchrow(
            f"SELECT {_STAFF_COLUMNS} FROM staff WHERE brand_id = $1 AND invite_code = $2",
            brand_id,
            invite_code,
        )
        return _staff(row) if row is not None else None

    async def page(self, where: StaffFilter, after: ByName | None, limit: int) -> list[Staff]:
        rows = await self._connection.fetch(
            f"SELECT {_STAFF_COLUMNS} FROM staff"
            " WHERE brand_id = $1 AND ($2::text IS NULL OR store_id = $2)"
            f"   AND ($3::text IS NULL OR (display_name {C}, staff_id {C}) > ($3, $4::text))"
            f" ORDER BY display_name {C}, staff_id {C}"
            " LIMIT $5",
            where.brand_id,
            where.store_id,
            *_boundary(after),
            limit,
        )
        return [_staff(row) for row in rows]


_MEMBER_COLUMNS = (
    "member_id, brand_id, store_id, name_encrypted, surname, phone_encrypted, gender,"
    " birthday, preferred_channel, associate_id, bound_at, registered_at, referred_by"
)


class PostgresMembers:
    """Members with their name and phone encrypted, each ciphertext bound to column and row."""

    def __init__(self, connection: Connection, cipher: FieldCipher) -> None:
        self._connection = connection
        self._cipher = cipher

    @staticmethod
    def _context(column: str, member_id: str) -> str:
        # Binding the ciphertext to its row stops a copied value from decrypting elsewhere.
        return f"members.{column}:{member_id}"

    def _member(self, row: asyncpg.Record) -> Member:
        member_id = row["member_id"]
        return Member(
            member_id=member_id,
            brand_id=row["brand_id"],
            store_id=row["store_id"],
            name=self._cipher.decrypt(row["name_encrypted"], self._context("name", member_id)),
            surname=row["surname"],
            phone=self._cipher.decrypt(row["phone_encrypted"], self._context("phone", member_id)),
            gender=row["gender"],
            birthday=row["birthday"],
            preferred_channel=row["preferred_channel"],
            associate_id=row["associate_id"],
            bound_at=row["bound_at"],
            registered_at=row["registered_at"],
            referred_by=row["referred_by"],
        )

    async def add(self, member: Member) -> None:
        member_id = member.member_id
        try:
            await self._connection.execute(
                f"INSERT INTO members ({_MEMBER_COLUMNS}, phone_index)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                member_id,
                member.brand_id,
                member.store_id,
                self._cipher.encrypt(member.name, self._context("name", member_id)),
                member.surname,
                self._cipher.encrypt(member.phone, self._context("phone", member_id)),
                member.gender,
                member.birthday,
                member.preferred_channel,
                member.associate_id,
                member.bound_at,
                member.registered_at,
                member.referred_by,
                self._cipher.blind_index(member.phone),
            )
        except asyncpg.UniqueViolationError as error:
            if error.constraint_name == "members_phone_unique":
                raise DuplicatePhone() from error
            raise

    async def get(self, member_id: str, *, for_update: bool = False) -> Member | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._connection.fetchrow(
            f"SELECT {_MEMBER_COLUMNS} FROM members WHERE member_id = $1{lock}", member_id
        )
        return self._member(row) if row is not None else None

    async def save_binding(self, member: Member) -> None:
        await self._connection.execute(
            "UPDATE members SET associate_id = $2, bound_at = $3 WHERE member_id = $1",
            member.member_id,
            member.associate_id,
            member.bound_at,
        )

    async def page(
        self, where: MemberFilter, after: ByRegistration | None, limit: int
    ) -> list[Member]:
        rows = await self._connection.fetch(
            f"SELECT {_MEMBER_COLUMNS} FROM members"
            " WHERE brand_id = $1"
            "   AND ($2::text IS NULL OR store_id = $2)"
            "   AND ($3::text IS NULL OR associate_id = $3)"
            f"   AND ($4::timestamptz IS NULL OR (registered_at, member_id {C}) < ($4, $5::text))"
            f" ORDER BY registered_at DESC, member_id {C} DESC"
            " LIMIT $6",
            where.brand_id,
            where.store_id,
            where.associate_id,
            *_boundary(after),
            limit,
        )
        return [self._member(row) for row in rows]


class PostgresIdentityUnitOfWork(UnitOfWork):
    """One transaction over the identity tables, the event store and the outbox."""

    brands: PostgresBrands
    stores: PostgresStores
    staff: PostgresStaffDirectory
    members: PostgresMembers

    def __init__(
        self, pool: asyncpg.Pool, *, source: str, clock: Clock, cipher: FieldCipher
    ) -> None:
        super().__init__(pool, source=source, clock=clock)
        self._cipher = cipher

    def _bind(self, connection: Connection) -> None:
        self.brands = PostgresBrands(connection)
        self.stores = PostgresStores(connection)
        self.staff = PostgresStaffDirectory(connection)
        self.members = PostgresMembers(connection, self._cipher)
