"""Each trigger and stage rule of the default map, as a member's story through the engine.

The map is the real one (``default_map.yaml`` compiled with the notifier's default templates);
time moves only through her events' times and her timers (see ``default_map_story``), so a
six-month wait costs milliseconds. Each story says what she (or her staff) gets, when, and
what must not happen.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from journey.domain.facts import MemberEvent
from journey.domain.simulation import simulate
from journey.domain.touchpoints import touchpoint_id

from tests.unit.journey.default_map_story import LIFECYCLE, Story, StoryEvents, default_map
from tests.unit.journey.map_builders import utc

T0 = utc(2026, 3, 2, 2)  # 10:00 in Shanghai
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def bound_member(at: datetime = T0, **registration: str | None) -> Story:
    story = Story()
    story.happen(story.events.registered(at, **registration))
    story.happen(story.events.bound(at))
    return story


def tp_id(trigger: str, occasion: str, member_id: str = "mbr_1") -> str:
    return touchpoint_id(member_id, f"lifecycle/{trigger}", occasion)


# ----------------------------------------------------------------------------- new


def test_a_newly_registered_member_is_new_and_gets_the_first_visit_voucher() -> None:
    story = Story()
    story.happen(story.events.registered(T0))

    assert story.stage == "new"
    assert story.path() == [(None, "new")]
    [voucher] = story.sent()
    assert (voucher.template, voucher.to, voucher.moment) == ("first_visit_voucher", "member", T0)
    assert voucher.touchpoint_id == tp_id("first_visit_voucher", f"new@{T0.isoformat()}")

    # Her first visit within 30 days is the voucher's goal.
    visit = story.happen(story.events.visit(T0 + 5 * DAY))
    [reached] = story.goals_reached()
    assert (reached.goal.trigger, reached.event_id) == ("first_visit_voucher", visit.event_id)
    assert story.stage == "new"  # one visit of 120 yuan earns nothing more


def test_a_second_registration_sends_no_second_first_visit_voucher() -> None:
    story = Story()
    story.happen(story.events.registered(T0))
    later = story.mark()

    story.happen(story.events.registered(T0 + 3 * DAY))

    assert story.sent("first_visit_voucher", since=later) == []
    assert story.moves(since=later) == []
    assert story.stage == "new"


def test_the_first_visit_voucher_is_not_sent_again_when_she_re_enters_the_map() -> None:
    leaving = "event != null && event.type == 'tier.changed' && event.to_tier == 'left'"
    story = Story(default_map(exit={"when": leaving}, reentry="always"))
    story.happen(story.events.registered(T0))
    story.happen(story.events.make("tier.changed", T0 + DAY, from_tier="", to_tier="left"))
    assert story.replay.position is not None and story.replay.position.exited_at == T0 + DAY
    back = story.mark()

    story.happen(story.events.visit(T0 + 10 * DAY))

    assert story.path(since=back) == [(None, "new")]  # she entered again, on new
    assert story.sent("first_visit_voucher", since=back) == []
    assert len(story.sent("first_visit_voucher")) == 1


# ----------------------------------------------------------------------------- potential


def test_her_second_visit_makes_her_potential_and_offers_the_seasonal_package() -> None:
    story = Story()
    story.happen(story.events.registered(T0))
    story.happen(story.events.visit(T0 + DAY))
    assert story.stage == "new"
    assert story.sent("seasonal_package_offer") == []

    second = story.happen(story.events.visit(T0 + 10 * DAY))

    assert story.stage == "potential"
    assert story.path()[-1] == ("new", "potential")
    [offer] = story.sent("seasonal_package_offer")
    assert (offer.to, offer.moment) == ("member", second.at)
    # 240 yuan in a month is not high value.
    assert story.sent("dedicated_technician_task") == []

    story.happen(story.events.visit(T0 + 20 * DAY))
    assert len(story.sent("seasonal_package_offer")) == 1  # only on entering the stage


# ----------------------------------------------------------------------------- high value


def test_500_yuan_within_30_days_makes_her_high_value_and_tasks_her_bound_associate() -> None:
    story = bound_member()
    story.happen(story.events.visit(T0 + DAY, amount="300.00"))
    assert story.stage == "new"

    second = story.happen(story.events.visit(T0 + 20 * DAY, amount="200.00"))

    assert story.stage == "high_value"
    assert story.path()[-1] == ("new", "high_value")  # straight past potential
    [task] = story.sent("dedicated_technician_task")
    assert (task.to, task.moment) == ("associate", second.at)
    assert story.replay.facts.associate_id == "stf_1"  # the application sends it to her
    assert task.variables["due_date"] == "2026-03-25"  # three days later, Shanghai date
    assert story.sent("seasonal_package_offer") == []  # she never stood on potential


def test_a_high_value_member_without_a_bound_associate_has_her_task_skipped() -> None:
    story = Story()
    story.happen(story.events.registered(T0))

    story.happen(story.events.visit(T0 + DAY, amount="520.00"))

    assert story.stage == "high_value"
    assert story.sent("dedicated_technician_task") == []
    [skipped] = story.skipped("dedicated_technician")
    assert skipped.reason == "no bound associate"


def test_500_yuan_spread_over_more_than_30_days_is_not_high_value() -> None:
    story = bound_member()
    story.happen(story.events.visit(T0, amount="300.00"))
    story.happen(story.events.visit(T0 + 20 * DAY, amount="100.00"))

    story.happen(story.events.visit(T0 + 40 * DAY, amount="150.00"))  # 250 in 30 days

    assert story.stage == "potential"
    assert story.sent("dedicated_technician_task") == []
    assert story.skipped("dedicated_technician") == []


# ----------------------------------------------------------------------------- dormant


def test_thirty_days_without_a_visit_make_her_dormant_and_invite_her_back() -> None:
    story = Story()
    story.happen(story.events.registered(T0 - DAY))
    story.happen(story.events.visit(T0))

    story.until(T0 + 30 * DAY - timedelta(seconds=1))
    assert story.stage == "new"
    assert story.sent("welcome_back") == []

    story.until(T0 + 30 * DAY)
    assert story.stage == "dormant"
    [move] = story.moves()[-1:]
    assert (move.from_stage, move.to_stage, move.rule, move.at) == (
        "new",
        "dormant",
        "dormancy_check",
        T0 + 30 * DAY,
    )
    [invite] = story.sent("welcome_back")
    assert (invite.to, invite.moment) == ("member", T0 + 30 * DAY)
    assert invite.variables["offer"] == "回归礼券"
    assert story.replay.position is not None
    [goal] = [g for g in story.replay.position.open_goals if g.trigger == "welcome_back"]
    assert (goal.event, goal.deadline) == ("visit.completed", T0 + 60 * DAY)

    # One absence, one invitation: months more of nothing send no second one.
    story.until(T0 + 200 * DAY)
    assert len(story.sent("welcome_back")) == 1
    assert story.stage == "dormant"


def test_a_visit_within_30_days_of_the_invitation_wins_her_back_and_reaches_the_goal() -> None:
    story = Story()
    story.happen(story.events.registered(T0 - DAY))
    story.happen(story.events.visit(T0))
    story.until(T0 + 30 * DAY)
    [invite] = story.sent("welcome_back")
    comeback = story.mark()

    back = story.happen(story.events.visit(T0 + 45 * DAY))

    assert story.path(since=comeback) == [("dormant", "won_back")]
    assert story.moves(since=comeback)[0].at == back.at
    [reached] = story.goals_reached(since=comeback)
    assert (reached.goal.trigger, reached.goal.touchpoint_id) == (
        "welcome_back",
        invite.touchpoint_id,
    )
    assert reached.event_id == back.event_id

    # Her next event places her by her visits and spend again.
    story.happen(story.events.visit(T0 + 50 * DAY))
    assert story.stage == "potential"


def test_a_visit_after_the_goal_window_brings_her_back_without_the_goal() -> None:
    story = Story()
    story.happen(story.events.registered(T0 - DAY))
    story.happen(story.events.visit(T0))
    story.until(T0 + 30 * DAY)
    comeback = story.mark()

    story.happen(story.events.visit(T0 + 61 * DAY))

    assert story.path(since=comeback) == [("dormant", "won_back")]
    assert story.goals_reached(since=comeback) == []
    assert "goal_expired" in story.timeline_kinds("welcome_back", since=comeback)


def test_a_late_visit_from_before_her_dormancy_neither_wins_her_back_nor_invites_her_twice() -> (
    None
):
    # Journey was behind: her visit of day 20 is consumed only on day 31, after the dormancy
    # timer of her visit on day 0 already fired.
    story = Story()
    story.happen(story.events.registered(T0 - DAY))
    story.happen(story.events.visit(T0))
    story.until(T0 + 30 * DAY)
    assert story.stage == "dormant"
    caught_up = story.mark()

    late = story.arrive_late(story.events.visit(T0 + 20 * DAY), now=T0 + 31 * DAY)

    assert story.replay.facts.last_visit_at == late.at  # it counts for her facts
    assert story.moves(since=caught_up) == []
    assert story.stage == "dormant"
    assert story.goals_reached(since=caught_up) == []
    # Its own after-visit touchpoints are long past their moment: skipped, not sent late.
    assert story.sent("care_guide_24h", since=caught_up) == []
    [guide] = story.skipped("care_guide", since=caught_up)
    assert guide.reason == "late by 10 days (tolerance PT22H)"
    # It starts no new absence: no second welcome-back for the same one.
    story.until(T0 + 44 * DAY)
    assert len(story.sent("welcome_back")) == 1

    # A real return afterwards still wins her back; a new absence earns a new invitation.
    back = story.mark()
    story.happen(story.events.visit(T0 + 45 * DAY))
    assert story.path(since=back)[0] == ("dormant", "won_back")
    assert [g.goal.trigger for g in story.goals_reached(since=back)] == ["welcome_back"]
    story.until(T0 + 75 * DAY)
    assert story.moments("welcome_back") == [T0 + 30 * DAY, T0 + 75 * DAY]
    assert len({sent.touchpoint_id for sent in story.sent("welcome_back")}) == 2


# ----------------------------------------------------------------------------- churn risk


def test_two_ratings_below_80_in_a_row_alert_the_store_manager() -> None:
    story = Story()
    story.happen(story.events.registered(T0))
    story.happen(story.events.visit(T0 + DAY))
    story.happen(story.events.review(T0 + DAY + HOUR, 70))
    assert story.stage == "new"

    second = story.happen(story.events.review(T0 + 2 * DAY, 60))

    assert story.path()[-1] == ("new", "churn_risk")
    [alert] = story.sent("churn_risk_alert")
    assert (alert.to, alert.moment, alert.trigger) == ("store_manager", second.at, "churn_alert")
    assert alert.variables["due_date"] == "2026-03-05"  # within a day, Shanghai date
    assert LIFECYCLE.trigger("churn_alert").touchpoint.priority == "urgent"  # type: ignore[union-attr]

    # A third low rating while she is at risk raises no second alert.
    story.happen(story.events.review(T0 + 3 * DAY, 50))
    assert len(story.sent("churn_risk_alert")) == 1


def test_low_ratings_not_in_a_row_are_no_churn_risk() -> None:
    story = Story()
    story.happen(story.events.registered(T0))
    for n, satisfaction in enumerate((70, 85, 60), start=1):
        story.happen(story.events.review(T0 + n * DAY, satisfaction))

    assert story.stage == "new"
    assert story.sent("churn_risk_alert") == []


def test_four_cancellations_within_90_days_put_her_at_churn_risk() -> None:
    story = Story()
    story.happen(story.events.registered(T0))
    for day in (1, 25, 50):  # she keeps visiting, so she is never dormant
        story.happen(story.events.visit(T0 + day * DAY))
    for day in (5, 20, 40):
        story.happen(story.events.cancelled(T0 + day * DAY))
    story.until(T0 + 55 * DAY)
    assert story.stage == "potential"  # three are not more than three
    assert story.sent("churn_risk_alert") == []

    fourth = story.happen(story.events.cancelled(T0 + 60 * DAY))

    assert story.path()[-1] == ("potential", "churn_risk")
    [alert] = story.sent("churn_risk_alert")
    assert (alert.to, alert.moment) == ("store_manager", fourth.at)


def test_four_cancellations_spread_over_more_than_90_days_are_no_churn_risk() -> None:
    story = Story()
    story.happen(story.events.registered(T0))
    for day in range(0, 150, 25):
        story.happen(story.events.visit(T0 + day * DAY))
        if day % 50 == 0:
            story.happen(story.events.cancelled(T0 + day * DAY + HOUR))
    story.happen(story.events.cancelled(T0 + 140 * DAY))  # the 4th; 3 in the last 90 days

    assert story.replay.facts.cancellations and len(story.replay.facts.cancellations) == 4
    assert story.stage == "potential"
    assert story.sent("churn_risk_alert") == []


# ----------------------------------------------------------------------------- dates


def test_birthday_task_15_days_ahead_and_greeting_on_the_day_every_year() -> None:
    story = bound_member(utc(2026, 1, 10), birthday="1990-05-17")

    story.until(utc(2028, 12, 31))

    assert story.moments("birthday_task") == [
        utc(2026, 5, 2, 2),  # 10:00 in Shanghai, 15 days ahead
        utc(2027, 5, 2, 2),
        utc(2028, 5, 2, 2),
    ]
    first_task = story.sent("birthday_task")[0]
    assert first_task.to == "associate"
    assert first_task.variables["due_date"] == "2026-05-16"
    assert first_task.occasion == "2026-05-17"
    assert story.moments("birthday_greeting") == [
        utc(2026, 5, 17, 2),
        utc(2027, 5, 17, 2),
        utc(2028, 5, 17, 2),
    ]
    greetings = story.sent("birthday_greeting")
    assert {g.to for g in greetings} == {"member"}
    assert {g.variables["offer"] for g in greetings} == {"生日护理券"}
    assert len({g.touchpoint_id for g in greetings}) == 3


def test_a_29_february_birthday_is_kept_on_28_february_in_common_years() -> None:
    story = bound_member(utc(2026, 1, 10), birthday="1992-02-29")

    story.until(utc(2028, 12, 31))

    assert story.moments("birthday_greeting") == [
        utc(2026, 2, 28, 2),
        utc(2027, 2, 28, 2),
        utc(2028, 2, 29, 2),
    ]
    assert story.moments("birthday_task") == [
        utc(2026, 2, 13, 2),
        utc(2027, 2, 13, 2),
        utc(2028, 2, 14, 2),
    ]


def test_the_first_visit_anniversary_gift_comes_a_year_later_never_on_the_day() -> None:
    story = Story()
    story.happen(story.events.registered(utc(2026, 2, 20)))
    story.happen(story.events.visit(utc(2026, 3, 1, 0, 30)))  # 08:30 in Shanghai
    story.happen(story.events.visit(utc(2026, 6, 1, 3)))  # a later visit moves nothing

    story.until(utc(2028, 3, 2))

    assert story.moments("anniversary_gift") == [utc(2027, 3, 1, 2), utc(2028, 3, 1, 2)]
    assert {sent.to for sent in story.sent("anniversary_gift")} == {"member"}


def test_no_anniversary_gift_before_a_first_visit() -> None:
    story = Story()
    story.happen(story.events.registered(utc(2026, 2, 20)))

    story.until(utc(2028, 3, 2))

    assert story.sent("anniversary_gift") == []


# ----------------------------------------------------------------------------- after a service


def test_a_care_guide_two_hours_after_a_visit() -> None:
    story = Story()
    visit = story.happen(story.events.visit(T0))
    story.until(T0 + 2 * HOUR - timedelta(seconds=1))
    assert story.sent("care_guide_24h") == []

    story.until(T0 + 2 * HOUR)

    [guide] = story.sent("care_guide_24h")
    assert (guide.to, guide.moment, guide.occasion) == ("member", T0 + 2 * HOUR, visit.event_id)
    assert guide.touchpoint_id == tp_id("care_guide", visit.event_id)


def test_a_care_guide_for_a_visit_recorded_two_days_late_is_skipped_as_late() -> None:
    story = Story()

    story.arrive_late(story.events.visit(T0), now=T0 + 2 * DAY)

    assert story.sent("care_guide_24h") == []
    [skipped] = story.skipped("care_guide")
    assert (skipped.moment, skipped.reason) == (
        T0 + 2 * HOUR,
        "late by 1 day (tolerance PT22H)",
    )


def test_a_care_guide_for_a_visit_recorded_20_hours_late_still_goes_within_24_hours() -> None:
    story = Story()

    story.arrive_late(story.events.visit(T0), now=T0 + 20 * HOUR)

    assert story.moments("care_guide_24h") == [T0 + 2 * HOUR]
    assert story.skipped("care_guide") == []


def test_a_follow_up_call_task_two_days_after_a_visit() -> None:
    story = bound_member()
    story.happen(story.events.visit(T0 + HOUR))
    story.until(T0 + 2 * DAY)
    assert story.sent("follow_up_call_task") == []

    story.until(T0 + 3 * DAY)

    [call] = story.sent("follow_up_call_task")
    assert (call.to, call.moment) == ("associate", T0 + 2 * DAY + HOUR)
    assert call.variables["due_date"] == "2026-03-05"


def test_a_seasonal_care_reminder_a_week_after_a_visit() -> None:
    story = Story()
    story.happen(story.events.visit(T0))

    story.until(T0 + 30 * DAY)

    [reminder] = story.sent("seasonal_care_reminder")
    assert (reminder.to, reminder.moment) == ("member", T0 + 7 * DAY)


def test_a_nail_refill_reminder_three_months_after_a_gel_service() -> None:
    story = Story()
    story.happen(story.events.registered(utc(2026, 1, 10)))
    story.happen(story.events.visit(utc(2026, 1, 15, 4), service_code="gel-manicure"))
    story.until(utc(2026, 4, 15, 3))
    assert story.sent("nail_refill_reminder") == []

    story.until(utc(2026, 4, 16))

    [refill] = story.sent("nail_refill_reminder")
    assert (refill.to, refill.moment) == ("member", utc(2026, 4, 15, 4))
    mark = story.mark()
    booked = story.happen(story.events.booked(utc(2026, 4, 20), service_code="gel-refill"))
    [reached] = story.goals_reached(since=mark)
    assert (reached.goal.trigger, reached.event_id) == ("nail_refill", booked.event_id)


def test_a_later_nail_visit_calls_off_the_waiting_refill_and_arms_its_own() -> None:
    story = Story()
    story.happen(story.events.visit(utc(2026, 1, 15, 4), service_code="gel-manicure"))
    story.happen(story.events.visit(utc(2026, 2, 10, 4), service_code="nail-art"))

    story.until(utc(2026, 12, 31))

    assert story.moments("nail_refill_reminder") == [utc(2026, 5, 10, 4)]


def test_no_nail_refill_after_a_facial_and_a_facial_calls_off_a_waiting_one() -> None:
    facial_only = Story()
    facial_only.happen(facial_only.events.visit(utc(2026, 1, 15, 4), service_code="facial"))
    facial_only.until(utc(2026, 12, 31))
    assert facial_only.sent("nail_refill_reminder") == []

    # "Another visit in between makes the reminder moot" (the map's own rule).
    gel_then_facial = Story()
    gel_then_facial.happen(gel_then_facial.events.visit(utc(2026, 1, 15, 4), service_code="gel"))
    gel_then_facial.happen(gel_then_facial.events.visit(utc(2026, 2, 1, 4), service_code="facial"))
    gel_then_facial.until(utc(2026, 12, 31))
    assert gel_then_facial.sent("nail_refill_reminder") == []


def test_a_review_invitation_the_day_after_a_visit_whose_goal_is_a_review() -> None:
    story = Story()
    visit = story.happen(story.events.visit(T0))
    story.until(T0 + DAY)
    [invitation] = story.sent("review_invitation")
    assert (invitation.to, invitation.moment) == ("member", T0 + DAY)

    review = story.happen(story.events.review(T0 + 3 * DAY, 95))

    [reached] = [r for r in story.goals_reached() if r.goal.trigger == "review_invitation"]
    assert reached.event_id == review.event_id
    assert reached.goal.touchpoint_id == tp_id("review_invitation", visit.event_id)


def test_a_review_more_than_a_week_after_the_invitation_misses_its_goal() -> None:
    story = Story()
    story.happen(story.events.visit(T0))
    story.until(T0 + DAY)

    story.happen(story.events.review(T0 + 9 * DAY, 95))

    assert [r for r in story.goals_reached() if r.goal.trigger == "review_invitation"] == []


# ----------------------------------------------------------------------------- mattresses


def test_a_mattress_bought_on_31_august_is_due_for_deep_cleaning_on_28_february() -> None:
    story = bound_member(utc(2026, 8, 1))
    story.happen(story.events.purchase(utc(2026, 8, 31, 6), "3999.00", "pillow", "mattress"))
    story.until(utc(2027, 2, 28, 5))
    assert story.sent("deep_cleaning_due_task") == []

    story.until(utc(2027, 3, 31))

    [task] = story.sent("deep_cleaning_due_task")
    assert (task.to, task.moment, task.trigger) == (
        "associate",
        utc(2027, 2, 28, 6),
        "deep_cleaning_due",
    )
    assert task.variables["due_date"] == "2027-03-14"  # 14 days to do it
    spec = LIFECYCLE.trigger("deep_cleaning_due").touchpoint  # type: ignore[union-attr]
    assert spec is not None and spec.priority == "high" and spec.suggestion is not None
    assert (spec.suggestion.template, spec.suggestion.variables) == (
        "deep_cleaning_voucher",
        {"offer": "除螨服务券"},
    )


def test_a_mattress_bought_on_31_august_before_a_leap_year_is_due_on_29_february() -> None:
    story = bound_member(utc(2027, 8, 1))
    story.happen(story.events.purchase(utc(2027, 8, 31, 6), "3999.00", "mattress"))

    story.until(utc(2028, 3, 31))

    assert story.moments("deep_cleaning_due_task") == [utc(2028, 2, 29, 6)]


def test_a_mattress_bought_early_on_31_august_in_shanghai_is_due_on_28_february_there() -> None:
    # 07:30 on 31 August in Shanghai is still 30 August in UTC.
    story = bound_member(utc(2026, 8, 1))
    story.happen(story.events.purchase(utc(2026, 8, 30, 23, 30), "3999.00", "mattress"))

    story.until(utc(2027, 3, 31))

    assert story.moments("deep_cleaning_due_task") == [utc(2027, 2, 27, 23, 30)]


def test_no_deep_cleaning_task_for_a_purchase_without_a_mattress() -> None:
    story = bound_member(utc(2026, 8, 1))
    story.happen(story.events.purchase(utc(2026, 8, 31, 6), "199.00", "pillow"))

    story.until(utc(2027, 12, 31))

    assert story.sent("deep_cleaning_due_task") == []


def test_a_mattress_buyer_with_no_bound_associate_has_her_deep_cleaning_task_skipped() -> None:
    story = Story()
    story.happen(story.events.registered(utc(2026, 8, 1)))
    story.happen(story.events.purchase(utc(2026, 8, 31, 6), "3999.00", "mattress"))

    story.until(utc(2027, 3, 31))

    assert story.sent("deep_cleaning_due_task") == []
    [skipped] = story.skipped("deep_cleaning_due")
    assert (skipped.moment, skipped.reason) == (utc(2027, 2, 28, 6), "no bound associate")


def deep_cleaning_reminded() -> tuple[Story, datetime]:
    story = bound_member(utc(2026, 8, 1))
    story.happen(story.events.purchase(utc(2026, 8, 31, 6), "3999.00", "mattress"))
    story.until(utc(2027, 2, 28, 6))
    [task] = story.sent("deep_cleaning_due_task")
    return story, task.moment


def deep_cleaning_goals(story: Story, since: int = 0) -> list[str]:
    return [
        reached.event_id
        for reached in story.goals_reached(since=since)
        if reached.goal.trigger == "deep_cleaning_due"
    ]


def test_a_deep_cleaning_booking_within_14_days_of_the_task_reaches_its_goal() -> None:
    story, reminded = deep_cleaning_reminded()
    mark = story.mark()

    other = story.happen(story.events.booked(reminded + 2 * DAY, service_code="facial"))
    assert deep_cleaning_goals(story, mark) == []
    booking = story.events.booked(reminded + 13 * DAY, service_code="mattress-deep-cleaning")
    story.happen(booking)

    assert deep_cleaning_goals(story, mark) == [booking.event_id]
    assert other.event_id not in deep_cleaning_goals(story)


def test_a_deep_cleaning_booking_after_14_days_misses_the_goal() -> None:
    story, reminded = deep_cleaning_reminded()
    mark = story.mark()

    story.happen(story.events.booked(reminded + 15 * DAY, service_code="mattress-deep-cleaning"))

    assert deep_cleaning_goals(story, mark) == []
    assert "goal_expired" in story.timeline_kinds("deep_cleaning_due", since=mark)


def test_a_deep_cleaning_visit_arms_the_next_one_six_months_later() -> None:
    story = bound_member(utc(2026, 3, 1))
    story.happen(story.events.visit(utc(2026, 3, 10, 6), service_code="mattress-deep-cleaning"))
    story.happen(story.events.visit(utc(2026, 4, 1, 6), service_code="facial"))
    story.until(utc(2026, 9, 15))
    story.happen(story.events.visit(utc(2026, 9, 20, 6), service_code="mattress-deep-cleaning"))

    story.until(utc(2027, 6, 30))

    assert story.moments("deep_cleaning_due_task") == [utc(2026, 9, 10, 6), utc(2027, 3, 20, 6)]
    assert {sent.trigger for sent in story.sent("deep_cleaning_due_task")} == {
        "deep_cleaning_repeat"
    }
    assert {sent.to for sent in story.sent("deep_cleaning_due_task")} == {"associate"}


# ----------------------------------------------------------------------------- a year, dry run

YEAR_START = utc(2026, 1, 5, 2)
YEAR_END = utc(2027, 2, 28)
SERVICES = ("facial", "gel-manicure", "nail-art", "massage", "mattress-deep-cleaning")


def scripted_members() -> dict[str, list[MemberEvent]]:
    """Members whose years between them touch every trigger of the default map."""
    histories: dict[str, list[MemberEvent]] = {}

    def member(member_id: str, birthday: str, *, bound: bool = True) -> StoryEvents:
        events = StoryEvents(member_id)
        history = histories.setdefault(member_id, [])
        history.append(events.registered(YEAR_START, birthday=birthday))
        if bound:
            history.append(events.bound(YEAR_START + HOUR))
        return events

    buyer = member("mbr_mattress", "1988-07-20")
    histories["mbr_mattress"] += [
        buyer.purchase(utc(2026, 1, 20, 6), "3999.00", "mattress"),
        buyer.visit(utc(2026, 2, 3, 6), service_code="mattress-deep-cleaning"),
        buyer.booked(utc(2026, 7, 25, 6), service_code="mattress-deep-cleaning"),
        buyer.visit(utc(2026, 8, 1, 6), service_code="mattress-deep-cleaning"),
    ]
    nails = member("mbr_nails", "1995-11-02")
    histories["mbr_nails"] += [
        nails.visit(utc(2026, 1, 10, 4), "380.00", "gel-manicure"),
        nails.visit(utc(2026, 1, 28, 4), "260.00", "nail-art"),
        nails.booked(utc(2026, 5, 2, 4), service_code="gel-refill"),
        nails.review(utc(2026, 1, 29, 4), 96),
    ]
    returning = member("mbr_returning", "1979-03-08", bound=False)
    histories["mbr_returning"] += [
        returning.visit(utc(2026, 2, 1, 6)),
        returning.visit(utc(2026, 3, 20, 6)),
    ]
    unhappy = member("mbr_unhappy", "2000-12-24")
    histories["mbr_unhappy"] += [
        unhappy.visit(utc(2026, 4, 1, 6)),
        unhappy.review(utc(2026, 4, 2, 6), 60),
        unhappy.visit(utc(2026, 4, 20, 6)),
        unhappy.review(utc(2026, 4, 21, 6), 70),
        *(unhappy.cancelled(utc(2026, 5, day, 6)) for day in (1, 5, 9, 13)),
    ]
    member("mbr_leap", "1992-02-29")
    return histories


def random_members(count: int) -> dict[str, list[MemberEvent]]:
    rng = random.Random(2026)
    histories: dict[str, list[MemberEvent]] = {}
    for n in range(count):
        events = StoryEvents(f"mbr_random_{n}")
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        joined = YEAR_START + rng.randint(0, 60) * DAY
        history = [events.registered(joined, birthday=f"1990-{month:02d}-{day:02d}")]
        if rng.random() < 0.7:
            history.append(events.bound(joined + HOUR))
        for _ in range(rng.randint(0, 10)):
            at = joined + rng.randint(0, 330) * DAY + rng.randint(0, 23) * HOUR
            amount = f"{rng.randint(80, 400)}.00"
            history.append(events.visit(at, amount, rng.choice(SERVICES)))
            if rng.random() < 0.5:
                history.append(events.review(at + rng.randint(2, 200) * HOUR, rng.randint(50, 100)))
            if rng.random() < 0.2:
                history.append(events.cancelled(at + rng.randint(1, 20) * DAY))
            if rng.random() < 0.2:
                history.append(events.booked(at + rng.randint(1, 120) * DAY, rng.choice(SERVICES)))
        if rng.random() < 0.3:
            bought = joined + rng.randint(0, 200) * DAY
            history.append(events.purchase(bought, "2999.00", "mattress"))
        histories[events.member_id] = history
    return histories


def test_a_year_of_a_small_population_decides_the_same_whatever_the_arrival_order() -> None:
    histories = {**scripted_members(), **random_members(12)}
    events = [event for history in histories.values() for event in history]
    shuffled = list(events)
    random.Random(7).shuffle(shuffled)
    assert shuffled != events

    in_order = simulate(LIFECYCLE, events, until=YEAR_END)
    any_order = simulate(LIFECYCLE, shuffled, until=YEAR_END)

    assert any_order.figures() == in_order.figures()
    ids = in_order.touchpoint_ids
    assert len(ids) == len(set(ids))  # no touchpoint id twice
    # Every touchpoint the default map has was exercised by somebody.
    assert set(in_order.touchpoints_by_trigger) == {
        trigger.key for trigger in LIFECYCLE.triggers if trigger.touchpoint is not None
    }
    assert in_order.goals_reached.keys() >= {
        "first_visit_voucher",
        "welcome_back",
        "nail_refill",
        "review_invitation",
        "deep_cleaning_due",
    }
    # And it is what each member's story decided, event by event, as it happened.
    lived: list[str] = []
    for member_id, history in sorted(histories.items()):
        story = Story(member_id=member_id)
        for event in sorted(history, key=lambda e: (e.at, e.event_id)):
            story.happen(event)
        story.until(YEAR_END)
        lived += [sent.touchpoint_id for sent in story.sent()]
    assert lived == ids
