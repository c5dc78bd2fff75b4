"""The Reviews contract: one review per visit (also under concurrent writers), brand isolation."""

from __future__ import annotations

import asyncio
import dataclasses
from decimal import Decimal

from service_orders.domain.appointment import Appointment
from service_orders.domain.review import Review

from tests.contract.service_orders.conftest import (
    BRAND,
    HOUR,
    NOW,
    OTHER_BRAND,
    STAFF,
    Backend,
    appointment,
    known_id,
)
from tests.support.polling import eventually


async def visited(backend: Backend, hex_digit: str, *, brand_id: str = BRAND) -> Appointment:
    """A stored appointment, completed by a visit."""
    booked = appointment(hex_digit, brand_id=brand_id)
    await backend.add_appointments(booked)
    completed, _ = booked.complete(
        visit_id=known_id("vis", hex_digit), amount=Decimal("268.00"), served_by=None, now=NOW
    )
    async with backend.unit_of_work() as uow:
        await uow.appointments.update(completed)
    return completed


def review_of(appointment: Appointment, hex_digit: str, *, satisfaction: int = 92) -> Review:
    review, _ = Review.submit(
        review_id=known_id("rev", hex_digit),
        visited=appointment,
        recommendation=9,
        satisfaction=satisfaction,
        comment="gentle and on time",
        submitted_by=STAFF,
        now=NOW + HOUR,
    )
    return review


async def add_alone(backend: Backend, review: Review) -> bool:
    async with backend.unit_of_work() as uow:
        return await uow.reviews.add(review)


async def test_a_review_is_read_back_within_its_brand_only(backend: Backend) -> None:
    review = review_of(await visited(backend, "1"), "1")

    assert await add_alone(backend, review)

    async with backend.unit_of_work() as uow:
        assert await uow.reviews.get(BRAND, review.review_id) == review
        assert await uow.reviews.get(OTHER_BRAND, review.review_id) is None
        assert await uow.reviews.get(BRAND, "rev_missing") is None


async def test_a_second_review_of_a_visit_is_not_stored(backend: Backend) -> None:
    completed = await visited(backend, "1")
    first, second = review_of(completed, "1"), review_of(completed, "2", satisfaction=10)

    assert await add_alone(backend, first)
    assert not await add_alone(backend, second)

    async with backend.unit_of_work() as uow:
        assert await uow.reviews.get(BRAND, first.review_id) == first
        assert await uow.reviews.get(BRAND, second.review_id) is None


async def test_each_visit_has_its_own_review(backend: Backend) -> None:
    one, two = await visited(backend, "1"), await visited(backend, "2", brand_id=OTHER_BRAND)

    assert await add_alone(backend, review_of(one, "1"))
    assert await add_alone(backend, review_of(two, "2"))


async def test_of_two_concurrent_reviews_of_a_visit_one_is_stored(backend: Backend) -> None:
    completed = await visited(backend, "1")
    winner, loser = review_of(completed, "1"), review_of(completed, "2")

    async with backend.unit_of_work() as first:
        assert await first.reviews.add(winner)
        second = asyncio.create_task(add_alone(backend, loser))
        await eventually(backend.waits_for_a_lock, timeout=10, what="the second review waits")

    assert await asyncio.wait_for(second, timeout=10) is False
    async with backend.unit_of_work() as uow:
        assert await uow.reviews.get(BRAND, winner.review_id) == winner


async def test_a_rolled_back_review_leaves_the_visit_reviewable(backend: Backend) -> None:
    completed = await visited(backend, "1")
    abandoned = review_of(completed, "1")
    try:
        async with backend.unit_of_work() as uow:
            assert await uow.reviews.add(abandoned)
            raise RuntimeError("refused later in the command")
    except RuntimeError:
        pass

    later = dataclasses.replace(abandoned, review_id=known_id("rev", "2"))
    assert await add_alone(backend, later)
