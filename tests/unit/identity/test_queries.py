from datetime import timedelta

import pytest
from identity.application import queries
from identity.domain.errors import InvalidValue, MemberNotFound, NotPermitted
from identity.domain.organisation import StaffRole
from rapport_platform.auth import Principal, Role

from tests.unit.identity.fakes import World, new_world, principal_of


@pytest.fixture
async def world() -> World:
    world = new_world()
    await world.brand()
    return world


async def view(world: World, viewer: Principal, member_id: str) -> queries.MemberView:
    return await queries.get_member(viewer, member_id, world.db.unit_of_work())


async def test_those_who_serve_her_see_name_and_phone(world: World) -> None:
    store = await world.store()
    wang = await world.staff(store)
    manager = await world.staff(store, StaffRole.STORE_MANAGER)
    assert wang.invite_code is not None
    member = await world.member(store, "13812345678", invite_code=wang.invite_code)

    for viewer in (world.hq_actor, principal_of(manager), principal_of(wang)):
        seen = await view(world, viewer, member.member_id)
        assert (seen.name, seen.phone, seen.masked) == ("梁晓雯", "+8613812345678", False)


async def test_integrations_see_name_and_phone_masked(world: World) -> None:
    store = await world.store()
    member = await world.member(store, "13812345678")
    system = Principal(subject="pos", role=Role.INTEGRATION, brand_id=world.brand_id)

    seen = await view(world, system, member.member_id)

    assert (seen.name, seen.phone, seen.masked) == ("梁**", "+86138****5678", True)
    assert seen.surname == "梁"


async def test_members_outside_ones_reach_are_not_found(world: World) -> None:
    store, elsewhere = await world.store("Jing'an"), await world.store("Tianhe")
    wang, chen = await world.staff(store), await world.staff(store)
    manager_elsewhere = await world.staff(elsewhere, StaffRole.STORE_MANAGER)
    assert chen.invite_code is not None
    member = await world.member(store, "13812345678", invite_code=chen.invite_code)
    unbound = await world.member(store, "13812345679")
    other_brand = Principal(subject="x", role=Role.HQ, brand_id="brd_other")

    for viewer, member_id in (
        (principal_of(wang), member.member_id),
        (principal_of(wang), unbound.member_id),
        (principal_of(manager_elsewhere), member.member_id),
        (other_brand, member.member_id),
        (world.hq_actor, "mbr_missing"),
    ):
        with pytest.raises(MemberNotFound):
            await view(world, viewer, member_id)


async def register_many(world: World, count: int) -> list[str]:
    store = await world.store()
    ids = []
    for index in range(count):
        # Pairs share an instant, so ties must be broken by id.
        if index % 2 == 0:
            world.clock.advance(timedelta(minutes=1))
        member = await world.member(store, f"1381234{index:04d}", name=f"Member {index}")
        ids.append(member.member_id)
    return ids


async def all_pages(world: World, viewer: Principal, limit: int, **filters: str) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = await queries.list_members(
            viewer, world.db.unit_of_work(), limit=limit, cursor=cursor, **filters
        )
        pages.append([item.member_id for item in page.items])
        cursor = page.next_cursor
        if cursor is None:
            return pages


async def test_pages_run_newest_first_without_gaps_or_repeats(world: World) -> None:
    await register_many(world, 7)
    members = world.db.tables.members.values()
    newest_first = [
        m.member_id
        for m in sorted(members, key=lambda m: (m.registered_at, m.member_id), reverse=True)
    ]

    pages = await all_pages(world, world.hq_actor, limit=3)

    assert [len(page) for page in pages] == [3, 3, 1]
    assert [member_id for page in pages for member_id in page] == newest_first


async def test_an_exact_last_page_has_no_next_cursor(world: World) -> None:
    await register_many(world, 4)
    assert [len(page) for page in await all_pages(world, world.hq_actor, limit=2)] == [2, 2]


async def test_listings_are_scoped_to_the_caller(world: World) -> None:
    store, elsewhere = await world.store("Jing'an"), await world.store("Tianhe")
    wang = await world.staff(store)
    manager = await world.staff(store, StaffRole.STORE_MANAGER)
    assert wang.invite_code is not None
    mine = await world.member(store, "13812345670", invite_code=wang.invite_code)
    here = await world.member(store, "13812345671")
    there = await world.member(elsewhere, "13812345672", invite_code=wang.invite_code)

    async def listed(viewer: Principal, **filters: str) -> set[str]:
        return {m for page in await all_pages(world, viewer, 10, **filters) for m in page}

    everyone = {mine.member_id, here.member_id, there.member_id}
    assert await listed(world.hq_actor) == everyone
    assert await listed(world.hq_actor, store_id=elsewhere.store_id) == {there.member_id}
    assert await listed(world.hq_actor, associate_id=wang.staff_id) == {
        mine.member_id,
        there.member_id,
    }
    assert await listed(principal_of(manager)) == {mine.member_id, here.member_id}
    assert await listed(principal_of(wang)) == {mine.member_id, there.member_id}
    with pytest.raises(NotPermitted):
        await listed(principal_of(manager), store_id=elsewhere.store_id)
    with pytest.raises(NotPermitted):
        await listed(principal_of(wang), associate_id=manager.staff_id)


async def test_listed_members_are_masked_for_integrations(world: World) -> None:
    await register_many(world, 2)
    system = Principal(subject="pos", role=Role.INTEGRATION, brand_id=world.brand_id)
    page = await queries.list_members(system, world.db.unit_of_work())
    assert all(item.masked and "****" in item.phone for item in page.items)


@pytest.mark.parametrize("cursor", ["nonsense", "bm9uc2Vuc2U", "MjAyNi0wMy0wMXw"])
async def test_a_bad_cursor_names_the_field(world: World, cursor: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        await queries.list_members(world.hq_actor, world.db.unit_of_work(), cursor=cursor)
    assert caught.value.field == "cursor"


async def test_stores_and_staff_are_listed_within_the_brand(world: World) -> None:
    store, elsewhere = await world.store("Jing'an"), await world.store("Tianhe")
    manager = await world.staff(store, StaffRole.STORE_MANAGER, username="zhao")
    await world.staff(store, username="wangli")
    await world.staff(elsewhere, username="chenjing")
    other = new_world()
    other.db = world.db
    await other.brand("other")
    await other.store("Foreign")

    stores = await queries.list_stores(world.brand_id, world.db.unit_of_work())
    assert [s.name for s in stores] == ["Jing'an", "Tianhe"]
    everyone = await queries.list_staff(world.hq_actor, world.db.unit_of_work())
    assert {s.username for s in everyone} == {"hq", "zhao", "wangli", "chenjing"}
    own_store = await queries.list_staff(principal_of(manager), world.db.unit_of_work())
    assert {s.username for s in own_store} == {"zhao", "wangli"}
    with pytest.raises(NotPermitted):
        await queries.list_staff(principal_of(manager), world.db.unit_of_work(), elsewhere.store_id)
