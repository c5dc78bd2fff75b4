"""The Purchases contract: brand isolation, filters, newest first, cursor boundaries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from service_orders.application.ports import PurchaseFilter, purchase_position
from service_orders.domain.purchase import Purchase

from tests.contract.service_orders.conftest import (
    BRAND,
    MEMBER,
    NOW,
    OTHER_BRAND,
    OTHER_MEMBER,
    OTHER_STORE,
    STAFF,
    STORE,
    Backend,
    purchase,
)

MINUTE = timedelta(minutes=1)


async def test_an_added_purchase_is_read_back_within_its_brand_only(backend: Backend) -> None:
    recorded = purchase("1")
    await backend.add_purchases(recorded)

    async with backend.unit_of_work() as uow:
        assert await uow.purchases.get(BRAND, recorded.purchase_id) == recorded
        assert await uow.purchases.get(OTHER_BRAND, recorded.purchase_id) is None
        assert await uow.purchases.get(BRAND, "pur_missing") is None


async def test_a_purchase_keeps_its_items_in_order(backend: Backend) -> None:
    recorded, _ = Purchase.record(
        purchase_id="pur_" + "5" * 32,
        brand_id=BRAND,
        store_id=STORE,
        member_id=MEMBER,
        amount=Decimal("3980.00"),
        description="",
        recorded_by=STAFF,
        now=NOW,
        items=[("deep-sleep-180", "mattress", 1), ("mite-spray", "care-kit", 3)],
    )
    await backend.add_purchases(recorded)

    async with backend.unit_of_work() as uow:
        stored = await uow.purchases.get(BRAND, recorded.purchase_id)
    assert stored == recorded
    assert stored is not None and [item.category for item in stored.items] == [
        "mattress",
        "care-kit",
    ]


async def test_a_purchase_is_found_by_its_id_whatever_its_brand(backend: Backend) -> None:
    theirs = purchase("1", brand_id=OTHER_BRAND)
    await backend.add_purchases(theirs)

    async with backend.unit_of_work() as uow:
        assert await uow.purchases.find(theirs.purchase_id) == theirs
        assert await uow.purchases.find("pur_missing") is None


async def test_a_rolled_back_purchase_leaves_nothing(backend: Backend) -> None:
    with pytest.raises(RuntimeError):
        async with backend.unit_of_work() as uow:
            await uow.purchases.add(purchase("1"))
            raise RuntimeError("refused later in the command")

    async with backend.unit_of_work() as uow:
        assert await uow.purchases.search(PurchaseFilter(BRAND), None, 10) == []


async def test_search_matches_every_given_filter_within_the_brand(backend: Backend) -> None:
    ours = purchase("1")
    other_member = purchase("2", member_id=OTHER_MEMBER)
    other_store = purchase("3", store_id=OTHER_STORE)
    other_brand = purchase("4", brand_id=OTHER_BRAND)
    await backend.add_purchases(ours, other_member, other_store, other_brand)

    async def ids(where: PurchaseFilter) -> set[str]:
        async with backend.unit_of_work() as uow:
            return {item.purchase_id for item in await uow.purchases.search(where, None, 10)}

    everything = {p.purchase_id for p in (ours, other_member, other_store)}
    assert await ids(PurchaseFilter(BRAND)) == everything
    assert await ids(PurchaseFilter(BRAND, member_id=OTHER_MEMBER)) == {other_member.purchase_id}
    assert await ids(PurchaseFilter(BRAND, store_id=OTHER_STORE)) == {other_store.purchase_id}
    assert await ids(PurchaseFilter(BRAND, member_id=OTHER_MEMBER, store_id=OTHER_STORE)) == set()
    assert await ids(PurchaseFilter(OTHER_BRAND)) == {other_brand.purchase_id}


async def test_search_runs_newest_first_ties_by_id_and_pages_strictly_after(
    backend: Backend,
) -> None:
    oldest = purchase("1", purchased_at=NOW)
    tie_low, tie_high = (purchase(d, purchased_at=NOW + MINUTE) for d in ("2", "3"))
    newest = purchase("4", purchased_at=NOW + 2 * MINUTE)
    await backend.add_purchases(tie_high, oldest, newest, tie_low)
    where = PurchaseFilter(BRAND)

    async with backend.unit_of_work() as uow:
        everything = await uow.purchases.search(where, None, 10)
        first_three = await uow.purchases.search(where, None, 3)
        after_tie = await uow.purchases.search(where, purchase_position(tie_high), 10)
        after_last = await uow.purchases.search(where, purchase_position(oldest), 10)

    assert everything == [newest, tie_high, tie_low, oldest]
    assert first_three == [newest, tie_high, tie_low]
    assert after_tie == [tie_low, oldest]
    assert after_last == []
