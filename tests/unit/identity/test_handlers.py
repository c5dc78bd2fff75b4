from datetime import timedelta

import pytest
from identity.application import handlers
from identity.application.commands import BindMember, CreateBrand, LogIn, RegisterMember
from identity.domain.errors import (
    AlreadyBound,
    DuplicateBrandCode,
    DuplicatePhone,
    DuplicateUsername,
    InvalidCredentials,
    MemberNotFound,
    NotPermitted,
    UnknownReference,
)
from identity.domain.organisation import StaffRole
from rapport_events.contracts.identity import MemberBoundToAssociate, MemberRegistered
from rapport_platform.auth import Principal, Role
from rapport_platform.errors import NotFound

from tests.unit.identity.fakes import (
    HQ_PASSWORD,
    NOW,
    STAFF_PASSWORD,
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


async def log_in(world: World, username: str, password: str, brand: str = "lumiere") -> None:
    await handlers.log_in(
        LogIn(brand_code=brand, username=username, password=password),
        world.db.unit_of_work(),
        world.hasher,
    )


# -- brands, staff and login -----------------------------------------------------------


async def test_a_new_brand_comes_with_an_hq_login(world: World) -> None:
    staff = await handlers.log_in(
        LogIn(brand_code=" LUMIERE ", username="HQ", password=HQ_PASSWORD),
        world.db.unit_of_work(),
        world.hasher,
    )
    assert staff.role is StaffRole.HQ
    assert staff.brand_id == world.brand_id
    assert staff.store_id is None


async def test_passwords_are_stored_hashed_with_a_salt(world: World) -> None:
    store = await world.store()
    first = await world.staff(store, username="wangli")
    second = await world.staff(store, username="chenjing")
    hashes = world.db.tables.password_hashes
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
    assert caught.value.http_status == 401
    assert caught.value.message == "unknown user or wrong password"


async def test_a_brand_code_is_taken_once(world: World) -> None:
    with pytest.raises(DuplicateBrandCode) as caught:
        await handlers.create_brand(
            CreateBrand(code="Lumiere", name="Copy", hq_username="hq2", hq_password=HQ_PASSWORD),
            world.db.unit_of_work(),
            world.hasher,
        )
    assert caught.value.http_status == 409
    assert len(world.db.tables.brands) == 1
    assert len(world.db.tables.staff) == 1


async def test_a_store_needs_an_existing_brand(world: World) -> None:
    with pytest.raises(NotFound):
        await world.store(brand_id="brd_missing")


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
    with pytest.raises(handlers.InviteCodesExhausted):
        await world.staff(store)


async def test_usernames_are_unique_per_brand(world: World) -> None:
    store = await world.store()
    await world.staff(store, username="wangli")
    with pytest.raises(DuplicateUsername):
        await world.staff(store, username="WangLi")
    other = new_world()
    await other.brand("other")
    await other.staff(await other.store(), username="wangli")


async def test_staff_need_a_store_of_the_same_brand(world: World) -> None:
    other = new_world()
    other.db = world.db
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
    with pytest.raises(NotPermitted):
        await world.staff(elsewhere, actor=manager)
    with pytest.raises(NotPermitted):
        await world.staff(store, StaffRole.STORE_MANAGER, actor=manager)


async def test_associates_create_no_staff(world: World) -> None:
    store = await world.store()
    associate = principal_of(await world.staff(store))
    with pytest.raises(NotPermitted):
        await world.staff(store, actor=associate)


# -- registering members ----------------------------------------------------------------


async def test_registering_emits_member_registered(world: World) -> None:
    store = await world.store()
    member = await world.member(store, "138 1234 5678")

    assert [e.type for e in world.db.events] == [REGISTERED]
    envelope = world.db.events[0]
    assert envelope.subject == member.member_id
    assert envelope.brandid == world.brand_id
    assert envelope.data["surname"] == "梁"
    assert envelope.data["store_id"] == store.store_id
    assert world.db.tables.members[member.member_id].phone == "+8613812345678"


async def test_registering_with_an_invite_code_binds_in_the_same_transaction(world: World) -> None:
    store = await world.store()
    wang = await world.staff(store, username="wangli")
    assert wang.invite_code is not None

    member = await world.member(store, "13812345678", invite_code=wang.invite_code.lower())

    assert member.associate_id == wang.staff_id
    assert [e.type for e in world.db.events] == [REGISTERED, BOUND]
    bound = world.db.events[1]
    assert bound.data["associate_id"] == wang.staff_id
    assert bound.data["via"] == "invite_code"
    assert bound.data["bound_at"] == NOW.isoformat().replace("+00:00", "Z")
    assert world.db.tables.members[member.member_id].associate_id == wang.staff_id


async def test_an_unknown_invite_code_registers_nobody(world: World) -> None:
    store = await world.store()
    with pytest.raises(UnknownReference) as caught:
        await world.member(store, "13812345678", invite_code="7KQ3M9XA")
    assert caught.value.field == "invite_code"
    assert world.db.tables.members == {}
    assert world.db.events == []


async def test_a_phone_is_registered_once_per_brand_whatever_its_spelling(world: World) -> None:
    store = await world.store()
    await world.member(store, "13812345678")

    with pytest.raises(DuplicatePhone) as caught:
        await world.member(store, "+86-138-1234-5678", name="Someone Else")
    assert caught.value.http_status == 409
    assert caught.value.message == "a member with this phone is already registered in this brand"
    assert len(world.db.tables.members) == 1
    assert [e.type for e in world.db.events] == [REGISTERED]


async def test_the_same_phone_may_join_another_brand() -> None:
    first, second = new_world(), new_world()
    second.db = first.db
    await first.brand("lumiere")
    await second.brand("dreambed")
    await first.member(await first.store(), "13812345678")
    await second.member(await second.store(), "13812345678")
    assert len(first.db.tables.members) == 2


async def test_a_member_joins_an_existing_store_of_the_brand(world: World) -> None:
    other = new_world()
    other.db = world.db
    await other.brand("other")
    foreign = await other.store()
    for store_id in (foreign.store_id, "sto_missing"):
        with pytest.raises(UnknownReference) as caught:
            await handlers.register_member(
                RegisterMember(
                    actor=world.hq_actor,
                    brand_id=world.brand_id,
                    store_id=store_id,
                    name="梁晓雯",
                    phone="13812345678",
                ),
                world.db.unit_of_work(),
                world.clock,
            )
        assert caught.value.field == "store_id"
    assert world.db.tables.members == {}


async def test_store_staff_register_into_their_own_store_only(world: World) -> None:
    store, elsewhere = await world.store("Jing'an"), await world.store("Tianhe")
    manager = principal_of(await world.staff(store, StaffRole.STORE_MANAGER))

    await world.member(store, "13812345678", actor=manager)
    with pytest.raises(NotPermitted) as caught:
        await world.member(elsewhere, "13812345679", actor=manager)
    assert caught.value.http_status == 403


async def test_an_associate_registering_a_member_herself_recruits_her(world: World) -> None:
    store = await world.store()
    wang = await world.staff(store)

    member = await world.member(store, "13812345678", actor=principal_of(wang))

    assert member.associate_id == wang.staff_id
    assert [e.type for e in world.db.events] == [REGISTERED, BOUND]


async def test_integrations_register_unbound_members(world: World) -> None:
    store = await world.store()
    system = Principal(subject="pos", role=Role.INTEGRATION, brand_id=world.brand_id)
    member = await world.member(store, "13812345678", actor=system)
    assert member.associate_id is None


# -- binding --------------------------------------------------------------------------------


async def bind(world: World, member_id: str, code: str, actor: Principal | None = None) -> None:
    await handlers.bind_member(
        BindMember(
            actor=actor or world.hq_actor,
            brand_id=world.brand_id,
            member_id=member_id,
            invite_code=code,
        ),
        world.db.unit_of_work(),
        world.clock,
    )


async def test_binding_emits_once_and_then_is_a_no_op(world: World) -> None:
    store = await world.store()
    wang = await world.staff(store)
    member = await world.member(store, "13812345678")
    assert wang.invite_code is not None
    world.clock.advance(timedelta(hours=1))

    await bind(world, member.member_id, wang.invite_code)
    await bind(world, member.member_id, wang.invite_code)

    assert [e.type for e in world.db.events] == [REGISTERED, BOUND]
    assert world.db.tables.members[member.member_id].associate_id == wang.staff_id
    assert world.db.tables.members[member.member_id].bound_at == NOW + timedelta(hours=1)


async def test_a_member_bound_to_another_associate_is_a_conflict(world: World) -> None:
    store = await world.store()
    wang, chen = await world.staff(store), await world.staff(store)
    assert wang.invite_code is not None and chen.invite_code is not None
    member = await world.member(store, "13812345678", invite_code=wang.invite_code)

    with pytest.raises(AlreadyBound):
        await bind(world, member.member_id, chen.invite_code)
    assert world.db.tables.members[member.member_id].associate_id == wang.staff_id
    assert [e.type for e in world.db.events] == [REGISTERED, BOUND]


async def test_members_of_other_brands_are_not_found(world: World) -> None:
    other = new_world()
    other.db = world.db
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
    assert world.db.tables.members[here.member_id].associate_id == wang.staff_id


async def test_an_associate_cannot_probe_members_bound_to_a_colleague(world: World) -> None:
    store = await world.store()
    wang, chen = await world.staff(store), await world.staff(store)
    assert wang.invite_code is not None and chen.invite_code is not None
    member = await world.member(store, "13812345678", invite_code=chen.invite_code)

    with pytest.raises(MemberNotFound):
        await bind(world, member.member_id, wang.invite_code, actor=principal_of(wang))
