"""The lifecycle rules on their own: no I/O, time given explicitly."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from journey.domain.journey import MemberJourney, Visit
from journey.domain.rules import (
    DORMANCY_AFTER,
    NOTHING,
    Dormancy,
    Reaction,
    Rule,
    Rulebook,
    standard_rulebook,
)
from journey.domain.timers import Timer, timer_id
from journey.domain.touchpoints import title_for, touchpoint_id

RULES = standard_rulebook()
DAY = timedelta(days=1)
T0 = datetime(2026, 3, 1, 10, tzinfo=UTC)


def blank() -> MemberJourney:
    return MemberJourney(member_id="mbr_1", brand_id="brd_1")


def register(journey: MemberJourney, at: datetime = T0) -> Reaction:
    journey.register(
        store_id="sto_1",
        surname="梁",
        gender="female",
        preferred_channel="wechat",
        birthday=None,
        at=at,
    )
    return RULES.on_registered(journey, at)


def visit(journey: MemberJourney, at: datetime, rules: Rulebook = RULES) -> Reaction:
    v = Visit(
        visit_id=f"vst_{at:%j%H}",
        store_id="sto_2",
        service_code="gel-manicure",
        amount=Decimal("268.00"),
        at=at,
    )
    journey.record_visit(v)
    return rules.on_visit(journey, v)


def dormancy_timer(armed_for: datetime, after: timedelta = DORMANCY_AFTER) -> Timer:
    return Timer(
        timer_id="tmr_1",
        member_id="mbr_1",
        brand_id="brd_1",
        kind="dormancy",
        due_at=armed_for + after,
        armed_for=armed_for,
    )


def stage(journey: MemberJourney) -> str | None:
    """Read through a call, since the rules change the stage behind the type checker's back."""
    return journey.stage


def registered() -> MemberJourney:
    journey = blank()
    register(journey)
    journey.take_changes()
    return journey


def test_registration_makes_her_new() -> None:
    journey = blank()
    assert register(journey) == NOTHING
    assert journey.stage == "new"
    [change] = journey.take_changes()
    assert (change.from_stage, change.to_stage, change.reason) == (None, "new", "registered")


def test_the_second_visit_makes_a_new_member_potential() -> None:
    journey = registered()

    visit(journey, T0 + DAY)
    assert stage(journey) == "new"
    visit(journey, T0 + 5 * DAY)

    assert stage(journey) == "potential"
    [change] = journey.take_changes()
    assert (change.from_stage, change.reason, change.at) == ("new", "second visit", T0 + 5 * DAY)
    assert journey.total_spent == Decimal("536.00")


def test_a_visit_before_the_registration_starts_her_and_the_registration_keeps_the_stage() -> None:
    journey = blank()
    visit(journey, T0)
    visit(journey, T0 + DAY)
    register(journey, at=T0 + 2 * DAY)

    assert journey.stage == "potential"
    assert (journey.surname, journey.preferred_channel, journey.store_id) == (
        "梁",
        "wechat",
        "sto_1",
    )
    assert [(c.to_stage, c.reason) for c in journey.take_changes()] == [
        ("new", "first visit"),
        ("potential", "second visit"),
    ]


def test_a_visit_arms_dormancy_thirty_days_after_the_latest_visit() -> None:
    journey = registered()

    [timer] = visit(journey, T0 + 10 * DAY).timers
    late_and_older = visit(journey, T0 + 2 * DAY)

    assert (timer.kind, timer.slot) == ("dormancy", "")
    assert timer.due_at == T0 + 40 * DAY
    assert timer.armed_for == T0 + 10 * DAY
    assert late_and_older.timers == ()
    assert (journey.first_visit_at, journey.last_visit_at) == (T0 + 2 * DAY, T0 + 10 * DAY)


def test_a_quiet_month_makes_her_dormant_with_a_welcome_back_voucher() -> None:
    journey = registered()
    visit(journey, T0)
    journey.take_changes()

    reaction = RULES.on_timer(journey, dormancy_timer(T0), T0 + 30 * DAY)

    assert journey.stage == "dormant"
    [change] = journey.take_changes()
    assert (change.from_stage, change.reason) == ("new", "no visit for 30 days")
    [touchpoint] = reaction.touchpoints
    assert touchpoint.template == "welcome_back"
    assert (touchpoint.audience, touchpoint.recipient_id) == ("member", "mbr_1")
    assert touchpoint.channel == "wechat"
    assert touchpoint.marketing is True
    assert touchpoint.variables == {"surname": "梁", "title": "女士", "offer": "回归礼券"}
    assert touchpoint.touchpoint_id == touchpoint_id("mbr_1", "dormancy", "tmr_1")


def test_a_timer_overtaken_by_a_later_visit_does_nothing() -> None:
    journey = registered()
    visit(journey, T0)
    visit(journey, T0 + 29 * DAY)
    journey.take_changes()

    reaction = RULES.on_timer(journey, dormancy_timer(T0), T0 + 30 * DAY)

    assert reaction == NOTHING
    assert journey.stage == "potential"
    assert journey.take_changes() == []


def test_a_dormant_member_is_not_made_dormant_twice() -> None:
    journey = registered()
    visit(journey, T0)
    RULES.on_timer(journey, dormancy_timer(T0), T0 + 30 * DAY)
    journey.take_changes()

    assert RULES.on_timer(journey, dormancy_timer(T0), T0 + 31 * DAY) == NOTHING
    assert journey.take_changes() == []


def test_a_timer_armed_under_a_shorter_period_waits_for_the_current_one() -> None:
    journey = registered()
    visit(journey, T0)
    longer = Rulebook(Dormancy(after=45 * DAY))

    reaction = longer.on_timer(journey, dormancy_timer(T0), T0 + 30 * DAY)

    assert journey.stage == "new"
    [again] = reaction.timers
    assert again.due_at == T0 + 45 * DAY
    assert reaction.touchpoints == ()


def test_a_visit_wins_a_dormant_member_back_but_a_late_old_visit_does_not() -> None:
    journey = registered()
    visit(journey, T0 + 10 * DAY)
    RULES.on_timer(journey, dormancy_timer(T0 + 10 * DAY), T0 + 40 * DAY)
    journey.take_changes()

    visit(journey, T0 + 5 * DAY)  # recorded late, from before she went quiet
    assert stage(journey) == "dormant"
    [timer] = visit(journey, T0 + 50 * DAY).timers

    assert stage(journey) == "won_back"
    [change] = journey.take_changes()
    assert (change.from_stage, change.reason) == ("dormant", "visit after dormancy")
    assert timer.due_at == T0 + 80 * DAY


def test_the_dormancy_period_is_a_parameter_of_the_rule() -> None:
    weekly = standard_rulebook(dormant_after=timedelta(days=7))
    journey = registered()
    [timer] = visit(journey, T0, weekly).timers
    assert timer.due_at == T0 + 7 * DAY

    weekly.on_timer(journey, dormancy_timer(T0, timedelta(days=7)), T0 + 7 * DAY)

    assert journey.stage == "dormant"
    assert journey.take_changes()[-1].reason == "no visit for 7 days"


def test_a_timer_kind_belongs_to_one_rule() -> None:
    with pytest.raises(ValueError, match="'dormancy' is claimed by both"):
        Rulebook(Dormancy(), Dormancy(after=DAY))

    class Unrelated(Rule):
        name = "unrelated"

    book = Rulebook(Unrelated())
    journey = registered()
    assert book.timer_kinds == frozenset()
    assert book.on_timer(journey, dormancy_timer(T0), T0 + 30 * DAY) == NOTHING
    assert journey.stage == "new"


def test_titles_and_deterministic_ids() -> None:
    titles = [title_for(gender) for gender in ("female", "male", "unspecified")]
    assert titles == ["女士", "先生", ""]
    assert touchpoint_id("m", "dormancy", "t1") == touchpoint_id("m", "dormancy", "t1")
    assert touchpoint_id("m", "dormancy", "t1") != touchpoint_id("m", "dormancy", "t2")
    assert timer_id("m", "dormancy", "", "evt_1") == timer_id("m", "dormancy", "", "evt_1")
    assert timer_id("m", "dormancy", "", "evt_1") != timer_id("m", "dormancy", "", "evt_2")
