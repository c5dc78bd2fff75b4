"""The lifecycle rules on their own: no I/O, time given explicitly."""

from datetime import UTC, datetime, timedelta

from journey.domain.journey import LifecycleRules, MemberJourney, title_for, touchpoint_id

RULES = LifecycleRules()
DAY = timedelta(days=1)
T0 = datetime(2026, 3, 1, 10, tzinfo=UTC)


def registered() -> MemberJourney:
    journey = MemberJourney(member_id="mbr_1", brand_id="brd_1")
    journey.register(
        store_id="sto_1", surname="梁", gender="female", preferred_channel="wechat", at=T0
    )
    return journey


def test_registration_makes_her_new() -> None:
    journey = registered()
    assert journey.stage == "new"
    assert [(c.from_stage, c.to_stage) for c in journey.take_changes()] == [(None, "new")]


def test_the_second_visit_makes_her_potential() -> None:
    journey = registered()
    journey.take_changes()

    journey.record_visit(T0 + DAY, "sto_1", RULES)
    assert journey.stage == "new"
    journey.record_visit(T0 + 5 * DAY, "sto_1", RULES)

    assert journey.stage == "potential"
    assert [c.reason for c in journey.take_changes()] == ["2nd visit"]


def test_a_visit_before_registration_starts_the_journey_and_registration_keeps_the_stage() -> None:
    journey = MemberJourney(member_id="mbr_1", brand_id="brd_1")
    journey.record_visit(T0, "sto_1", RULES)
    journey.record_visit(T0 + DAY, "sto_1", RULES)
    journey.register(
        store_id="sto_1", surname="梁", gender="female", preferred_channel="sms", at=T0 + 2 * DAY
    )

    assert journey.stage == "potential"
    assert journey.surname == "梁"
    assert [c.to_stage for c in journey.take_changes()] == ["new", "potential"]


def test_dormancy_is_due_thirty_days_after_the_latest_visit() -> None:
    journey = registered()
    journey.record_visit(T0 + 10 * DAY, "sto_1", RULES)
    journey.record_visit(T0 + 2 * DAY, "sto_1", RULES)  # arrives late, is older

    assert journey.last_visit_at == T0 + 10 * DAY
    assert journey.first_visit_at == T0 + 2 * DAY
    assert journey.dormancy_due(RULES) == T0 + 40 * DAY


def test_quiet_means_no_visit_since_the_timer_was_armed_and_the_period_has_passed() -> None:
    journey = registered()
    journey.record_visit(T0, "sto_1", RULES)

    assert not journey.is_quiet_since(T0, T0 + 29 * DAY, RULES)
    assert journey.is_quiet_since(T0, T0 + 30 * DAY, RULES)
    journey.record_visit(T0 + 29 * DAY, "sto_1", RULES)
    assert not journey.is_quiet_since(T0, T0 + 30 * DAY, RULES)


def test_a_visit_wins_a_dormant_member_back() -> None:
    journey = registered()
    journey.record_visit(T0, "sto_1", RULES)
    assert journey.go_dormant(T0 + 30 * DAY, RULES)
    assert not journey.go_dormant(T0 + 31 * DAY, RULES)

    journey.record_visit(T0 + 45 * DAY, "sto_1", RULES)

    assert journey.stage == "won_back"
    assert [c.to_stage for c in journey.take_changes()] == ["new", "dormant", "won_back"]


def test_the_dormancy_period_is_a_rule_parameter() -> None:
    weekly = LifecycleRules(dormant_after=timedelta(days=7))
    journey = registered()
    journey.record_visit(T0, "sto_1", weekly)
    assert journey.dormancy_due(weekly) == T0 + 7 * DAY
    assert journey.go_dormant(T0 + 7 * DAY, weekly)
    assert journey.take_changes()[-1].reason == "no visit for 7 days"


def test_titles_and_touchpoint_ids() -> None:
    assert title_for("female") == "女士"
    assert title_for("male") == "先生"
    assert title_for("unspecified") == ""
    assert touchpoint_id("m", "welcome_back", "t1") == touchpoint_id("m", "welcome_back", "t1")
    assert touchpoint_id("m", "welcome_back", "t1") != touchpoint_id("m", "welcome_back", "t2")
