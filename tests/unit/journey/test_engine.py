"""The engine over a compiled map: stages, each kind of trigger, touchpoints, goals, exits.

Time is always handed in; a member's timers are kept by the dry run's in-memory replay,
which honours the service's timer semantics (arming replaces the same kind and slot).
"""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from journey.domain.engine import Decision, DueTimer, Engine
from journey.domain.maps.model import OnDate, OnEvent, OnStageEntered, Trigger, Wait
from journey.domain.simulation import MemberReplay
from journey.domain.touchpoints import touchpoint_id

from tests.unit.journey.map_builders import (
    BRAND,
    Events,
    lifecycle_map,
    only,
    to_member,
    utc,
    when,
)

T0 = utc(2026, 3, 1, 10)
DAY = timedelta(days=1)
MAP = lifecycle_map()


def replay(journey_map: object = MAP) -> MemberReplay:
    return MemberReplay(Engine(journey_map), "mbr_1", BRAND)  # type: ignore[arg-type]


def merged(decisions: list[Decision]) -> Decision:
    total = Decision()
    for decision in decisions:
        total.stage_moves += decision.stage_moves
        total.arm += decision.arm
        total.cancel += decision.cancel
        total.touchpoints += decision.touchpoints
        total.skipped += decision.skipped
        total.goals_reached += decision.goals_reached
        total.timeline += decision.timeline
        total.exited = total.exited or decision.exited
    return total


def templates(decision: Decision) -> list[str]:
    return [planned.spec.template for planned in decision.touchpoints]


def timer(member: MemberReplay, kind: str, slot: str = "") -> DueTimer:
    return member.timers[(kind, slot)]


# ------------------------------------------------------------------ stages and entering


def test_she_enters_on_the_initial_stage_and_gets_its_once_voucher() -> None:
    member, events = replay(), Events()
    decision = merged(member.handle(events.registered(T0)))
    assert member.position is not None
    assert (member.position.stage, member.position.stage_since) == ("new", T0)
    assert [entry.kind for entry in decision.timeline][:2] == ["entered", "trigger_fired"]
    assert templates(decision) == ["first_visit_voucher"]
    assert member.position.fired_once == {"first_visit_voucher"}


def test_she_enters_on_a_higher_stage_her_facts_already_earn() -> None:
    member, events = replay(), Events()
    member.facts.apply(events.visit(T0 - 2 * DAY))
    decision = merged(member.handle(events.visit(T0)))
    assert member.position is not None and member.position.stage == "potential"
    assert decision.stage_moves[0].to_stage == "potential"
    assert decision.stage_moves[0].reason == "stages[4].entry.when held: facts.visit_count >= 2"
    assert "first_visit_voucher" not in templates(decision)  # she never stood on "new"


def test_stage_entered_trigger_alerts_the_store_manager_on_churn_risk() -> None:
    member, events = replay(), Events()
    member.handle(events.registered(T0))
    member.handle(events.review(T0 + DAY, 70))
    decision = merged(member.handle(events.review(T0 + 2 * DAY, 60)))
    move = decision.stage_moves[0]
    assert (move.from_stage, move.to_stage, move.rule) == ("new", "churn_risk", "churn_risk")
    assert move.reason.startswith("stages[0].entry.when held: facts.low_ratings_in_a_row >= 2")
    [alert] = decision.touchpoints
    assert (alert.spec.to, alert.spec.template, alert.trigger) == (
        "store_manager",
        "churn_risk_alert",
        "churn_alert",
    )
    assert alert.occasion == f"churn_risk@{(T0 + 2 * DAY).isoformat()}"


def test_a_condition_that_fails_counts_as_not_holding_and_says_why() -> None:
    broken = replace(
        MAP,
        triggers=(
            Trigger(
                "big_spender",
                OnEvent("member.bound"),
                when=when("event.amount > 100.0", "triggers[0].when"),
                touchpoint=to_member("thanks"),
            ),
        ),
    )
    member, events = replay(broken), Events()
    member.handle(events.registered(T0))
    decision = merged(member.handle(events.bound(T0 + DAY)))
    assert decision.touchpoints == []
    [error] = [entry for entry in decision.timeline if entry.kind == "condition_error"]
    assert error.rule == "big_spender"
    assert error.reason.startswith("triggers[0].when: KeyError")


# ------------------------------------------------------------------ event triggers


def test_event_trigger_without_wait_requests_its_touchpoint_at_the_event() -> None:
    member, events = replay(), Events()
    member.handle(events.registered(T0))
    visit = events.visit(T0 + DAY)
    decision = merged(member.handle(visit))
    [care] = [tp for tp in decision.touchpoints if tp.trigger == "care_guide"]
    assert care.moment == visit.at
    assert care.touchpoint_id == touchpoint_id("mbr_1", "lifecycle/care_guide", visit.event_id)
    assert care.variables == {"surname": "梁", "title": "女士"}


def test_six_months_after_a_mattress_purchase_on_the_last_day_of_august() -> None:
    member, events = replay(), Events()
    member.handle(events.registered(T0))
    member.handle(events.bound(T0))
    purchase = events.mattress(utc(2026, 8, 31, 10))
    member.handle(purchase)
    due = timer(member, "deep_cleaning", purchase.event_id)
    assert (due.due_at, due.armed_for) == (utc(2027, 2, 28, 10), purchase.at)
    decision = member.fire(due)
    [task] = decision.touchpoints
    assert (task.spec.to, task.spec.template, task.moment) == (
        "associate",
        "deep_cleaning_due",
        utc(2027, 2, 28, 10),
    )
    assert task.variables["due_date"] == "2027-03-07"  # 7 days later, Shanghai date


def test_an_event_trigger_condition_is_decided_when_the_event_arrives() -> None:
    member, events = replay(), Events()
    member.handle(events.registered(T0))
    sofa = events.make(
        "purchase.recorded",
        T0 + DAY,
        amount="99.00",
        items=[{"product_code": "PIL-1", "category": "pillow"}],
    )
    member.handle(sofa)
    assert ("deep_cleaning", sofa.event_id) not in member.timers


def test_staff_touchpoint_without_a_bound_associate_is_skipped() -> None:
    member, events = replay(), Events()
    member.handle(events.registered(T0))
    purchase = events.mattress(T0 + DAY)
    member.handle(purchase)
    decision = member.fire(timer(member, "deep_cleaning", purchase.event_id))
    assert decision.touchpoints == []
    [skipped] = decision.skipped
    assert skipped.reason == "no bound associate"
    assert [e.kind for e in decision.timeline] == ["trigger_fired", "touchpoint_skipped"]


def test_cancel_on_calls_off_waiting_occurrences_before_the_same_event_arms_a_new_one() -> None:
    refill = Trigger(
        "refill",
        OnEvent("visit.completed"),
        wait=Wait.parse("P3M"),
        cancel_on=("visit.completed",),
        touchpoint=to_member("refill_reminder", "service"),
    )
    member, events = replay(replace(MAP, triggers=(refill,))), Events()
    member.handle(events.registered(T0))
    first = events.visit(T0 + DAY)
    member.handle(first)
    second = events.visit(T0 + 20 * DAY)
    decision = merged(member.handle(second))
    assert decision.cancel == [("refill", None, second.at)]
    assert [(request.kind, request.slot) for request in decision.arm] == [
        ("refill", second.event_id)
    ]
    assert list(member.timers) == [("refill", second.event_id)]


def test_booking_calls_off_the_deep_cleaning_reminder() -> None:
    member, events = replay(), Events()
    member.handle(events.registered(T0))
    member.handle(events.mattress(T0 + DAY))
    decision = merged(member.handle(events.booked(T0 + 30 * DAY)))
    assert ("deep_cleaning", None, T0 + 30 * DAY) in decision.cancel
    assert not any(kind == "deep_cleaning" for kind, _ in member.timers)


def test_once_trigger_fires_once() -> None:
    voucher = Trigger(
        "first_visit_voucher",
        OnEvent("visit.completed"),
        once=True,
        touchpoint=to_member("first_visit_voucher"),
    )
    member, events = replay(replace(MAP, triggers=(voucher,))), Events()
    member.handle(events.registered(T0))
    assert templates(merged(member.handle(events.visit(T0 + DAY)))) == ["first_visit_voucher"]
    assert templates(merged(member.handle(events.visit(T0 + 5 * DAY)))) == []


# ------------------------------------------------------------------ inactivity


def test_thirty_days_without_a_visit_make_her_dormant_and_invite_her_back() -> None:
    member, events = replay(), Events()
    member.handle(events.registered(T0))
    member.handle(events.visit(T0))
    due = timer(member, "welcome_back")
    assert (due.due_at, due.armed_for) == (T0 + 30 * DAY, T0)
    decision = member.fire(due)
    [move] = decision.stage_moves
    assert (move.to_stage, move.rule, move.at) == ("dormant", "welcome_back", T0 + 30 * DAY)
    [invite] = decision.touchpoints
    assert invite.spec.template == "welcome_back"
    assert invite.variables == {"offer": "回归礼券", "surname": "梁", "title": "女士"}
    assert invite.occasion == T0.isoformat()
    assert member.position is not None
    [goal] = member.position.open_goals
    assert (goal.event, goal.deadline) == ("visit.completed", T0 + 60 * DAY)


def test_a_visit_within_the_goal_window_wins_her_back_and_reaches_the_goal() -> None:
    member, events = replay(), Events()
    member.handle(events.registered(T0))
    member.handle(events.visit(T0))
    member.fire(timer(member, "welcome_back"))
    back = events.visit(T0 + 40 * DAY)
    decision = merged(member.handle(back))
    assert [move.to_stage for move in decision.stage_moves] == ["won_back"]
    [reached] = decision.goals_reached
    assert (reached.goal.trigger, reached.event_id) == ("welcome_back", back.event_id)
    assert member.position is not None and member.position.open_goals == []
    assert "goal_reached" in [entry.kind for entry in decision.timeline]


def test_a_goal_not_reached_in_time_expires() -> None:
    member, events = replay(), Events()
    member.handle(events.registered(T0))
    member.handle(events.visit(T0))
    member.fire(timer(member, "welcome_back"))
    decision = merged(member.handle(events.visit(T0 + 61 * DAY)))
    assert decision.goals_reached == []
    [expired] = [entry for entry in decision.timeline if entry.kind == "goal_expired"]
    assert (expired.rule, expired.reason) == ("welcome_back", "deadline passed")
    assert member.position is not None and member.position.open_goals == []


def test_a_stale_inactivity_timer_does_nothing() -> None:
    member, events = replay(), Events()
    member.handle(events.registered(T0))
    member.handle(events.visit(T0))
    old = timer(member, "welcome_back")
    member.handle(events.visit(T0 + 10 * DAY))
    assert timer(member, "welcome_back").armed_for == T0 + 10 * DAY
    assert member.position is not None
    decision = member.engine.on_timer(member.position, member.facts, old, old.due_at)
    assert decision == Decision()


def test_a_late_visit_from_before_her_dormancy_counts_but_does_not_win_her_back() -> None:
    member, events = replay(), Events()
    member.handle(events.registered(T0))
    member.handle(events.visit(T0))
    member.fire(timer(member, "welcome_back"))  # dormant at T0 + 30 days
    late = events.visit(T0 + 20 * DAY)
    decision = merged(member.handle(late, now=T0 + 31 * DAY))
    assert member.position is not None and member.position.stage == "dormant"
    assert decision.stage_moves == []
    assert member.facts.visit_count == 2 and member.facts.last_visit_at == late.at
    # It does not start a new absence: no second welcome-back for the same one.
    assert decision.arm == [] and "welcome_back" not in {kind for kind, _ in member.timers}
    # Its own touchpoint's moment has long passed.
    [skipped] = decision.skipped
    assert (skipped.trigger, skipped.reason) == ("care_guide", "late by 11 days (tolerance PT24H)")


def test_placement_follows_event_time_not_arrival_order() -> None:
    member, events = replay(), Events()
    member.handle(events.registered(T0 - DAY))
    later, earlier = events.visit(T0 + 10 * DAY), events.visit(T0)
    member.handle(later)
    decision = merged(member.handle(earlier, now=T0 + 10 * DAY))
    # The older visit does not re-arm her inactivity timer: the later one stands.
    assert all(request.kind != "welcome_back" for request in decision.arm)
    assert timer(member, "welcome_back").armed_for == later.at
    # But it is her first visit now, so her anniversary counts from it.
    [anniversary] = [request for request in decision.arm if request.kind == "anniversary"]
    assert anniversary.armed_for == utc(2027, 3, 1)
    assert member.position is not None and member.position.stage == "potential"


# ------------------------------------------------------------------ dates


def test_birthday_task_fifteen_days_ahead_and_greeting_on_the_day() -> None:
    member, events = replay(), Events()
    member.handle(events.registered(utc(2026, 1, 10), birthday="1990-05-17"))
    member.handle(events.bound(utc(2026, 1, 10)))
    ahead, on_the_day = timer(member, "birthday_task"), timer(member, "birthday_greeting")
    assert ahead.due_at == utc(2026, 5, 2, 1)  # 09:00 in Shanghai
    assert on_the_day.due_at == utc(2026, 5, 17, 2)  # 10:00 in Shanghai
    assert ahead.armed_for == on_the_day.armed_for == utc(2026, 5, 17)
    [call] = member.fire(ahead).touchpoints
    assert (call.spec.to, call.occasion, call.variables["due_date"]) == (
        "associate",
        "2026-05-17",
        "2026-05-09",
    )
    assert timer(member, "birthday_task").due_at == utc(2027, 5, 2, 1)  # next year's
    [greeting] = member.fire(on_the_day).touchpoints
    assert greeting.variables["offer"] == "护理券"


def test_birthday_on_the_29th_of_february() -> None:
    member, events = replay(only(MAP, "birthday_greeting", "birthday_task")), Events()
    member.handle(events.registered(utc(2026, 1, 10), birthday="1992-02-29"))
    assert timer(member, "birthday_task").due_at == utc(2026, 2, 13, 1)  # 28 Feb - 15 days
    dues = []
    for _ in range(3):
        due = timer(member, "birthday_greeting")
        dues.append(due.due_at)
        member.fire(due)
    assert dues == [utc(2026, 2, 28, 2), utc(2027, 2, 28, 2), utc(2028, 2, 29, 2)]


def test_a_birthday_already_past_this_year_is_armed_for_next_year() -> None:
    member, events = replay(only(MAP, "birthday_greeting", "birthday_task")), Events()
    member.handle(events.registered(utc(2026, 5, 10), birthday="1990-05-17"))
    assert timer(member, "birthday_task").due_at == utc(2027, 5, 2, 1)
    assert timer(member, "birthday_greeting").due_at == utc(2026, 5, 17, 2)


def test_the_first_visit_anniversary_is_never_on_the_first_day() -> None:
    member, events = replay(only(MAP, "anniversary")), Events()
    first = events.visit(utc(2026, 3, 1, 0, 30))  # 08:30 in Shanghai, before 10:00
    member.handle(first)
    anniversary = timer(member, "anniversary")
    assert anniversary.due_at == utc(2027, 3, 1, 2)
    assert member.fire(anniversary).touchpoints[0].occasion == "2027-03-01"


def test_a_one_off_date_trigger_counts_from_the_date_itself() -> None:
    thirty_days = Trigger(
        "after_first_visit",
        OnDate("first_visit_at", offset=Wait.parse("P30D"), at=time(12, 0), yearly=False),
        touchpoint=to_member("how_was_it", "service"),
    )
    member, events = replay(replace(MAP, triggers=(thirty_days,))), Events()
    member.handle(events.visit(T0))
    due = timer(member, "after_first_visit")
    assert due.due_at == datetime(2026, 3, 31, 4, tzinfo=UTC)
    member.fire(due)
    assert member.timers == {}


def test_a_touchpoint_later_than_its_tolerance_is_skipped() -> None:
    member, events = replay(only(MAP, "birthday_greeting")), Events()
    member.handle(events.registered(utc(2026, 1, 10), birthday="1990-05-17"))
    due = timer(member, "birthday_greeting")
    decision = member.fire(due, now=due.due_at + 2 * DAY + timedelta(hours=5))
    assert decision.touchpoints == []
    [skipped] = decision.skipped
    assert skipped.reason == "late by 2 days (tolerance P1D)"
    assert skipped.occasion == "2026-05-17"
    # The next occurrence is armed all the same.
    assert timer(member, "birthday_greeting").due_at == utc(2027, 5, 17, 2)


def test_within_its_tolerance_a_late_touchpoint_still_goes() -> None:
    member, events = replay(only(MAP, "birthday_greeting")), Events()
    member.handle(events.registered(utc(2026, 1, 10), birthday="1990-05-17"))
    due = timer(member, "birthday_greeting")
    decision = member.fire(due, now=due.due_at + timedelta(hours=20))
    assert [tp.moment for tp in decision.touchpoints] == [due.due_at]


# ------------------------------------------------------------------ exit, replays


def test_an_exited_member_on_a_never_reentry_map_is_ignored() -> None:
    closing = replace(
        MAP,
        exit_when=when(
            "event != null && event.type == 'tier.changed' && event.to_tier == 'closed'",
            "exit_when",
        ),
        reentry="never",
    )
    member, events = replay(closing), Events()
    member.handle(events.registered(T0))
    member.handle(events.visit(T0 + DAY))
    decision = merged(
        member.handle(events.make("tier.changed", T0 + 2 * DAY, from_tier="", to_tier="closed"))
    )
    assert decision.exited
    assert decision.timeline[-1].kind == "exited"
    assert ("welcome_back", None, None) in decision.cancel and member.timers == {}
    assert member.position is not None and member.position.exited_at == T0 + 2 * DAY
    assert merged(member.handle(events.visit(T0 + 3 * DAY))) == Decision()


def test_an_always_reentry_map_takes_her_back_keeping_her_once_triggers() -> None:
    closing = replace(
        MAP,
        exit_when=when(
            "event != null && event.type == 'tier.changed' && event.to_tier == 'closed'",
            "exit_when",
        ),
    )
    member, events = replay(closing), Events()
    member.handle(events.registered(T0))
    member.handle(events.make("tier.changed", T0 + DAY, from_tier="", to_tier="closed"))
    decision = merged(member.handle(events.visit(T0 + 3 * DAY)))
    assert member.position is not None and member.position.exited_at is None
    assert decision.timeline[0].kind == "entered"
    assert "first_visit_voucher" not in templates(decision)


def test_touchpoint_ids_are_the_same_on_every_replay() -> None:
    def run() -> list[str]:
        member, events = replay(), Events()
        member.handle(events.registered(T0))
        member.handle(events.bound(T0))
        member.handle(events.visit(T0 + DAY))
        member.handle(events.mattress(T0 + 2 * DAY))
        member.fire_due(T0 + 400 * DAY)
        return [tp.touchpoint_id for d in member.decisions for tp in d.touchpoints]

    first = run()
    assert len(first) >= 6 and len(set(first)) == len(first)
    assert run() == first


def test_the_map_version_and_rule_are_on_every_timeline_line() -> None:
    member, events = replay(replace(MAP, version=7)), Events()
    member.handle(events.registered(T0))
    member.handle(events.visit(T0 + DAY))
    member.fire_due(T0 + 40 * DAY)
    assert member.timeline
    assert {(e.map_key, e.version) for e in member.timeline} == {("lifecycle", 7)}
    assert all(e.rule and e.reason for e in member.timeline)
    assert date(2026, 3, 1) <= member.timeline[-1].at.date()


def test_a_waiting_stage_entered_trigger_checks_her_stage_when_it_is_due() -> None:
    reminder = Trigger(
        "still_away",
        OnStageEntered("dormant"),
        when=when("facts.days_since_last_visit >= 37", "triggers[0].when"),
        wait=Wait.parse("P7D"),
        stages=("dormant",),
        touchpoint=to_member("we_miss_you"),
    )
    quiet = replace(MAP, triggers=(*only(MAP, "welcome_back").triggers, reminder))
    member, events = replay(quiet), Events()
    member.handle(events.registered(T0))
    member.handle(events.visit(T0))
    member.fire(timer(member, "welcome_back"))  # dormant at T0 + 30 days, no causing event
    slot = f"dormant@{(T0 + 30 * DAY).isoformat()}"
    waiting = timer(member, "still_away", slot)
    assert (waiting.due_at, waiting.payload["when_decided"]) == (T0 + 37 * DAY, "0")
    assert templates(member.fire(waiting)) == ["we_miss_you"]

    member.handle(events.visit(T0 + 60 * DAY))
    member.fire(timer(member, "welcome_back"))  # dormant again at T0 + 90 days
    again = timer(member, "still_away", f"dormant@{(T0 + 90 * DAY).isoformat()}")
    member.handle(events.visit(T0 + 92 * DAY))  # won back before the reminder
    assert member.fire(again).touchpoints == []
