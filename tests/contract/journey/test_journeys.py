"""The Journeys contract: one journey per member, locked while a transaction holds it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from journey.domain.journey import StageChange, Visit

from tests.contract.journey.backends import NOW, Backend
from tests.contract.journey.builders import BRAND, place


def visit(number: int) -> Visit:
    return Visit(
        visit_id=f"vst_{number}",
        store_id="sto_1",
        service_code="gel-manicure",
        amount=Decimal("268.00"),
        at=NOW + timedelta(days=number),
    )


async def test_an_unknown_member_has_no_journey_until_one_is_loaded(backend: Backend) -> None:
    async with backend.begin() as uow:
        assert await uow.journeys.get("mbr_1") is None
        blank = await uow.journeys.load("mbr_1", BRAND)
    async with backend.begin() as uow:
        stored = await uow.journeys.get("mbr_1")

    assert (blank.member_id, blank.brand_id, blank.stage, blank.visit_count) == (
        "mbr_1",
        BRAND,
        None,
        0,
    )
    assert stored == blank


async def test_a_journey_keeps_the_brand_it_was_started_under(backend: Backend) -> None:
    async with backend.begin() as uow:
        await uow.journeys.load("mbr_1", BRAND)
    async with backend.begin() as uow:
        # The handlers refuse what another brand says about her on this answer.
        again = await uow.journeys.load("mbr_1", "brd_other")

    assert again.brand_id == BRAND


async def test_saved_facts_are_what_the_next_transaction_loads(backend: Backend) -> None:
    async with backend.begin() as uow:
        journey = await uow.journeys.load("mbr_1", BRAND)
        journey.register(
            store_id="sto_1",
            surname="梁",
            gender="female",
            preferred_channel="wechat",
            birthday=date(1992, 5, 17),
            at=NOW,
        )
        journey.record_visit(visit(1))
        journey.move_to("new", "registered", NOW)
        await uow.journeys.save(journey, journey.take_changes())

    async with backend.begin() as uow:
        loaded = await uow.journeys.load("mbr_1", "brd_other")
        view = await uow.views.journey("mbr_1")

    assert loaded == journey
    assert loaded.total_spent == Decimal("268.00")
    assert view is not None
    assert view.stage_history == [StageChange(None, "new", "registered", NOW)]


async def test_nothing_is_kept_after_an_exception(backend: Backend) -> None:
    await place(backend, "mbr_1", stage="new")

    with pytest.raises(RuntimeError, match="rule failed"):
        async with backend.begin() as uow:
            journey = await uow.journeys.load("mbr_1", BRAND)
            await uow.journeys.save(replace(journey, stage="dormant"), [])
            await uow.journeys.load("mbr_2", BRAND)
            raise RuntimeError("rule failed")

    async with backend.begin() as uow:
        kept = await uow.journeys.get("mbr_1")
        assert await uow.journeys.get("mbr_2") is None
    assert kept is not None and kept.stage == "new"


async def test_two_first_events_side_by_side_start_one_journey(backend: Backend) -> None:
    first_loaded = asyncio.Event()

    async def first() -> None:
        async with backend.begin() as uow:
            journey = await uow.journeys.load("mbr_1", BRAND)
            first_loaded.set()
            await backend.someone_waits()  # the second one waits for this journey
            journey.record_visit(visit(1))
            await uow.journeys.save(journey, [])

    async def second() -> None:
        await first_loaded.wait()
        async with backend.begin() as uow:
            journey = await uow.journeys.load("mbr_1", BRAND)
            journey.record_visit(visit(2))
            await uow.journeys.save(journey, [])

    await asyncio.wait_for(asyncio.gather(first(), second()), timeout=20)

    async with backend.begin() as uow:
        journey = await uow.journeys.get("mbr_1")
        counts = await uow.views.stage_counts(BRAND, None)
    assert journey is not None
    # The second saw the first one's journey, so neither visit was lost.
    assert journey.visit_count == 2
    assert journey.last_visit_at == visit(2).at
    assert counts == {}
