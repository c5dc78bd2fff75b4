"""The Stores repository: a brand's stores, paged by name then id."""

from __future__ import annotations

from identity.domain.organisation import Store

from tests.contract.identity.conftest import Backend


async def test_a_store_is_found_by_id(backend: Backend) -> None:
    store = await backend.add_store(await backend.add_brand())
    async with backend.unit_of_work() as uow:
        assert await uow.stores.get(store.store_id) == store
        assert await uow.stores.get("sto_" + "0" * 32) is None


async def add_named(backend: Backend, brand_id: str, name: str, hex_digit: str) -> Store:
    store = Store(store_id="sto_" + hex_digit * 32, brand_id=brand_id, name=name, city="SH")
    async with backend.unit_of_work() as uow:
        await uow.stores.add(store)
    return store


async def test_pages_run_by_name_then_id_with_exclusive_cursors(backend: Backend) -> None:
    brand, other = await backend.add_brand("lumiere"), await backend.add_brand("other")
    # Byte order: upper case before lower case, Latin before Chinese; twins by id.
    tianhe = await add_named(backend, brand.brand_id, "Tianhe", "1")
    jingan_b = await add_named(backend, brand.brand_id, "Jing'an", "b")
    jingan_a = await add_named(backend, brand.brand_id, "Jing'an", "a")
    shanghai = await add_named(backend, brand.brand_id, "上海", "2")
    lower = await add_named(backend, brand.brand_id, "atelier", "3")
    await add_named(backend, other.brand_id, "Elsewhere", "4")
    expected = [jingan_a, jingan_b, tianhe, lower, shanghai]

    async with backend.unit_of_work() as uow:
        everything = await uow.stores.page(brand.brand_id, None, 10)
        first = await uow.stores.page(brand.brand_id, None, 2)
        after_twin = await uow.stores.page(brand.brand_id, (jingan_a.name, jingan_a.store_id), 2)
        after_last = await uow.stores.page(brand.brand_id, (shanghai.name, shanghai.store_id), 2)
        between = await uow.stores.page(brand.brand_id, ("Jing'an", "sto_" + "a" * 31 + "b"), 5)

    assert everything == expected
    assert first == expected[:2]
    assert after_twin == [jingan_b, tianhe]
    assert after_last == []
    # A boundary that is no stored row still splits the order where it falls.
    assert between == expected[1:]


async def test_a_brand_without_stores_has_an_empty_page(backend: Backend) -> None:
    brand = await backend.add_brand()
    store = await backend.add_store(brand)
    async with backend.unit_of_work() as uow:
        assert await uow.stores.page(brand.brand_id, None, 1) == [store]
        assert await uow.stores.page("brd_" + "0" * 32, None, 10) == []
