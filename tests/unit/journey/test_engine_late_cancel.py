"""A late event listed in a trigger's ``cancel_on`` calls off only what was waiting at its
own time: occurrences armed by what happened after it stand."""

from dataclasses import replace
from datetime import timedelta

from journey.domain.engine import Decision, Engine, TimerCancel
from journey.domain.maps.model import OnDate, Trigger
from journey.domain.simulation import MemberReplay

from tests.unit.journey.map_builders import BRAND, Events, lifecycle_map, only, to_member, utc

T0 = utc(2026, 3, 1, 10)
DAY = timedelta(days=1)
MAP = lifecycle_map()


def replay(journey_map: object = MAP) -> MemberReplay:
    return MemberReplay(Engine(journey_map), "mbr_1", BRAND)  # type: ignore[arg-type]


def cancels(decisions: list[Decision]) -> list[TimerCancel]:
    return [cancel for decision in decisions for cancel in decision.cancel]


def test_a_late_booking_calls_off_the_reminder_of_the_earlier_purchase_only() -> None:
    member, events = replay(only(MAP, "deep_cleaning")), Events()
    member.handle(events.registered(T0))
    member.handle(events.bound(T0))
    first = events.mattress(T0 + DAY)
    member.handle(first)
    second = events.mattress(T0 + 40 * DAY)
    member.handle(second)
    late_booking = events.booked(T0 + 30 * DAY)  # happened between them, arrives after both
    decisions = member.handle(late_booking)
    assert cancels(decisions) == [TimerCancel("deep_cleaning", None, late_booking.at)]
    assert list(member.timers) == [("deep_cleaning", second.event_id)]


def test_a_booking_on_time_still_calls_off_every_waiting_reminder() -> None:
    member, events = replay(only(MAP, "deep_cleaning")), Events()
    member.handle(events.registered(T0))
    member.handle(events.mattress(T0 + DAY))
    member.handle(events.mattress(T0 + 40 * DAY))
    member.handle(events.booked(T0 + 50 * DAY))
    assert member.timers == {}


def test_a_booking_at_the_same_instant_as_a_purchase_leaves_its_reminder() -> None:
    """Arrival order does not matter: before its own instant means strictly before."""
    for booked_first in (True, False):
        member, events = replay(only(MAP, "deep_cleaning")), Events()
        member.handle(events.registered(T0))
        purchase, booking = events.mattress(T0 + DAY), events.booked(T0 + DAY)
        for event in (booking, purchase) if booked_first else (purchase, booking):
            member.handle(event)
        assert list(member.timers) == [("deep_cleaning", purchase.event_id)]


def greeting_called_off_by_referrals() -> object:
    greeting = Trigger(
        "birthday_greeting",
        OnDate("birthday"),
        cancel_on=("referral.made",),
        touchpoint=to_member("birthday_greeting"),
    )
    return replace(MAP, triggers=(greeting,))


def test_a_late_event_does_not_call_off_a_date_occurrence_armed_after_it() -> None:
    member, events = replay(greeting_called_off_by_referrals()), Events()
    member.handle(events.registered(utc(2026, 1, 10), birthday="1990-05-17"))
    [fired] = member.fire_due(utc(2026, 6, 1))  # this year's greeting, re-armed for next year
    assert [t.template for t in (p.spec for p in fired.touchpoints)] == ["birthday_greeting"]
    this_year_due = utc(2026, 5, 17, 2)
    late = events.make("referral.made", this_year_due - DAY, newcomer_id="mbr_9", store_id="s")
    member.handle(late)  # the occurrence waiting at its time already went out
    assert member.timers[("birthday_greeting", "")].due_at == utc(2027, 5, 17, 2)
    on_time = events.make("referral.made", utc(2027, 1, 5), newcomer_id="mbr_8", store_id="s")
    decisions = member.handle(on_time)
    assert cancels(decisions) == [TimerCancel("birthday_greeting", None, utc(2027, 5, 18))]
    assert member.timers == {}


def test_exiting_calls_off_everything_whatever_its_time() -> None:
    closing = replace(
        only(MAP, "deep_cleaning"),
        exit_when=lifecycle_map().stages[0].entry,  # two low ratings in a row: she leaves
    )
    member, events = replay(closing), Events()
    member.handle(events.registered(T0))
    member.handle(events.mattress(T0 + DAY))
    member.handle(events.review(T0 + 2 * DAY, 60))
    decisions = member.handle(events.review(T0 + 3 * DAY, 50))
    assert TimerCancel("deep_cleaning", None, None) in cancels(decisions)
    assert member.timers == {}
