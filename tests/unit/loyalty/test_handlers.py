from datetime import timedelta
from decimal import Decimal
from typing import Self

import pytest
from loyalty.adapters.memory import InMemoryLoyaltyUnitOfWork, in_memory_database
from loyalty.application.handlers import (
    LoyaltyHandlers,
    earn_within,
    load_account,
    retry_on_conflict,
)
from loyalty.application.ports import PointsBalance
from loyalty.domain.errors import AccountMismatch
from rapport_events.clock import ManualClock
from rapport_events.contracts.loyalty import PointsEarned
from rapport_events.contracts.service_orders import VisitCompleted
from rapport_events.envelope import EventEnvelope
from rapport_events.store import ConcurrencyError, StoredEvent
from rapport_events.uow import InMemoryDatabase

from tests.unit.loyalty.builders import (
    AT,
    SOURCE,
    earning,
    handlers_on,
    stream_events,
    units_of_work,
)


@pytest.fixture
def database() -> InMemoryDatabase:
    return in_memory_database()


def balances_of(database: InMemoryDatabase) -> dict[str, PointsBalance]:
    rows: dict[str, PointsBalance] = database.tables.balances
    return rows


async def test_earning_appends_to_the_stream_and_updates_the_projection(
    database: InMemoryDatabase,
) -> None:
    envelopes = await handlers_on(database).earn_points(earning("268.40", "pur_1"))

    assert [env.type for env in envelopes] == [PointsEarned.event_type]
    assert envelopes[0].subject == "mbr_1"
    assert envelopes[0].brandid == "brd_1"
    assert database.published(PointsEarned) == envelopes
    (event,) = await stream_events(database)
    assert (event.points, event.balance, event.source_id) == (268, 268, "pur_1")
    assert balances_of(database)["mbr_1"] == PointsBalance(
        member_id="mbr_1",
        brand_id="brd_1",
        balance=268,
        lifetime_earned=268,
        version=1,
        updated_at=AT,
    )


async def test_events_are_caused_by_the_consumed_envelope(database: InMemoryDatabase) -> None:
    visit = VisitCompleted(
        visit_id="vis_1",
        member_id="mbr_1",
        brand_id="brd_1",
        store_id="sto_1",
        service_code="gel-manicure",
        amount=Decimal("188.00"),
        completed_at=AT,
    )
    cause = EventEnvelope.wrap(visit, source="/rapport/service-orders", brand_id="brd_1", time=AT)

    async with units_of_work(database)() as uow:
        await handlers_on(database).on_visit_completed(visit, cause, uow)

    (envelope,) = database.published(PointsEarned)
    assert envelope.causationid == cause.id
    assert envelope.correlationid == cause.correlationid
    (event,) = await stream_events(database)
    assert (event.reason, event.source_id, event.points) == ("visit", "vis_1", 188)


async def test_each_earning_builds_on_the_last(database: InMemoryDatabase) -> None:
    handlers = handlers_on(database)
    await handlers.earn_points(earning("300", "pur_1"))
    await handlers.earn_points(earning("1750.99", "vis_1", reason="visit"))

    row = balances_of(database)["mbr_1"]
    # Two earnings, and one move: from no tier straight to "silver".
    assert (row.balance, row.lifetime_earned, row.version) == (2050, 2050, 3)


async def test_replaying_the_stored_stream_gives_the_projected_balance(
    database: InMemoryDatabase,
) -> None:
    handlers = handlers_on(database)
    for index, amount in enumerate(["12.30", "0.40", "999.99", "5000", "1"]):
        await handlers.earn_points(earning(amount, f"pur_{index}", at=AT + timedelta(hours=index)))

    async with units_of_work(database)() as uow:
        account = await load_account(uow, "mbr_1")

    row = balances_of(database)["mbr_1"]
    assert account.balance == row.balance == 12 + 999 + 5000 + 1
    assert account.lifetime_earned == row.lifetime_earned
    assert account.version == row.version == 6  # four earnings, to "member", to "gold"
    assert account.updated_at == row.updated_at


async def test_the_same_source_twice_is_a_no_op(database: InMemoryDatabase) -> None:
    handlers = handlers_on(database)
    await handlers.earn_points(earning("300", "pur_1"))

    again = await handlers.earn_points(earning("300", "pur_1"))

    assert again == []
    assert len(await stream_events(database)) == 1
    assert len(database.published(PointsEarned)) == 1
    assert balances_of(database)["mbr_1"].balance == 300


async def test_an_amount_under_one_yuan_records_nothing(database: InMemoryDatabase) -> None:
    assert await handlers_on(database).earn_points(earning("0.99", "pur_1")) == []

    assert await stream_events(database) == []
    assert balances_of(database) == {}


async def test_another_brand_is_refused_and_records_nothing(database: InMemoryDatabase) -> None:
    handlers = handlers_on(database)
    await handlers.earn_points(earning("300", "pur_1"))

    with pytest.raises(AccountMismatch):
        await handlers.earn_points(earning("300", "pur_2", brand_id="brd_2"))

    assert len(await stream_events(database)) == 1
    assert len(database.published()) == 1


async def test_members_have_separate_accounts(database: InMemoryDatabase) -> None:
    handlers = handlers_on(database)
    await handlers.earn_points(earning("300", "pur_1", member_id="mbr_1"))
    await handlers.earn_points(earning("45", "pur_1", member_id="mbr_2"))

    assert balances_of(database)["mbr_1"].balance == 300
    assert balances_of(database)["mbr_2"].balance == 45


class LosingUnitOfWork(InMemoryLoyaltyUnitOfWork):
    """Loses the race to a rival writer: just before it opens, the rival earns and commits,
    and this unit reads the account as it was before (it read before the rival's commit), so
    its own append is on a stale version."""

    def __init__(self, database: InMemoryDatabase, rivals: list[str]) -> None:
        super().__init__(database, source=SOURCE, clock=ManualClock(AT))
        self._rivals = rivals
        self._unseen = 0

    async def __aenter__(self) -> Self:
        self._unseen = 0
        if self._rivals:
            async with InMemoryLoyaltyUnitOfWork(
                self.database, source=SOURCE, clock=self.clock
            ) as rival:
                await earn_within(rival, earning("10", self._rivals.pop(0)))
            self._unseen = 1
        return await super().__aenter__()

    async def load_stream(self, stream_id: str, after_version: int = 0) -> list[StoredEvent]:
        stored = await super().load_stream(stream_id, after_version)
        return stored[: len(stored) - self._unseen]


def rivals(times: int) -> list[str]:
    """Sources of the rival writer's earnings, one per lost race."""
    return [f"pur_rival_{n}" for n in reversed(range(times))]


async def test_a_concurrent_append_surfaces_as_concurrency_error(
    database: InMemoryDatabase,
) -> None:
    racing = LosingUnitOfWork(database, rivals(1))

    with pytest.raises(ConcurrencyError):
        async with racing as uow:
            await earn_within(uow, earning("300", "pur_1"))

    # Only the rival's earning landed, in the stream and in the projection.
    assert [e.source_id for e in await stream_events(database)] == ["pur_rival_0"]
    assert balances_of(database)["mbr_1"].balance == 10


async def test_the_command_is_retried_on_fresh_history_after_losing_a_race(
    database: InMemoryDatabase,
) -> None:
    remaining = rivals(2)
    opened: list[LosingUnitOfWork] = []

    def begin() -> LosingUnitOfWork:
        opened.append(LosingUnitOfWork(database, remaining))
        return opened[-1]

    handlers = LoyaltyHandlers(begin, ManualClock(AT))

    envelopes = await handlers.earn_points(earning("300", "pur_1"))

    assert len(opened) == 3
    assert len(envelopes) == 1
    events = await stream_events(database)
    assert [e.source_id for e in events] == ["pur_rival_1", "pur_rival_0", "pur_1"]
    assert events[-1].balance == 320
    assert balances_of(database)["mbr_1"].balance == 320


async def test_retries_give_up_after_three_attempts(database: InMemoryDatabase) -> None:
    remaining = rivals(3)
    handlers = LoyaltyHandlers(lambda: LosingUnitOfWork(database, remaining), ManualClock(AT))

    with pytest.raises(ConcurrencyError):
        await handlers.earn_points(earning("300", "pur_1"))

    assert [e.source_id for e in await stream_events(database)] == [
        "pur_rival_2",
        "pur_rival_1",
        "pur_rival_0",
    ]
    # Only the rival's three units committed; none of the losing attempts did.
    assert database.commits == 3


async def test_retry_does_not_swallow_other_errors() -> None:
    calls = 0

    async def failing() -> None:
        nonlocal calls
        calls += 1
        raise AccountMismatch("brand_id does not match")

    with pytest.raises(AccountMismatch):
        await retry_on_conflict(failing)
    assert calls == 1


async def test_retry_needs_at_least_one_attempt() -> None:
    async def never() -> None:
        raise AssertionError("must not run")

    with pytest.raises(ValueError, match="attempts"):
        await retry_on_conflict(never, attempts=0)
