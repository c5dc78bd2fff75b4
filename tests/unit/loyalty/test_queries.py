from datetime import timedelta

import pytest
from loyalty.adapters.memory import in_memory_database
from loyalty.application.queries import HistoryEntry
from loyalty.domain.errors import NoPointsAccount
from loyalty.domain.tiers import Tier
from rapport_events.uow import InMemoryDatabase
from rapport_platform.auth import Role
from rapport_platform.pagination import Page, encode_cursor
from rapport_platform.refusals import InvalidCursor, InvalidInput, OutOfScope

from tests.support.http import principal
from tests.unit.loyalty.builders import AT, earning, handlers_on, queries_on

HQ = principal(Role.HQ)


async def earn_many(amounts: list[str], database: InMemoryDatabase) -> None:
    handlers = handlers_on(database)
    for index, amount in enumerate(amounts):
        await handlers.earn_points(
            earning(
                amount,
                f"src_{index}",
                reason="visit" if index % 2 else "purchase",
                at=AT + timedelta(days=index),
            )
        )


@pytest.fixture
def database() -> InMemoryDatabase:
    return in_memory_database()


async def history(
    database: InMemoryDatabase, limit: int = 50, cursor: str | None = None
) -> Page[HistoryEntry]:
    return await queries_on(database).history(HQ, "mbr_1", limit=limit, cursor=cursor)


async def test_balance_view_shows_the_tier(database: InMemoryDatabase) -> None:
    await earn_many(["1500", "600.50"], database)

    view = await queries_on(database).balance(HQ, "mbr_1")

    assert (view.balance, view.lifetime_earned, view.tier) == (2100, 2100, Tier.SILVER)
    assert view.brand_id == "brd_1"
    assert view.updated_at == AT + timedelta(days=1)


async def test_a_member_without_an_account_is_named_in_the_error(
    database: InMemoryDatabase,
) -> None:
    with pytest.raises(NoPointsAccount, match="'mbr_404' has no points account yet"):
        await queries_on(database).balance(HQ, "mbr_404")


async def test_another_brands_account_is_out_of_scope_like_a_missing_one(
    database: InMemoryDatabase,
) -> None:
    await earn_many(["10"], database)
    stranger = principal(Role.HQ, brand_id="brd_2")

    with pytest.raises(NoPointsAccount) as refused:
        await queries_on(database).balance(stranger, "mbr_1")
    with pytest.raises(NoPointsAccount):
        await queries_on(database).history(stranger, "mbr_1")

    assert isinstance(refused.value, OutOfScope)
    assert str(refused.value) == str(NoPointsAccount("mbr_1"))


async def test_a_platform_admin_reaches_every_brand(database: InMemoryDatabase) -> None:
    await earn_many(["10"], database)
    view = await queries_on(database).balance(principal(Role.PLATFORM_ADMIN), "mbr_1")
    assert view.balance == 10


async def test_history_lists_newest_first(database: InMemoryDatabase) -> None:
    await earn_many(["100", "0.5", "200.99", "300"], database)

    page = await history(database)

    assert [(e.points, e.balance, e.reason, e.source_id) for e in page.items] == [
        (300, 600, "visit", "src_3"),
        (200, 300, "purchase", "src_2"),
        (100, 100, "purchase", "src_0"),
    ]
    assert page.items[0].at == AT + timedelta(days=3)
    assert len({e.event_id for e in page.items}) == 3
    assert page.next_cursor is None


async def test_history_is_limited_to_the_latest_entries(database: InMemoryDatabase) -> None:
    await earn_many([str(10 * n) for n in range(1, 8)], database)

    page = await history(database, limit=2)

    assert [e.points for e in page.items] == [70, 60]
    assert page.next_cursor == encode_cursor([6])


async def test_the_cursor_walks_the_whole_history_once(database: InMemoryDatabase) -> None:
    await earn_many([str(10 * n) for n in range(1, 8)], database)

    seen: list[int] = []
    cursor: str | None = None
    for _ in range(10):
        page = await history(database, limit=3, cursor=cursor)
        seen.extend(e.points for e in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break

    assert seen == [70, 60, 50, 40, 30, 20, 10]


async def test_a_page_of_exactly_the_rest_has_no_next_cursor(database: InMemoryDatabase) -> None:
    await earn_many(["10", "20", "30", "40"], database)

    first = await history(database, limit=2)
    second = await history(database, limit=2, cursor=first.next_cursor)

    assert [e.points for e in second.items] == [20, 10]
    assert second.next_cursor is None


async def test_history_limit_must_be_positive(database: InMemoryDatabase) -> None:
    await earn_many(["10"], database)
    with pytest.raises(InvalidInput, match="limit"):
        await history(database, limit=0)


@pytest.mark.parametrize("cursor", ["not-a-cursor", encode_cursor(["x"]), encode_cursor([0])])
async def test_a_foreign_cursor_is_refused(database: InMemoryDatabase, cursor: str) -> None:
    await earn_many(["10"], database)
    with pytest.raises(InvalidCursor):
        await history(database, cursor=cursor)
