from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from loyalty.application.commands import EarnPoints
from loyalty.application.handlers import (
    earn_points,
    earn_points_in_own_transaction,
    load_account,
    retry_on_conflict,
)
from loyalty.application.ports import PointsBalance, PointsBalances
from loyalty.domain.account import stream_id_for
from loyalty.domain.errors import AccountMismatch
from rapport_events.contracts.loyalty import PointsEarned
from rapport_events.contracts.service_orders import VisitCompleted
from rapport_events.envelope import EventEnvelope
from rapport_events.registry import registry
from rapport_events.store import ConcurrencyError, InMemoryEventStore

from tests.unit.loyalty.fakes import FakeUnitOfWork, InMemoryPointsBalances

AT = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)


def command(
    amount: str,
    source_id: str,
    *,
    member_id: str = "mbr_1",
    brand_id: str = "brd_1",
    reason: str = "purchase",
    at: datetime = AT,
) -> EarnPoints:
    return EarnPoints(
        member_id=member_id,
        brand_id=brand_id,
        amount=Decimal(amount),
        reason=reason,  # type: ignore[arg-type]
        source_id=source_id,
        at=at,
    )


@pytest.fixture
def store() -> InMemoryEventStore:
    return InMemoryEventStore()


@pytest.fixture
def uow(store: InMemoryEventStore) -> FakeUnitOfWork:
    return FakeUnitOfWork(store)


@pytest.fixture
def balances() -> InMemoryPointsBalances:
    return InMemoryPointsBalances()


async def stream_events(store: InMemoryEventStore, member_id: str = "mbr_1") -> list[PointsEarned]:
    stored = await store.load(stream_id_for(member_id))
    events = [registry.decode(item.envelope) for item in stored]
    assert all(isinstance(event, PointsEarned) for event in events)
    return events  # type: ignore[return-value]


async def test_earning_appends_to_the_stream_and_updates_the_projection(
    store: InMemoryEventStore, uow: FakeUnitOfWork, balances: InMemoryPointsBalances
) -> None:
    envelopes = await earn_points(command("268.40", "pur_1"), uow, balances)

    assert [env.type for env in envelopes] == [PointsEarned.event_type]
    assert envelopes[0].subject == "mbr_1"
    assert envelopes[0].brandid == "brd_1"
    (event,) = await stream_events(store)
    assert (event.points, event.balance, event.source_id) == (268, 268, "pur_1")
    assert balances.rows["mbr_1"] == PointsBalance(
        member_id="mbr_1",
        brand_id="brd_1",
        balance=268,
        lifetime_earned=268,
        version=1,
        updated_at=AT,
    )


async def test_events_are_caused_by_the_consumed_envelope(
    uow: FakeUnitOfWork, balances: InMemoryPointsBalances
) -> None:
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

    (envelope,) = await earn_points(
        command("188.00", "vis_1", reason="visit"), uow, balances, caused_by=cause
    )

    assert envelope.causationid == cause.id
    assert envelope.correlationid == cause.correlationid


async def test_each_earning_builds_on_the_last(
    uow: FakeUnitOfWork, balances: InMemoryPointsBalances
) -> None:
    await earn_points(command("300", "pur_1"), uow, balances)
    await earn_points(command("1750.99", "vis_1", reason="visit"), uow, balances)

    row = balances.rows["mbr_1"]
    assert (row.balance, row.lifetime_earned, row.version) == (2050, 2050, 2)


async def test_replaying_the_stored_stream_gives_the_projected_balance(
    uow: FakeUnitOfWork, balances: InMemoryPointsBalances
) -> None:
    for index, amount in enumerate(["12.30", "0.40", "999.99", "5000", "1"]):
        await earn_points(
            command(amount, f"pur_{index}", at=AT + timedelta(hours=index)), uow, balances
        )

    account = await load_account(uow, "mbr_1")

    row = balances.rows["mbr_1"]
    assert account.balance == row.balance == 12 + 999 + 5000 + 1
    assert account.lifetime_earned == row.lifetime_earned
    assert account.version == row.version == 4
    assert account.updated_at == row.updated_at


async def test_the_same_source_twice_is_a_no_op(
    store: InMemoryEventStore, uow: FakeUnitOfWork, balances: InMemoryPointsBalances
) -> None:
    await earn_points(command("300", "pur_1"), uow, balances)

    again = await earn_points(command("300", "pur_1"), uow, balances)

    assert again == []
    assert len(await stream_events(store)) == 1
    assert balances.rows["mbr_1"].balance == 300


async def test_an_amount_under_one_yuan_records_nothing(
    store: InMemoryEventStore, uow: FakeUnitOfWork, balances: InMemoryPointsBalances
) -> None:
    assert await earn_points(command("0.99", "pur_1"), uow, balances) == []

    assert await store.load(stream_id_for("mbr_1")) == []
    assert balances.rows == {}


async def test_another_brand_is_refused_and_records_nothing(
    store: InMemoryEventStore, uow: FakeUnitOfWork, balances: InMemoryPointsBalances
) -> None:
    await earn_points(command("300", "pur_1"), uow, balances)

    with pytest.raises(AccountMismatch):
        await earn_points(command("300", "pur_2", brand_id="brd_2"), uow, balances)

    assert len(await stream_events(store)) == 1


async def test_members_have_separate_accounts(
    uow: FakeUnitOfWork, balances: InMemoryPointsBalances
) -> None:
    await earn_points(command("300", "pur_1", member_id="mbr_1"), uow, balances)
    await earn_points(command("45", "pur_1", member_id="mbr_2"), uow, balances)

    assert balances.rows["mbr_1"].balance == 300
    assert balances.rows["mbr_2"].balance == 45


def rival_writer(store: InMemoryEventStore, times: int) -> FakeUnitOfWork:
    """A unit of work that loses the race ``times`` times: another writer appends first."""
    remaining = [times]
    rival = FakeUnitOfWork(store)

    async def interfere() -> None:
        if remaining[0] > 0:
            remaining[0] -= 1
            source = f"pur_rival_{remaining[0]}"
            await earn_points(command("10", source), rival, InMemoryPointsBalances())

    return FakeUnitOfWork(store, before_append=interfere)


async def test_a_concurrent_append_surfaces_as_concurrency_error(
    store: InMemoryEventStore, balances: InMemoryPointsBalances
) -> None:
    racing = rival_writer(store, times=1)

    with pytest.raises(ConcurrencyError):
        await earn_points(command("300", "pur_1"), racing, balances)

    assert balances.rows == {}


async def test_the_command_is_retried_on_fresh_history_after_losing_a_race(
    store: InMemoryEventStore, balances: InMemoryPointsBalances
) -> None:
    racing = rival_writer(store, times=2)
    opened: list[FakeUnitOfWork] = []

    def begin() -> FakeUnitOfWork:
        opened.append(racing)
        return racing

    def balances_in(_: FakeUnitOfWork) -> PointsBalances:
        return balances

    envelopes = await earn_points_in_own_transaction(
        command("300", "pur_1"), begin=begin, balances_in=balances_in
    )

    assert len(opened) == 3
    assert len(envelopes) == 1
    events = await stream_events(store)
    assert [e.source_id for e in events] == ["pur_rival_1", "pur_rival_0", "pur_1"]
    assert events[-1].balance == 320
    assert balances.rows["mbr_1"].balance == 320


async def test_retries_give_up_after_three_attempts(store: InMemoryEventStore) -> None:
    racing = rival_writer(store, times=3)

    with pytest.raises(ConcurrencyError):
        await earn_points_in_own_transaction(
            command("300", "pur_1"),
            begin=lambda: racing,
            balances_in=lambda _: InMemoryPointsBalances(),
        )

    assert [e.source_id for e in await stream_events(store)] == [
        "pur_rival_2",
        "pur_rival_1",
        "pur_rival_0",
    ]
    assert racing.committed is False


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
