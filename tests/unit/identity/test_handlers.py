from datetime import timedelta

import pytest
from identity.application.commands import BindMember, CreateBrand, CreateStore, LogIn
from identity.application.handlers import InviteCodesExhausted, Session
from identity.domain.errors import (
    AlreadyBound,
    BrandNotFound,
    DuplicateBrandCode,
    DuplicatePhone,
    DuplicateUsername,
    InvalidCredentials,
    MemberNotFound,
    NotPermitted,
    UnknownReference,
)
from identity.domain.organisation import StaffRole
from identity.entrypoints.errors import ERRORS
from rapport_events.contracts.identity import (
    MemberBoundToAssociate,
    MemberRegistered,
    StaffJoined,
    StoreOpened,
)
from rapport_platform.auth import Principal, Role, verify_token
from rapport_platform.refusals import InvalidInput, OutOfScope, Refusal

from tests.support.http import SECRET
from tests.unit.identity.world import (
    HQ_PASSWORD,
    NOW,
    STAFF_PASSWORD,
    TOKEN_TIME,
    TOKEN_TTL,
    World,
    new_world,
    principal_of,
    scripted,
)

REGISTERED = MemberRegistered.event_type
BOUND = MemberBoundToAssociate.event_type


@pytest.fixture
async def world() -> World:
    world = new_world()
    await world.brand()
    return world


def status_of(refusal: Refusal) -> int:
    return ERRORS.answer(refusal).status


async def log_in(world: World, username: str, password: str, brand: str = "lumiere") -> Session:
    return await world.handlers.log_in(
        LogIn(brand_code=brand, username=username, password=password)
    )


# -- brands, staff and login -----------------------------------------------------------


async def test_a_new_brand_comes_with_an_hq_login(world: World) -> None:
    session = await log_in(world, "HQ", HQ_PASSWORD, brand=" LUMIERE ")
    principal = session.principal
    assert principal.role is Role.HQ
    assert principal.brand_id == world.brand_id
    assert principal.store_id is None
    assert session.token.expires_in == TOKEN_TTL.total_seconds()
    assert verify_token(SECRET, session.token.access_token, now=TOKEN_TIME) == principal


async def test_passwords_are_stored_hashed_with_a_salt(world: World) -> None:
    store = await world.store()
    first = await world.staff(store, username="wangli")
    second = await world.staff(store, username="chenjing")
    hashes = world.tables.password_hashes
    assert all(STAFF_PASSWORD not in stored for stored in hashes.values())
    assert hashes[first.staff_id] != hashes[second.staff_id]


@pytest.mark.parametrize(
    ("brand", "username", "password"),
    [
        ("lumiere", "hq", "not-the-password"),
        ("lumiere", "nobody", HQ_PASSWORD),
        ("elsewhere", "hq", HQ_PASSWORD),
    ],
)
async def test_every_failed_login_gets_the_same_answer(
    world: World, brand: str, username: str, password: str
) -> None:
    with pytest.raises(InvalidCredentials) as caught:
        await log_in(world, username, password, brand)
    assert status_of(caught.value) == 401
    assert caught.value.message == "unknown user or wrong password"


async def test_a_brand_code_is_taken_once(world: World) -> None:
    with pytest.raises(DuplicateBrandCode) as caught:
        await world.handlers.create_brand(
            CreateBrand(code="Lumiere", name="Copy", hq_username="hq2", hq_password=HQ_PASSWORD)
        )
    assert status_of(caught.value) == 409
    assert len(world.tables.brands) == 1
    assert len(world.tables.staff) == 1


async def test_a_store_needs_an_existing_brand(world: World) -> None:
    gone = Principal(subject="stf_1", role=Role.HQ, brand_id="brd_missing")
    with pytest.raises(BrandNotFound) as caught:
        await world.handlers.create_store(CreateStore(actor=gone, name="Jing'an", city="SH"))
    assert status_of(caught.value) == 404


async def test_stores_and_staff_are_announced_to_the_other_services(world: World) -> None:
    store = await world.store()
    wang = await world.staff(store, username="wangli")

    announced = [(e.type, e.subject, e.data) for e in world.organisation_events]
    assert announced == [
        (
            StaffJoined.event_type,
            world.hq_actor.subject,
            {
                "staff_id": world.hq_actor.subject,
                "brand_id": world.brand_id,
                "store_id": None,
                "role": "hq",
                "joined_at": "2026-03-01T10:30:00Z",
            },
        ),
        (
            StoreOpened.event_type,
            store.store_id,
            {
                "store_id": store.store_id,
                "brand_id": world.brand_id,
                "opened_at": "2026-03-01T10:30:00Z",
            },
        ),
        (
            StaffJoined.event_type,
            wang.staff_id,
            {
                "staff_id": wang.staff_id,
                "brand_id": world.brand_id,
                "store_id": store.store_id,
                "role": "associate",
                "joined_at": "2026-03-01T10:30:00Z",
            },
        ),
    ]
    assert {e.brandid for e in world.organisation_events} == {world.brand_id}


async def test_associates_get_an_invite_code_and_can_log_in(world: World) -> None:
    store = await world.store()
    wang = await world.staff(store, username="wangli")
    manager = await world.staff(store, StaffRole.STORE_MANAGER, username="zhao")

    assert wang.invite_code is not None and len(wang.invite_code) == 8
    assert manager.invite_code is None
    await log_in(world, "wangli", STAFF_PASSWORD)


async def test_a_taken_invite_code_is_drawn_again(world: World) -> None:
    store = await world.store()
    world.random_below = scripted([0] * 8)
    first = await world.staff(store)
    # The same code is drawn first, then the first retry draws it again, the second differs.
    world.random_below = scripted([0] * 16 + [1] * 8)
    second = await world.staff(store)

    assert first.invite_code == "22222222"
    assert second.invite_code == "33333333"


async def test_a_random_source_that_repeats_itself_is_reported(world: World) -> None:
    store = await world.store()
    world.random_below = scripted([])
    await world.staff(store)
    with pytest.raises(InviteCodesExhausted):
        await world.staff(store)


async def test_usernames_are_unique_per_brand(world: World) -> None:
    store = await world.store()
    await world.staff(store, username="wangli")
    with pytest.raises(DuplicateUsername):
        await world.staff(store, username="WangLi")
    other = world.another()
    await other.brand("other")
    await other.staff(await other.store(), username="wangli")


async def test_staff_need_a_store_of_the_same_brand(world: World) -> None:
    other = world.another()
    await other.brand("other")
    foreign = await other.store()
    with pytest.raises(UnknownReference) as caught:
        await world.staff(foreign)
    assert caught.value.field == "store_id"


async def test_a_store_manager_creates_associates_of_her_own_store_only(world: World) -> None:
    store, elsewhere = await world.store("Jing'an"), await world.store("Tianhe")
    manager = principal_of(await world.staff(store, StaffRole.STORE_MANAGER))

    created = await world.staff(store, actor=manager)
    assert created.role is StaffRole.ASSOCIATE
    with pytest.raises(OutOfScope) as other_store:
        await world.staff(elsewhere, actor=manager)
    with pytest.raises(NotPermitted) as other_role:
        await world.staff(store, StaffRole.STORE_MANAGER, actor=manager)
    assert status_of(other_store.value) == 404
    assert status_of(other_role.value) == 403


async def test_associates_create_no_staff(world: World) -> None:
    store = await world.store()
    associate = principal_of(await world.staff(store))
    with pytest.raises(NotPermitted):
        await world.staff(store, actor=associate)


# -- registering members ----------------------------------------------------------------


async def test_registering_emits_member_registered(world: World) -> None:
    store = await world.store()
    member = await world.member(store, "138 1234 5678")

    assert [e.type for e in world.events] == [REGISTERED]
    envelope = world.events[0]
    assert envelope.subject == member.member_id
    assert envelope.brandid == world.brand_id
    assert envelope.data["surname"] == "梁"
    assert envelope.data["store_id"] == store.store_id
    assert world.tables.members[member.member_id].phone == "+8613812345678"


async def test_registering_with_an_invite_code_binds_in_the_same_transaction(world: World) -> None:
    store = await world.store()
    wang = await world.staff(store, username="wangli")
    assert wang.invite_code is not None

    member = await world.member(store, "13812345678", invite_code=wang.invite_code.lower())

    assert member.associate_id == wang.staff_id
    assert [e.type for e in world.events] == [REGISTERED, BOUND]
    bound = world.events[1]
    assert bound.data["associate_id"] == wang.staff_id
    assert bound.data["via"] == "invite_code"
    assert bound.data["bound_at"] == NOW.isoformat().replace("+00:00", "Z")
    assert world.tables.members[member.member_id].associate_id == wang.staff_id


async def test_an_unknown_invite_code_registers_nobody(world: World) -> None:
    store = await world.store()
    with pytest.raises(UnknownReference) as caught:
        await world.member(store, "13812345678", invite_code="7KQ3M9XA")
    assert caught.value.field == "invite_code"
    assert world.tables.members == {}
    assert world.events == []


async def test_a_phone_is_registered_once_per_brand_whatever_its_spelling(world: World) -> None:
    store = await world.store()
    await world.member(store, "13812345678")

    with pytest.raises(DuplicatePhone) as caught:
        await world.member(store, "+86-138-1234-5678", name="Someone Else")
    assert status_of(caught.value) == 409
    assert caught.value.message == "a member with this phone is already registered in this brand"
    assert len(world.tables.members) == 1
    assert [e.type for e in world.events] == [REGISTERED]


async def test_the_same_phone_may_join_another_brand() -> None:
    first = new_world()
    second = first.another()
    await first.brand("lumiere")
    await second.brand("dreambed")
    await first.member(await first.store(), "13812345678")
    await second.member(await second.store(), "13812345678")
    assert len(first.tables.members) == 2


async def test_a_member_joins_an_existing_store_of_the_brand(world: World) -> None:
    other = world.another()
    await other.brand("other")
    foreign = await other.store()
    for store_id in (foreign.store_id, "sto_missing"):
        with pytest.raises(UnknownReference) as caught:
            await world.member(store_id, "13812345678")
        assert caught.value.field == "store_id"
    assert world.tables.members == {}


async def test_store_staff_register_into_their_own_store_only(world: World) -> None:
    store, elsewhere = await world.store("Jing'an"), await world.store("Tianhe")
    manager = principal_of(await world.staff(store, StaffRole.STORE_MANAGER))

    await world.member(store, "13812345678", actor=manager)
    with pytest.raises(OutOfScope) as caught:
        await world.member(elsewhere, "13812345679", actor=manager)
    assert status_of(caught.value) == 404
    assert len(world.tables.members) == 1


async def test_the_surname_is_the_one_given_not_guessed_from_the_name(world: World) -> None:
    store = await world.store()
    zhou = await world.member(store, "13812345678", name="  Zhou   Min ", surname=" Zhou ")

    assert (zhou.name, zhou.surname) == ("Zhou Min", "Zhou")
    assert world.events[0].data["surname"] == "Zhou"


@pytest.mark.parametrize("surname", ["", "   ", "W" * 21])
async def test_an_empty_or_overlong_surname_registers_nobody(world: World, surname: str) -> None:
    store = await world.store()
    with pytest.raises(InvalidInput) as caught:
        await world.member(store, "13812345678", surname=surname)
    assert caught.value.field == "surname"
    assert world.tables.members == {}


async def test_an_associate_registering_a_member_herself_recruits_her(world: World) -> None:
    store = await world.store()
    wang = await world.staff(store)

    member = await world.member(store, "13812345678", actor=principal_of(wang))

    assert member.associate_id == wang.staff_id
    assert [e.type for e in world.events] == [REGISTERED, BOUND]


async def test_integrations_register_unbound_members(world: World) -> None:
    store = await world.store()
    system = Principal(subject="pos", role=Role.INTEGRATION, brand_id=world.brand_id)
    member = await world.member(store, "13812345678", actor=system)
    assert member.associate_id is None


# -- binding --------------------------------------------------------------------------------


async def bind(world: World, member_id: str, code: str, actor: Principal | None = None) -> None:
    await world.handlers.bind_member(
        BindMember(actor=actor or world.hq_actor, member_id=member_id, invite_code=code)
    )


async def test_binding_emits_once_and_then_is_a_no_op(world: World) -> None:
    store = await world.store()
    wang = await world.staff(store)
    member = await world.member(store, "13812345678")
    assert wang.invite_code is not None
    world.clock.advance(timedelta(hours=1))

    await bind(world, member.member_id, wang.invite_code)
    await bind(world, member.member_id, wang.invite_code)

    assert [e.type for e in world.events] == [REGISTERED, BOUND]
    assert world.tables.members[member.member_id].associate_id == wang.staff_id
    assert world.tables.members[member.member_id].bound_at == NOW + timedelta(hours=1)


async def test_a_member_bound_to_another_associate_is_a_conflict(world: World) -> None:
    store = await world.store()
    wang, chen = await world.staff(store), await world.staff(store)
    assert wang.invite_code is not None and chen.invite_code is not None
    member = await world.member(store, "13812345678", invite_code=wang.invite_code)

    with pytest.raises(AlreadyBound):
        await bind(world, member.member_id, chen.invite_code)
    assert world.tables.members[member.member_id].associate_id == wang.staff_id
    assert [e.type for e in world.events] == [REGISTERED, BOUND]


async def test_members_of_other_brands_are_not_found(world: World) -> None:
    other = world.another()
    await other.brand("other")
    foreign = await other.member(await other.store(), "13812345678")
    wang = await world.staff(await world.store())
    assert wang.invite_code is not None

    with pytest.raises(MemberNotFound):
        await bind(world, foreign.member_id, wang.invite_code)
    with pytest.raises(MemberNotFound):
        await bind(world, "mbr_missing", wang.invite_code)


async def test_an_unknown_invite_code_binds_nobody(world: World) -> None:
    store = await world.store()
    member = await world.member(store, "13812345678")
    with pytest.raises(UnknownReference):
        await bind(world, member.member_id, "7KQ3M9XA")


async def test_an_associate_binds_unbound_members_of_her_store_to_herself(world: World) -> None:
    store, elsewhere = await world.store("Jing'an"), await world.store("Tianhe")
    wang, chen = await world.staff(store), await world.staff(store)
    assert wang.invite_code is not None and chen.invite_code is not None
    as_wang = principal_of(wang)
    here = await world.member(store, "13812345678")
    there = await world.member(elsewhere, "13812345679")

    with pytest.raises(NotPermitted):
        await bind(world, here.member_id, chen.invite_code, actor=as_wang)
    with pytest.raises(MemberNotFound):
        await bind(world, there.member_id, wang.invite_code, actor=as_wang)
    await bind(world, here.member_id, wang.invite_code, actor=as_wang)
    assert world.tables.members[here.member_id].associate_id == wang.staff_id


async def test_an_associate_cannot_probe_members_bound_to_a_colleague(world: World) -> None:
    store = await world.store()
    wang, chen = await world.staff(store), await world.staff(store)
    assert wang.invite_code is not None and chen.invite_code is not None
    member = await world.member(store, "13812345678", invite_code=chen.invite_code)

    with pytest.raises(MemberNotFound):
        await bind(world, member.member_id, wang.invite_code, actor=principal_of(wang))
