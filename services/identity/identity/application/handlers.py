"""Command handlers: each opens the unit of work, decides, stores and emits in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from rapport_events.clock import Clock
from rapport_events.contracts.identity import StaffJoined, StoreOpened
from rapport_platform.auth import Principal, Role

from identity.application import access
from identity.application.commands import (
    BindMember,
    CreateBrand,
    CreateStaff,
    CreateStore,
    IssueIngestionCredentials,
    LogIn,
    RegisterMember,
)
from identity.application.ports import (
    IdentityUnitOfWork,
    IngestionCredentials,
    IngestionProvisioner,
    IssuedToken,
    PasswordHasher,
    TokenIssuer,
)
from identity.domain.errors import (
    BrandNotFound,
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


@dataclass(frozen=True)
class Session:
    """A successful login: who logged in, and the bearer token she calls the API with."""

    principal: Principal
    token: IssuedToken


def principal_of(staff: Staff) -> Principal:
    return Principal(
        subject=staff.staff_id,
        role=Role(staff.role.value),
        brand_id=staff.brand_id,
        store_id=staff.store_id,
        name=staff.display_name,
    )


async def _ensure_brand(uow: IdentityUnitOfWork, brand_id: str) -> None:
    if await uow.brands.get(brand_id) is None:
        raise BrandNotFound(brand_id)


async def _ensure_store_of_brand(uow: IdentityUnitOfWork, brand_id: str, store_id: str) -> None:
    store = await uow.stores.get(store_id)
    if store is None or store.brand_id != brand_id:
        raise UnknownReference("store_id", f"there is no store {store_id} in this brand")


async def _associate_with_code(uow: IdentityUnitOfWork, brand_id: str, invite_code: str) -> Staff:
    associate = await uow.staff.by_invite_code(brand_id, invite_code)
    if associate is None:
        raise UnknownReference("invite_code", "no associate of this brand has this invite code")
    return associate


def _joined(staff: Staff, clock: Clock) -> StaffJoined:
    """What the other services' directory replicas learn of a new member of staff."""
    return StaffJoined(
        staff_id=staff.staff_id,
        brand_id=staff.brand_id,
        store_id=staff.store_id,
        role=staff.role.value,
        joined_at=clock.now(),
    )


class IdentityHandlers:
    def __init__(
        self,
        unit_of_work: Callable[[], IdentityUnitOfWork],
        clock: Clock,
        *,
        hasher: PasswordHasher,
        random_below: RandomBelow,
        tokens: TokenIssuer,
        ingestion: IngestionProvisioner,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._clock = clock
        self._hasher = hasher
        self._random_below = random_below
        self._tokens = tokens
        self._ingestion = ingestion

    async def _password_hash(self, password: str) -> str:
        check_password(password)
        # Hashing is deliberately slow: done before the transaction so it holds no connection.
        return await self._hasher.hash(normalise_password(password))

    # -- brands, stores and staff --------------------------------------------------------

    async def create_brand(self, command: CreateBrand) -> BrandCreated:
        """A brand and its first HQ login, who then creates stores and staff."""
        brand = Brand.create(command.code, command.name)
        hq = Staff.create(
            brand_id=brand.brand_id,
            store_id=None,
            role=StaffRole.HQ,
            display_name=command.hq_display_name,
            username=command.hq_username,
        )
        password_hash = await self._password_hash(command.hq_password)
        async with self._unit_of_work() as uow:
            if await uow.brands.by_code(brand.code) is not None:
                raise DuplicateBrandCode(brand.code)
            await uow.brands.add(brand)
            await uow.staff.add(hq, password_hash)
            uow.emit(_joined(hq, uow.clock), brand_id=brand.brand_id)
        return BrandCreated(brand=brand, hq=hq)

    async def create_store(self, command: CreateStore) -> Store:
        store = Store.create(access.acting_brand(command.actor), command.name, command.city)
        async with self._unit_of_work() as uow:
            await _ensure_brand(uow, store.brand_id)
            await uow.stores.add(store)
            opened = StoreOpened(
                store_id=store.store_id, brand_id=store.brand_id, opened_at=uow.clock.now()
            )
            uow.emit(opened, brand_id=store.brand_id)
        return store

    async def create_staff(self, command: CreateStaff) -> Staff:
        access.ensure_may_create_staff(command.actor, command.role, command.store_id)
        brand_id = access.acting_brand(command.actor)
        is_associate = command.role is StaffRole.ASSOCIATE
        staff = Staff.create(
            brand_id=brand_id,
            store_id=command.store_id,
            role=command.role,
            display_name=command.display_name,
            username=command.username,
            invite_code=new_invite_code(self._random_below) if is_associate else None,
        )
        password_hash = await self._password_hash(command.password)
        async with self._unit_of_work() as uow:
            await _ensure_brand(uow, brand_id)
            if command.store_id is not None:
                await _ensure_store_of_brand(uow, brand_id, command.store_id)
            if staff.invite_code is not None:
                code = await self._unused_invite_code(uow, brand_id, staff.invite_code)
                staff = replace(staff, invite_code=code)
            await uow.staff.add(staff, password_hash)
            uow.emit(_joined(staff, uow.clock), brand_id=brand_id)
        return staff

    async def issue_ingestion_credentials(
        self, command: IssueIngestionCredentials
    ) -> IngestionCredentials:
        """New Kafka credentials for the brand's outside systems; the old ones stop working.

        Who asked, and when, is in the audit log like every request; the password itself is
        kept nowhere but in the answer.
        """
        access.ensure_may_issue_ingestion_credentials(command.actor)
        brand_id = access.acting_brand(command.actor)
        async with self._unit_of_work() as uow:
            await _ensure_brand(uow, brand_id)
        return await self._ingestion.provision(brand_id)

    async def _unused_invite_code(self, uow: IdentityUnitOfWork, brand_id: str, code: str) -> str:
        """``code`` if no colleague has it yet, else the first free one of a few new draws."""
        redraws = 0
        while await uow.staff.by_invite_code(brand_id, code) is not None:
            if redraws == INVITE_CODE_ATTEMPTS:
                raise InviteCodesExhausted(
                    f"{INVITE_CODE_ATTEMPTS} invite codes in a row were taken in brand "
                    f"{brand_id}; is the random source random?"
                )
            code = new_invite_code(self._random_below)
            redraws += 1
        return code

    async def log_in(self, command: LogIn) -> Session:
        """A token for the staff member the credentials belong to; one refusal for every
        way they can be wrong."""
        async with self._unit_of_work() as uow:
            brand = await uow.brands.by_code(command.brand_code.strip().lower())
            credentials = (
                await uow.staff.credentials(brand.brand_id, command.username.strip().lower())
                if brand is not None
                else None
            )
        password = normalise_password(command.password)
        if credentials is None:
            await self._hasher.verify_decoy(password)
            raise InvalidCredentials()
        if not await self._hasher.verify(password, credentials.password_hash):
            raise InvalidCredentials()
        principal = principal_of(credentials.staff)
        return Session(principal=principal, token=self._tokens.issue(principal))

    # -- members ---------------------------------------------------------------------------

    async def register_member(self, command: RegisterMember) -> Member:
        actor = command.actor
        access.ensure_may_register_into(actor, command.store_id)
        invite_code = parse_invite_code(command.invite_code) if command.invite_code else None
        now = self._clock.now()
        member, registered = Member.register(
            brand_id=access.acting_brand(actor),
            store_id=command.store_id,
            name=command.name,
            surname=command.surname,
            phone=command.phone,
            gender=command.gender,
            birthday=command.birthday,
            preferred_channel=command.preferred_channel,
            now=now,
        )
        async with self._unit_of_work() as uow:
            await _ensure_store_of_brand(uow, member.brand_id, member.store_id)
            recruiter = await self._recruiter(uow, actor, member.brand_id, invite_code)
            bound = member.bind_to(recruiter, now) if recruiter is not None else None
            referred = None
            if command.referred_by is not None:
                referrer = await uow.members.get(command.referred_by)
                referred = member.referred_by_member(referrer, now)
            await uow.members.add(member)
            uow.emit(registered, brand_id=member.brand_id)
            if bound is not None:
                uow.emit(bound, brand_id=member.brand_id)
            if referred is not None:
                uow.emit(referred, brand_id=member.brand_id)
        return member

    @staticmethod
    async def _recruiter(
        uow: IdentityUnitOfWork, actor: Principal, brand_id: str, invite_code: str | None
    ) -> Staff | None:
        """The associate a new member is bound to: the invite code's, else the associate
        registering her."""
        if invite_code is not None:
            return await _associate_with_code(uow, brand_id, invite_code)
        if actor.role is Role.ASSOCIATE:
            registering = await uow.staff.get(actor.subject)
            if registering is not None and registering.is_associate:
                return registering
        return None

    async def bind_member(self, command: BindMember) -> Member:
        """Bind a member to the associate whose invite code she used; binding twice is a no-op."""
        invite_code = parse_invite_code(command.invite_code)
        brand_id = access.acting_brand(command.actor)
        async with self._unit_of_work() as uow:
            member = await uow.members.get(command.member_id, for_update=True)
            if member is None or member.brand_id != brand_id:
                raise MemberNotFound(command.member_id)
            access.ensure_may_bind(command.actor, member)
            associate = await _associate_with_code(uow, brand_id, invite_code)
            access.ensure_binds_to_self(command.actor, associate.staff_id)
            bound = member.bind_to(associate, self._clock.now())
            if bound is not None:
                await uow.members.save_binding(member)
                uow.emit(bound, brand_id=member.brand_id)
        return member
