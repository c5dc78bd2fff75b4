"""Command handlers: each opens the unit of work, decides, stores and emits in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, replace

from rapport_events.clock import Clock
from rapport_platform.auth import Role
from rapport_platform.errors import NotFound

from identity.application import access
from identity.application.commands import (
    BindMember,
    CreateBrand,
    CreateStaff,
    CreateStore,
    LogIn,
    RegisterMember,
)
from identity.application.ports import IdentityUnitOfWork, PasswordHasher
from identity.domain.errors import (
    DuplicateBrandCode,
    InvalidCredentials,
    MemberNotFound,
    UnknownReference,
)
from identity.domain.invite_codes import RandomBelow, new_invite_code, parse_invite_code
from identity.domain.member import Member
from identity.domain.organisation import (
    Brand,
    Staff,
    StaffRole,
    Store,
    check_password,
    normalise_password,
)

# 32**8 codes per brand make a clash rare; a few draws make a failure practically impossible.
INVITE_CODE_ATTEMPTS = 5


class InviteCodesExhausted(RuntimeError):
    pass


@dataclass(frozen=True)
class BrandCreated:
    brand: Brand
    hq: Staff


async def _brand(uow: IdentityUnitOfWork, brand_id: str) -> Brand:
    brand = await uow.brands.get(brand_id)
    if brand is None:
        raise NotFound(f"brand {brand_id} does not exist", code="brand_not_found")
    return brand


async def _store_of_brand(uow: IdentityUnitOfWork, brand_id: str, store_id: str) -> Store:
    store = await uow.stores.get(store_id)
    if store is None or store.brand_id != brand_id:
        raise UnknownReference("store_id", f"there is no store {store_id} in this brand")
    return store


async def create_brand(
    command: CreateBrand, uow: IdentityUnitOfWork, hasher: PasswordHasher
) -> BrandCreated:
    """A brand and its first HQ login, who then creates stores and staff."""
    brand = Brand.create(command.code, command.name)
    hq = Staff.create(
        brand_id=brand.brand_id,
        store_id=None,
        role=StaffRole.HQ,
        display_name=command.hq_display_name,
        username=command.hq_username,
    )
    check_password(command.hq_password)
    password_hash = await hasher.hash(normalise_password(command.hq_password))
    async with uow:
        if await uow.brands.by_code(brand.code) is not None:
            raise DuplicateBrandCode(brand.code)
        await uow.brands.add(brand)
        await uow.staff.add(hq, password_hash)
    return BrandCreated(brand=brand, hq=hq)


async def create_store(command: CreateStore, uow: IdentityUnitOfWork) -> Store:
    store = Store.create(command.brand_id, command.name, command.city)
    async with uow:
        await _brand(uow, command.brand_id)
        await uow.stores.add(store)
    return store


async def _unused_invite_code(
    uow: IdentityUnitOfWork, brand_id: str, random_below: RandomBelow
) -> str:
    for _ in range(INVITE_CODE_ATTEMPTS):
        code = new_invite_code(random_below)
        if await uow.staff.by_invite_code(brand_id, code) is None:
            return code
    raise InviteCodesExhausted(
        f"{INVITE_CODE_ATTEMPTS} invite codes in a row were taken in brand {brand_id}; "
        "is the random source random?"
    )


async def create_staff(
    command: CreateStaff,
    uow: IdentityUnitOfWork,
    hasher: PasswordHasher,
    random_below: RandomBelow,
) -> Staff:
    access.ensure_may_create_staff(command.actor, command.role, command.store_id)
    is_associate = command.role is StaffRole.ASSOCIATE
    staff = Staff.create(
        brand_id=command.brand_id,
        store_id=command.store_id,
        role=command.role,
        display_name=command.display_name,
        username=command.username,
        invite_code=new_invite_code(random_below) if is_associate else None,
    )
    check_password(command.password)
    # Hashing is deliberately slow: done before the transaction so it holds no connection.
    password_hash = await hasher.hash(normalise_password(command.password))
    async with uow:
        await _brand(uow, command.brand_id)
        if command.store_id is not None:
            await _store_of_brand(uow, command.brand_id, command.store_id)
        if staff.invite_code is not None and await uow.staff.by_invite_code(
            command.brand_id, staff.invite_code
        ):
            staff = replace(
                staff, invite_code=await _unused_invite_code(uow, command.brand_id, random_below)
            )
        await uow.staff.add(staff, password_hash)
    return staff


async def log_in(command: LogIn, uow: IdentityUnitOfWork, hasher: PasswordHasher) -> Staff:
    """The staff member the credentials belong to; one refusal for every way they can be wrong."""
    async with uow:
        brand = await uow.brands.by_code(command.brand_code.strip().lower())
        credentials = (
            await uow.staff.credentials(brand.brand_id, command.username.strip().lower())
            if brand is not None
            else None
        )
    password = normalise_password(command.password)
    if credentials is None:
        await hasher.verify_decoy(password)
        raise InvalidCredentials()
    if not await hasher.verify(password, credentials.password_hash):
        raise InvalidCredentials()
    return credentials.staff


async def register_member(command: RegisterMember, uow: IdentityUnitOfWork, clock: Clock) -> Member:
    actor = command.actor
    access.ensure_may_register_into(actor, command.store_id)
    invite_code = parse_invite_code(command.invite_code) if command.invite_code else None
    now = clock.now()
    member, registered = Member.register(
        brand_id=command.brand_id,
        store_id=command.store_id,
        name=command.name,
        surname=command.surname,
        phone=command.phone,
        gender=command.gender,
        birthday=command.birthday,
        preferred_channel=command.preferred_channel,
        now=now,
    )
    async with uow:
        await _store_of_brand(uow, command.brand_id, command.store_id)
        associate: Staff | None = None
        if invite_code is not None:
            associate = await uow.staff.by_invite_code(command.brand_id, invite_code)
            if associate is None:
                raise UnknownReference(
                    "invite_code", "no associate of this brand has this invite code"
                )
        elif actor.role is Role.ASSOCIATE:
            recruiter = await uow.staff.get(actor.subject)
            if recruiter is not None and recruiter.is_associate:
                associate = recruiter
        bound = member.bind_to(associate, now) if associate is not None else None
        await uow.members.add(member)
        uow.emit(registered, brand_id=member.brand_id)
        if bound is not None:
            uow.emit(bound, brand_id=member.brand_id)
    return member


async def bind_member(command: BindMember, uow: IdentityUnitOfWork, clock: Clock) -> Member:
    """Bind a member to the associate whose invite code she used; binding twice is a no-op."""
    invite_code = parse_invite_code(command.invite_code)
    async with uow:
        member = await uow.members.get(command.member_id, for_update=True)
        if member is None or member.brand_id != command.brand_id:
            raise MemberNotFound(command.member_id)
        access.ensure_may_bind(command.actor, member)
        associate = await uow.staff.by_invite_code(command.brand_id, invite_code)
        if associate is None:
            raise UnknownReference("invite_code", "no associate of this brand has this invite code")
        access.ensure_binds_to_self(command.actor, associate.staff_id)
        bound = member.bind_to(associate, clock.now())
        if bound is not None:
            await uow.members.save_binding(member)
            uow.emit(bound, brand_id=member.brand_id)
    return member
