from datetime import timedelta

import pytest
from identity.application.queries import MemberView
from identity.domain.errors import MemberNotFound, NotPermitted
from identity.domain.organisation import StaffRole
from rapport_platform.auth import Principal, Role
from rapport_platform.pagination import encode_cursor
from rapport_platform.refusals import InvalidCursor, InvalidInput, OutOfScope

from tests.unit.identity.world import World, new_world, principal_of


@pytest.fixture
async def world() -> World:
    world = new_world()
    await world.brand()
    return world


async def view(world: World, viewer: Principal, member_id: str) -> MemberView:
    return await world.queries.member(viewer, member_id)


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
        page = await world.queries.members(viewer, limit=limit, cursor=cursor, **filters)
        pages.append([item.member_id for item in page.items])
        cursor = page.next_cursor
        if cursor is None:
            return pages


async def test_pages_run_newest_first_without_gaps_or_repeats(world: World) -> None:
    await register_many(world, 7)
    members = world.tables.members.values()
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
    with pytest.raises(OutOfScope):
        await listed(principal_of(manager), store_id=elsewhere.store_id)
    with pytest.raises(OutOfScope):
        await listed(principal_of(wang), associate_id=manager.staff_id)
    admin = Principal(subject="ops", role=Role.PLATFORM_ADMIN)
    with pytest.raises(NotPermitted):
        await listed(admin)


async def test_listed_members_are_masked_for_integrations(world: World) -> None:
    await register_many(world, 2)
    system = Principal(subject="pos", role=Role.INTEGRATION, brand_id=world.brand_id)
    page = await world.queries.members(system)
    assert all(item.masked and "****" in item.phone for item in page.items)


BAD_MEMBER_CURSORS = [
    "nonsense",  # not base64 of anything
    "bm9uc2Vuc2U",  # "nonsense": not JSON
    "MjAyNi0wMy0wMXw",  # "2026-03-01|": the old cursor format
    encode_cursor(["Jing'an", "sto_1"]),  # a store's cursor
    encode_cursor(["2026-03-01T10:30:00", "mbr_1"]),  # an instant without a time zone
    encode_cursor([1, "mbr_1"]),
]


@pytest.mark.parametrize("cursor", BAD_MEMBER_CURSORS)
async def test_a_bad_cursor_names_the_field(world: World, cursor: str) -> None:
    with pytest.raises(InvalidCursor) as caught:
        await world.queries.members(world.hq_actor, cursor=cursor)
    assert caught.value.field == "cursor"


@pytest.mark.parametrize("limit", [0, 201])
async def test_a_limit_out_of_range_names_the_field(world: World, limit: int) -> None:
    for listing in (world.queries.members, world.queries.stores, world.queries.staff):
        with pytest.raises(InvalidInput) as caught:
            await listing(world.hq_actor, limit=limit)
        assert caught.value.field == "limit"


async def test_stores_and_staff_are_listed_within_the_brand(world: World) -> None:
    store, elsewhere = await world.store("Jing'an"), await world.store("Tianhe")
    manager = await world.staff(store, StaffRole.STORE_MANAGER, username="zhao")
    await world.staff(store, username="wangli")
    await world.staff(elsewhere, username="chenjing")
    other = world.another()
    await other.brand("other")
    await other.store("Foreign")
    as_manager = principal_of(manager)

    stores = await world.queries.stores(world.hq_actor)
    assert [s.name for s in stores.items] == ["Jing'an", "Tianhe"]
    assert stores.next_cursor is None
    everyone = await world.queries.staff(world.hq_actor)
    assert {s.username for s in everyone.items} == {"hq", "zhao", "wangli", "chenjing"}
    in_store = await world.queries.staff(world.hq_actor, store_id=elsewhere.store_id)
    assert {s.username for s in in_store.items} == {"chenjing"}
    own_store = await world.queries.staff(as_manager)
    assert {s.username for s in own_store.items} == {"zhao", "wangli"}
    assert own_store.items == (await world.queries.staff(as_manager, store_id=store.store_id)).items
    with pytest.raises(OutOfScope):
        await world.queries.staff(as_manager, store_id=elsewhere.store_id)


async def test_stores_and_staff_are_paged_by_name(world: World) -> None:
    for name in ("Tianhe", "Jing'an", "Xuhui", "Jing'an"):
        await world.store(name)
    first = await world.queries.stores(world.hq_actor, limit=3)
    rest = await world.queries.stores(world.hq_actor, limit=3, cursor=first.next_cursor)

    names = [s.name for s in first.items + rest.items]
    assert names == ["Jing'an", "Jing'an", "Tianhe", "Xuhui"]
    assert rest.next_cursor is None
    twins = [s.store_id for s in first.items[:2]]
    assert twins == sorted(twins)

    store = first.items[0]
    for username in ("wei", "an", "bo"):
        await world.staff(store, username=username)
    staff_pages = [await world.queries.staff(world.hq_actor, limit=2)]
    while staff_pages[-1].next_cursor is not None:
        cursor = staff_pages[-1].next_cursor
        staff_pages.append(await world.queries.staff(world.hq_actor, limit=2, cursor=cursor))
    listed = [s.display_name for page in staff_pages for s in page.items]
    assert listed == ["An", "Bo", "Headquarters", "Wei"]
