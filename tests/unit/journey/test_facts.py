"""A member's facts folded from her events: event time, not arrival order; bounded; JSON."""

import json
from datetime import UTC, date, datetime, timedelta

from journey.domain.facts import KEPT_FOR, RATINGS_KEPT, MemberEvent, MemberFacts
from journey.domain.maps.model import FACT_KINDS, Fact

T0 = datetime(2026, 3, 1, 10, tzinfo=UTC)
DAY = timedelta(days=1)


def event(kind: str, at: datetime, number: int = 0, **data: object) -> MemberEvent:
    return MemberEvent(f"evt_{kind}_{at:%Y%m%d%H%M}_{number}", "mbr_1", "brd_1", kind, at, data)


def visit(at: datetime, amount: str = "268.00") -> MemberEvent:
    return event("visit.completed", at, visit_id=f"vst_{at:%j}", store_id="sto_2", amount=amount)


def fact(name: str, **parameters: str) -> Fact:
    return Fact(FACT_KINDS[name], parameters)


def value(facts: MemberFacts, name: str, now: datetime, **parameters: str) -> object:
    return facts.context({name: fact(name, **parameters)}, now)[name]


def folded(*events: MemberEvent) -> MemberFacts:
    facts = MemberFacts("mbr_1", "brd_1")
    for one in events:
        facts.apply(one)
    return facts


def test_visits_follow_event_time_not_arrival_order() -> None:
    facts = folded(visit(T0 + 10 * DAY, "100.00"), visit(T0, "50.50"), visit(T0 + 5 * DAY))
    assert facts.first_visit_at == T0
    assert facts.last_visit_at == T0 + 10 * DAY
    now = T0 + 12 * DAY
    assert value(facts, "visit_count", now) == 3
    assert value(facts, "total_spent", now) == 418.5
    assert value(facts, "spend_per_visit", now) == 139.5
    assert value(facts, "days_since_last_visit", now) == 2
    assert value(facts, "last_visit_at", now) == T0 + 10 * DAY


def test_days_since_counts_from_registration_before_any_visit() -> None:
    facts = folded(event("member.registered", T0, surname="梁", registered_at=T0.isoformat()))
    assert value(facts, "days_since_last_visit", T0 + 40 * DAY + timedelta(hours=3)) == 40
    assert value(facts, "spend_per_visit", T0) == 0.0
    assert value(MemberFacts("m", "b"), "days_since_last_visit", T0) is None


def test_recent_spend_counts_visits_and_purchases_within_the_window() -> None:
    facts = folded(
        visit(T0, "100.00"),
        event("purchase.recorded", T0 + 50 * DAY, amount="580.00", items=[]),
        visit(T0 + 100 * DAY, "20.00"),
    )
    now = T0 + 120 * DAY
    assert value(facts, "recent_spend", now) == 600.0
    assert value(facts, "recent_spend", now, window="P30D") == 20.0
    assert value(facts, "total_spent", now) == 700.0


def test_ratings_are_ordered_by_event_time_and_low_ones_counted_in_a_row() -> None:
    facts = folded(
        event("review.submitted", T0 + 2 * DAY, satisfaction=70),
        event("review.submitted", T0, satisfaction=90),
        event("review.submitted", T0 + 1 * DAY, satisfaction=60),
    )
    assert value(facts, "ratings", T0 + 3 * DAY) == [90, 60, 70]
    assert value(facts, "ratings", T0 + 3 * DAY, last="2") == [60, 70]
    assert value(facts, "low_ratings_in_a_row", T0 + 3 * DAY) == 2
    assert value(facts, "low_ratings_in_a_row", T0 + 3 * DAY, below="65") == 0


def test_only_the_latest_ratings_are_kept() -> None:
    facts = folded(*(event("review.submitted", T0 + n * DAY, satisfaction=n) for n in range(30)))
    assert len(facts.ratings) == RATINGS_KEPT
    assert value(facts, "ratings", T0 + 40 * DAY, last="3") == [27, 28, 29]


def test_cancellations_and_missed_appointments_within_the_window() -> None:
    facts = folded(
        *(event("appointment.cancelled", T0 + n * 20 * DAY, n) for n in range(5)),
        event("appointment.missed", T0 + 85 * DAY),
    )
    now = T0 + 95 * DAY
    assert value(facts, "cancellations", now) == 4  # days 20..80; day 0 is 95 days back
    assert value(facts, "cancellations", now, window="P30D") == 1
    assert value(facts, "missed_appointments", now) == 1


def test_old_instants_are_forgotten_but_totals_stay_exact() -> None:
    facts = folded(visit(T0), visit(T0 + KEPT_FOR + 2 * DAY))
    assert len(facts.spending) == 1
    assert value(facts, "visit_count", T0 + 500 * DAY) == 2
    assert value(facts, "total_spent", T0 + 500 * DAY) == 536.0


def test_profile_tier_tags_referrals_products() -> None:
    facts = folded(
        event(
            "member.registered",
            T0,
            store_id="sto_1",
            surname="梁",
            gender="female",
            preferred_channel="wechat",
            birthday="1992-02-29",
            registered_at=T0.isoformat(),
            tags=["vip"],
        ),
        event("member.bound", T0 + 2 * DAY, associate_id="stf_2", store_id="sto_1"),
        event("member.bound", T0 + DAY, associate_id="stf_1", store_id="sto_1"),
        event("tier.changed", T0 + 5 * DAY, from_tier="member", to_tier="silver"),
        event("tier.changed", T0 + 3 * DAY, from_tier="", to_tier="member"),
        event("referral.made", T0 + 4 * DAY, newcomer_id="mbr_9"),
        event(
            "purchase.recorded",
            T0 + 6 * DAY,
            amount="3999.00",
            items=[{"product_code": "MAT-1", "category": "mattress"}],
        ),
    )
    now = T0 + 7 * DAY
    assert facts.surname == "梁"
    assert facts.title == "女士"
    assert facts.birthday == date(1992, 2, 29)
    assert value(facts, "birthday", now) == datetime(1992, 2, 29, tzinfo=UTC)
    assert value(facts, "associate_id", now) == "stf_2"  # latest binding by event time
    assert value(facts, "store_id", now) == "sto_1"
    assert value(facts, "preferred_channel", now) == "wechat"
    assert value(facts, "gender", now) == "female"
    assert value(facts, "tier", now) == "silver"
    assert value(facts, "tags", now) == ["vip"]
    assert value(facts, "referrals", now) == 1
    assert value(facts, "registered_at", now) == T0
    assert value(facts, "products", now) == [
        {"code": "MAT-1", "category": "mattress", "at": T0 + 6 * DAY}
    ]
    assert facts.latest_activity(["member.bound", "tier.changed"]) == T0 + 5 * DAY
    assert facts.latest_activity(["visit.completed"]) is None


def test_snapshot_round_trips_through_json() -> None:
    facts = folded(
        event("member.registered", T0, surname="陈", gender="male", birthday="1990-05-17"),
        visit(T0 + DAY),
        event("review.submitted", T0 + DAY, satisfaction=75),
        event("appointment.cancelled", T0 + 2 * DAY),
        event("purchase.recorded", T0 + 3 * DAY, amount="10.00", items=[{"product_code": "X"}]),
        event("member.bound", T0, associate_id="stf_1", store_id="sto_1"),
    )
    restored = MemberFacts.restore(json.loads(json.dumps(facts.snapshot())))
    assert restored == facts
    declared = {name: fact(name) for name in FACT_KINDS}
    assert restored.context(declared, T0 + 9 * DAY) == facts.context(declared, T0 + 9 * DAY)
