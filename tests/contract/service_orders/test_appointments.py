"""The Appointments contract: brand isolation, filters, order and cursors, row locks."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from service_orders.application.ports import AppointmentFilter, appointment_position
from service_orders.domain.appointment import Appointment, AppointmentStatus

from tests.contract.service_orders.conftest import (
    BRAND,
    HOUR,
    NOW,
    OTHER_BRAND,
    OTHER_MEMBER,
    OTHER_STORE,
    STAFF,
    Backend,
    appointment,
)
from tests.support.polling import eventually


async def test_an_added_appointment_is_read_back_within_its_brand_only(backend: Backend) -> None:
    booked = appointment("1")
    await backend.add_appointments(booked)

    async with backend.unit_of_work() as uow:
        assert await uow.appointments.get(BRAND, booked.appointment_id) == booked
        assert await uow.appointments.get_for_update(BRAND, booked.appointment_id) == booked
        assert await uow.appointments.get(OTHER_BRAND, booked.appointment_id) is None
        assert await uow.appointments.get_for_update(OTHER_BRAND, booked.appointment_id) is None
        assert await uow.appointments.get(BRAND, "apt_missing") is None


async def test_an_appointment_is_found_by_its_id_or_its_visit_whatever_its_brand(
    backend: Backend,
) -> None:
    ours, theirs = appointment("1"), appointment("2", brand_id=OTHER_BRAND)
    await backend.add_appointments(ours, theirs)
    visit_id = "vis_" + "2" * 32
    async with backend.unit_of_work() as uow:
        visited, _ = theirs.complete(
            visit_id=visit_id, amount=Decimal("10"), served_by=None, now=NOW + HOUR
        )
        await uow.appointments.update(visited)

    async with backend.unit_of_work() as uow:
        assert await uow.appointments.find(ours.appointment_id) == ours
        assert await uow.appointments.find(theirs.appointment_id) == visited
        assert await uow.appointments.find("apt_missing") is None
        assert await uow.appointments.find_by_visit(visit_id) == visited
        assert await uow.appointments.find_by_visit("vis_missing") is None


async def test_an_update_stores_the_visit_or_the_cancellation(backend: Backend) -> None:
    first, second = appointment("1"), appointment("2")
    await backend.add_appointments(first, second)
    completed, _ = first.complete(
        visit_id="vis_" + "1" * 32, amount=Decimal("268.50"), served_by=STAFF, now=NOW + HOUR
    )
    cancelled, _ = second.cancel(cancelled_by=STAFF, reason="member is ill", now=NOW + HOUR)

    async with backend.unit_of_work() as uow:
        await uow.appointments.update(completed)
        await uow.appointments.update(cancelled)
    async with backend.unit_of_work() as uow:
        assert await uow.appointments.get(BRAND, first.appointment_id) == completed
        assert await uow.appointments.get(BRAND, second.appointment_id) == cancelled


async def test_an_update_stores_a_no_show(backend: Backend) -> None:
    booked = appointment("1")
    await backend.add_appointments(booked)
    missed, _ = booked.mark_missed(now=booked.scheduled_at + HOUR)

    async with backend.unit_of_work() as uow:
        await uow.appointments.update(missed)
    async with backend.unit_of_work() as uow:
        assert await uow.appointments.get(BRAND, booked.appointment_id) == missed
        listed = await uow.appointments.search(
            AppointmentFilter(BRAND, status=AppointmentStatus.MISSED), None, 10
        )
        assert listed == [missed]


async def test_a_visit_is_found_within_its_brand_only(backend: Backend) -> None:
    booked = appointment("1")
    await backend.add_appointments(booked)
    completed, _ = booked.complete(
        visit_id="vis_" + "2" * 32, amount=Decimal("99.00"), served_by=None, now=NOW + HOUR
    )
    async with backend.unit_of_work() as uow:
        await uow.appointments.update(completed)

    async with backend.unit_of_work() as uow:
        assert await uow.appointments.get_by_visit(BRAND, "vis_" + "2" * 32) == completed
        assert await uow.appointments.get_by_visit(OTHER_BRAND, "vis_" + "2" * 32) is None
        assert await uow.appointments.get_by_visit(BRAND, "vis_missing") is None


async def test_updating_an_appointment_never_stored_fails(backend: Backend) -> None:
    with pytest.raises(LookupError):
        async with backend.unit_of_work() as uow:
            await uow.appointments.update(appointment("9"))


async def test_a_rolled_back_addition_leaves_nothing(backend: Backend) -> None:
    with pytest.raises(RuntimeError):
        async with backend.unit_of_work() as uow:
            await uow.appointments.add(appointment("1"))
            raise RuntimeError("refused later in the command")

    async with backend.unit_of_work() as uow:
        assert await uow.appointments.get(BRAND, appointment("1").appointment_id) is None


async def test_search_matches_every_given_filter_within_the_brand(backend: Backend) -> None:
    ours = appointment("1")
    other_member = appointment("2", member_id=OTHER_MEMBER)
    other_store = appointment("3", store_id=OTHER_STORE)
    other_brand = appointment("4", brand_id=OTHER_BRAND)
    await backend.add_appointments(ours, other_member, other_store, other_brand)
    cancelled, _ = other_store.cancel(cancelled_by=STAFF, now=NOW)
    async with backend.unit_of_work() as uow:
        await uow.appointments.update(cancelled)

    async def ids(where: AppointmentFilter) -> set[str]:
        async with backend.unit_of_work() as uow:
            found = await uow.appointments.search(where, None, 10)
        return {item.appointment_id for item in found}

    everything = {a.appointment_id for a in (ours, other_member, other_store)}
    assert await ids(AppointmentFilter(BRAND)) == everything
    assert await ids(AppointmentFilter(BRAND, member_id=OTHER_MEMBER)) == {
        other_member.appointment_id
    }
    assert await ids(AppointmentFilter(BRAND, store_id=OTHER_STORE)) == {other_store.appointment_id}
    assert await ids(AppointmentFilter(BRAND, status=AppointmentStatus.CANCELLED)) == {
        other_store.appointment_id
    }
    booked_elsewhere = AppointmentFilter(
        BRAND, store_id=OTHER_STORE, status=AppointmentStatus.BOOKED
    )
    assert await ids(booked_elsewhere) == set()
    assert await ids(AppointmentFilter(OTHER_BRAND)) == {other_brand.appointment_id}


async def test_search_runs_latest_scheduled_first_ties_by_id_and_pages_strictly_after(
    backend: Backend,
) -> None:
    early = appointment("1", scheduled_at=NOW + HOUR)
    tie_low, tie_high = (appointment(d, scheduled_at=NOW + 2 * HOUR) for d in ("2", "3"))
    late = appointment("4", scheduled_at=NOW + 3 * HOUR)
    await backend.add_appointments(tie_low, early, late, tie_high)
    where = AppointmentFilter(brand_id=BRAND)

    async with backend.unit_of_work() as uow:
        everything = await uow.appointments.search(where, None, 10)
        first_two = await uow.appointments.search(where, None, 2)
        after_tie = await uow.appointments.search(where, appointment_position(tie_high), 10)
        after_last = await uow.appointments.search(where, appointment_position(early), 10)

    assert everything == [late, tie_high, tie_low, early]
    assert first_two == [late, tie_high]
    assert after_tie == [tie_low, early]
    assert after_last == []


async def test_get_for_update_serialises_two_completions(backend: Backend) -> None:
    booked = appointment("1")
    await backend.add_appointments(booked)

    async def complete_if_booked(visit_digit: str) -> Appointment:
        async with backend.unit_of_work() as uow:
            current = await uow.appointments.get_for_update(BRAND, booked.appointment_id)
            assert current is not None
            if current.status is AppointmentStatus.BOOKED:
                current, _ = current.complete(
                    visit_id="vis_" + visit_digit * 32,
                    amount=Decimal("10"),
                    served_by=None,
                    now=NOW + HOUR,
                )
                await uow.appointments.update(current)
            return current

    async with backend.unit_of_work() as first:
        held = await first.appointments.get_for_update(BRAND, booked.appointment_id)
        assert held is not None and held.status is AppointmentStatus.BOOKED
        second = asyncio.create_task(complete_if_booked("2"))
        await eventually(backend.waits_for_a_lock, timeout=10, what="the second completion waits")
        completed, _ = held.complete(
            visit_id="vis_" + "1" * 32, amount=Decimal("10"), served_by=None, now=NOW
        )
        await first.appointments.update(completed)

    seen_by_second = await asyncio.wait_for(second, timeout=10)
    assert seen_by_second == completed
    async with backend.unit_of_work() as uow:
        assert await uow.appointments.get(BRAND, booked.appointment_id) == completed
