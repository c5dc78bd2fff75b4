"""The default map: what a new brand runs with no configuration, checked against the brief."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from journey.domain.maps.cel import holds
from journey.domain.maps.compiler import compile_map
from journey.domain.maps.defaults import (
    DEFAULT_TEMPLATES,
    default_map_document,
    default_map_text,
)
from journey.domain.maps.errors import InvalidMap
from journey.domain.maps.model import (
    CompiledMap,
    Condition,
    OnDate,
    OnEvent,
    OnInactivity,
    OnStageEntered,
    Trigger,
)

NOW = datetime(2026, 3, 1, 10, tzinfo=UTC)

EXPECTED_TEMPLATES = {
    "welcome_back": False,
    "care_guide_24h": False,
    "birthday_greeting": False,
    "first_visit_voucher": False,
    "seasonal_package_offer": False,
    "seasonal_care_reminder": False,
    "nail_refill_reminder": False,
    "anniversary_gift": False,
    "deep_cleaning_voucher": False,
    "review_invitation": False,
    "churn_risk_alert": True,
    "birthday_task": True,
    "follow_up_call_task": True,
    "deep_cleaning_due_task": True,
    "dedicated_technician_task": True,
}


@pytest.fixture(scope="module")
def lifecycle() -> CompiledMap:
    return compile_map(
        default_map_document(), brand_id="brd_1", version=1, templates=EXPECTED_TEMPLATES
    )


def trigger(lifecycle: CompiledMap, key: str) -> Trigger:
    found = lifecycle.trigger(key)
    assert found is not None, f"the default map has no trigger {key}"
    return found


def context(**facts: Any) -> dict[str, Any]:
    return {"facts": facts, "event": None, "stage": None, "now": NOW}


def check(condition: Condition | None, variables: dict[str, Any]) -> bool | str:
    assert condition is not None
    return holds(condition, variables)


# ----------------------------------------------------------------------------- it compiles


def test_the_default_templates_are_the_notifiers_set() -> None:
    assert dict(DEFAULT_TEMPLATES) == EXPECTED_TEMPLATES


def test_the_default_map_uses_exactly_the_default_templates(lifecycle: CompiledMap) -> None:
    used: set[str] = set()
    for each in lifecycle.triggers:
        if each.touchpoint is not None:
            used.add(each.touchpoint.template)
            if each.touchpoint.suggestion is not None:
                used.add(each.touchpoint.suggestion.template)

    assert used == set(EXPECTED_TEMPLATES)


@pytest.mark.parametrize("missing", sorted(EXPECTED_TEMPLATES))
def test_without_any_one_template_the_default_map_is_refused(missing: str) -> None:
    templates = {key: task for key, task in EXPECTED_TEMPLATES.items() if key != missing}

    with pytest.raises(InvalidMap) as refused:
        compile_map(default_map_document(), brand_id="brd_1", version=1, templates=templates)

    assert refused.value.errors
    assert all(f"no template {missing!r}" in error.message for error in refused.value.errors)


def test_the_map_is_the_lifecycle_in_shanghai_time(lifecycle: CompiledMap) -> None:
    assert (lifecycle.key, lifecycle.title) == ("lifecycle", "会员生命周期")
    assert lifecycle.timezone == "Asia/Shanghai"
    assert lifecycle.initial_stage == "new"
    assert lifecycle.reentry == "always" and lifecycle.exit_when is None


def test_every_trigger_in_the_yaml_says_why_it_is_there() -> None:
    lines = default_map_text().splitlines()
    keys = [n for n, line in enumerate(lines) if line.startswith("  - key: ")]

    assert len(keys) == 6 + 16
    for n in keys:
        assert lines[n - 1].lstrip().startswith("#"), f"no comment above {lines[n]!r}"


# ----------------------------------------------------------------------------- stages


def test_the_stages_and_their_priorities(lifecycle: CompiledMap) -> None:
    assert [(stage.key, stage.priority) for stage in lifecycle.stages] == [
        ("dormant", 60),
        ("churn_risk", 50),
        ("won_back", 40),
        ("high_value", 30),
        ("potential", 20),
        ("new", 10),
    ]
    new = lifecycle.stage("new")
    assert new is not None and new.entry is None


def entry(lifecycle: CompiledMap, key: str) -> Condition | None:
    stage = lifecycle.stage(key)
    assert stage is not None
    return stage.entry


def test_dormant_after_30_days_without_a_visit(lifecycle: CompiledMap) -> None:
    assert check(entry(lifecycle, "dormant"), context(days_since_last_visit=30)) is True
    assert check(entry(lifecycle, "dormant"), context(days_since_last_visit=29)) is False


@pytest.mark.parametrize(
    ("low_ratings", "cancellations", "at_risk"),
    [(2, 0, True), (1, 0, False), (0, 4, True), (0, 3, False), (1, 3, False)],
)
def test_churn_risk_on_two_low_ratings_or_more_than_three_cancellations(
    lifecycle: CompiledMap, low_ratings: int, cancellations: int, at_risk: bool
) -> None:
    variables = context(low_ratings_in_a_row=low_ratings, cancellations=cancellations)

    assert check(entry(lifecycle, "churn_risk"), variables) is at_risk
    assert lifecycle.facts["low_ratings_in_a_row"].parameters == {"below": "80"}
    assert lifecycle.facts["cancellations"].parameters == {"window": "P90D"}


def test_won_back_is_a_dormant_members_visit(lifecycle: CompiledMap) -> None:
    visit = {"type": "visit.completed", "at": NOW, "service_code": "nail-gel"}
    booking = {"type": "appointment.booked", "at": NOW}
    won_back = entry(lifecycle, "won_back")

    assert check(won_back, {**context(), "stage": "dormant", "event": visit}) is True
    assert check(won_back, {**context(), "stage": "dormant", "event": booking}) is False
    assert check(won_back, {**context(), "stage": "dormant"}) is False
    assert check(won_back, {**context(), "stage": "potential", "event": visit}) is False


@pytest.mark.parametrize(
    ("recent", "total", "high"),
    [(500.0, 0.0, True), (499.0, 4999.0, False), (0.0, 5000.0, True)],
)
def test_high_value_on_monthly_or_total_spend(
    lifecycle: CompiledMap, recent: float, total: float, high: bool
) -> None:
    variables = context(recent_spend=recent, total_spent=total)

    assert check(entry(lifecycle, "high_value"), variables) is high
    assert lifecycle.facts["recent_spend"].parameters == {"window": "P30D"}


def test_potential_from_the_second_visit(lifecycle: CompiledMap) -> None:
    assert check(entry(lifecycle, "potential"), context(visit_count=2)) is True
    assert check(entry(lifecycle, "potential"), context(visit_count=1)) is False


# ----------------------------------------------------------------------------- triggers


def test_dormancy_is_checked_30_days_after_the_last_visit(lifecycle: CompiledMap) -> None:
    dormancy = trigger(lifecycle, "dormancy_check")

    assert isinstance(dormancy.on, OnInactivity)
    assert dormancy.on.after.span == timedelta(days=30)
    assert dormancy.on.activity == ("visit.completed",)
    assert dormancy.touchpoint is None


def test_welcome_back_voucher_when_she_becomes_dormant(lifecycle: CompiledMap) -> None:
    welcome = trigger(lifecycle, "welcome_back")

    assert welcome.on == OnStageEntered("dormant")
    assert welcome.touchpoint is not None
    assert (welcome.touchpoint.to, welcome.touchpoint.template, welcome.touchpoint.category) == (
        "member",
        "welcome_back",
        "marketing",
    )
    assert welcome.touchpoint.variables == {"offer": "回归礼券"}
    assert welcome.goal is not None and welcome.goal.event == "visit.completed"
    assert welcome.goal.within.span == timedelta(days=30)


def test_churn_risk_alerts_the_store_manager(lifecycle: CompiledMap) -> None:
    alert = trigger(lifecycle, "churn_alert")

    assert alert.on == OnStageEntered("churn_risk")
    assert alert.touchpoint is not None
    assert alert.touchpoint.to == "store_manager"
    assert alert.touchpoint.template == "churn_risk_alert"
    assert (alert.touchpoint.category, alert.touchpoint.priority) == ("service", "urgent")
    assert alert.touchpoint.due_in is not None
    assert alert.touchpoint.due_in.span == timedelta(days=1)


def test_birthday_task_15_days_ahead_and_greeting_on_the_day(lifecycle: CompiledMap) -> None:
    task = trigger(lifecycle, "birthday_task")
    greeting = trigger(lifecycle, "birthday_greeting")

    assert isinstance(task.on, OnDate) and isinstance(greeting.on, OnDate)
    assert (task.on.fact, task.on.at, task.on.yearly) == ("birthday", time(10, 0), True)
    assert task.on.offset.negative and task.on.offset.span == timedelta(days=15)
    assert task.touchpoint is not None and task.touchpoint.to == "associate"
    assert task.touchpoint.template == "birthday_task"
    assert task.touchpoint.due_in is not None
    assert task.touchpoint.due_in.span == timedelta(days=14)
    assert (greeting.on.fact, greeting.on.at, greeting.on.yearly) == ("birthday", time(10), True)
    assert greeting.on.offset.is_zero
    assert greeting.touchpoint is not None
    assert (greeting.touchpoint.to, greeting.touchpoint.category) == ("member", "marketing")
    assert greeting.touchpoint.variables == {"offer": "生日护理券"}


def test_first_visit_anniversary_gift_every_year(lifecycle: CompiledMap) -> None:
    gift = trigger(lifecycle, "anniversary_gift")

    assert isinstance(gift.on, OnDate)
    assert (gift.on.fact, gift.on.yearly) == ("first_visit_at", True)
    assert gift.touchpoint is not None and gift.touchpoint.template == "anniversary_gift"
    assert gift.touchpoint.category == "marketing"


def test_care_guide_within_24_hours_of_a_service(lifecycle: CompiledMap) -> None:
    guide = trigger(lifecycle, "care_guide")

    assert guide.on == OnEvent("visit.completed")
    assert guide.touchpoint is not None
    assert (guide.touchpoint.template, guide.touchpoint.category) == ("care_guide_24h", "service")
    latest = guide.wait.after(NOW) + guide.touchpoint.tolerance.span
    assert latest == NOW + timedelta(hours=24)


def test_follow_up_call_and_seasonal_care_after_a_service(lifecycle: CompiledMap) -> None:
    call = trigger(lifecycle, "follow_up_call")
    seasonal = trigger(lifecycle, "seasonal_care")

    assert call.on == seasonal.on == OnEvent("visit.completed")
    assert call.wait.span == timedelta(days=2)
    assert call.touchpoint is not None and call.touchpoint.to == "associate"
    assert call.touchpoint.template == "follow_up_call_task"
    assert call.touchpoint.due_in is not None
    assert call.touchpoint.due_in.span == timedelta(days=1)
    assert seasonal.wait.span == timedelta(days=7)
    assert seasonal.touchpoint is not None
    assert seasonal.touchpoint.template == "seasonal_care_reminder"
    assert (seasonal.touchpoint.to, seasonal.touchpoint.category) == ("member", "service")


@pytest.mark.parametrize(
    ("service_code", "fires"),
    [("nail-gel-full", True), ("gel-removal", True), ("facial", False), ("pedicure-nail", False)],
)
def test_nail_refill_three_months_after_a_nail_service(
    lifecycle: CompiledMap, service_code: str, fires: bool
) -> None:
    refill = trigger(lifecycle, "nail_refill")
    visit = {"type": "visit.completed", "at": NOW, "service_code": service_code}

    assert refill.on == OnEvent("visit.completed")
    assert check(refill.when, {**context(), "event": visit}) is fires
    assert refill.wait.months == 3
    assert refill.cancel_on == ("visit.completed",)
    assert refill.touchpoint is not None
    assert refill.touchpoint.template == "nail_refill_reminder"
    assert refill.touchpoint.category == "marketing"
    assert refill.goal is not None and refill.goal.event == "appointment.booked"
    assert refill.goal.within.span == timedelta(days=14)


@pytest.mark.parametrize(
    ("categories", "fires"),
    [(["pillow", "mattress"], True), (["pillow"], False), ([], False)],
)
def test_deep_cleaning_due_six_months_after_a_mattress_purchase(
    lifecycle: CompiledMap, categories: list[str], fires: bool
) -> None:
    due = trigger(lifecycle, "deep_cleaning_due")
    items = [{"code": f"sku-{n}", "category": c} for n, c in enumerate(categories)]
    purchase = {"type": "purchase.recorded", "at": NOW, "items": items}

    assert due.on == OnEvent("purchase.recorded")
    assert check(due.when, {**context(), "event": purchase}) is fires
    assert due.wait.after(datetime(2026, 8, 31, tzinfo=UTC)) == datetime(2027, 2, 28, tzinfo=UTC)


def test_deep_cleaning_tasks_suggest_the_voucher_and_count_the_booking(
    lifecycle: CompiledMap,
) -> None:
    repeat = trigger(lifecycle, "deep_cleaning_repeat")
    visit = {"type": "visit.completed", "at": NOW, "service_code": "mattress-deep-cleaning"}

    assert repeat.on == OnEvent("visit.completed")
    assert check(repeat.when, {**context(), "event": visit}) is True
    assert repeat.wait.months == 6
    for key in ("deep_cleaning_due", "deep_cleaning_repeat"):
        task = trigger(lifecycle, key)
        assert task.touchpoint is not None and task.goal is not None
        assert task.touchpoint.to == "associate"
        assert task.touchpoint.template == "deep_cleaning_due_task"
        assert (task.touchpoint.category, task.touchpoint.priority) == ("service", "high")
        assert task.touchpoint.due_in is not None
        assert task.touchpoint.due_in.span == timedelta(days=14)
        suggestion = task.touchpoint.suggestion
        assert suggestion is not None
        assert (suggestion.template, suggestion.category) == ("deep_cleaning_voucher", "marketing")
        assert suggestion.variables == {"offer": "除螨服务券"}
        assert task.goal.event == "appointment.booked"
        assert task.goal.within.span == timedelta(days=14)
        booking = {
            "type": "appointment.booked",
            "at": NOW,
            "service_code": "mattress-deep-cleaning",
        }
        other = {**booking, "service_code": "facial"}
        assert check(task.goal.when, {**context(), "event": booking}) is True
        assert check(task.goal.when, {**context(), "event": other}) is False


def test_one_touchpoint_per_stage(lifecycle: CompiledMap) -> None:
    voucher = trigger(lifecycle, "first_visit_voucher")
    package = trigger(lifecycle, "seasonal_package")
    technician = trigger(lifecycle, "dedicated_technician")

    assert voucher.on == OnStageEntered("new") and voucher.once
    assert voucher.touchpoint is not None
    assert (voucher.touchpoint.template, voucher.touchpoint.category) == (
        "first_visit_voucher",
        "marketing",
    )
    assert voucher.goal is not None and voucher.goal.event == "visit.completed"
    assert voucher.goal.within.span == timedelta(days=30)
    assert package.on == OnStageEntered("potential")
    assert package.touchpoint is not None
    assert package.touchpoint.template == "seasonal_package_offer"
    assert technician.on == OnStageEntered("high_value")
    assert technician.touchpoint is not None and technician.touchpoint.to == "associate"
    assert technician.touchpoint.template == "dedicated_technician_task"
    assert technician.touchpoint.due_in is not None
    assert technician.touchpoint.due_in.span == timedelta(days=3)


def test_review_invitation_the_day_after_a_service(lifecycle: CompiledMap) -> None:
    review = trigger(lifecycle, "review_invitation")

    assert review.on == OnEvent("visit.completed") and review.wait.span == timedelta(days=1)
    assert review.touchpoint is not None
    assert (review.touchpoint.template, review.touchpoint.category) == (
        "review_invitation",
        "service",
    )
    assert review.goal is not None and review.goal.event == "review.submitted"
    assert review.goal.within.span == timedelta(days=7)


def test_the_map_has_exactly_the_triggers_of_the_brief(lifecycle: CompiledMap) -> None:
    assert {each.key for each in lifecycle.triggers} == {
        "dormancy_check",
        "welcome_back",
        "churn_alert",
        "birthday_task",
        "birthday_greeting",
        "anniversary_gift",
        "care_guide",
        "follow_up_call",
        "seasonal_care",
        "nail_refill",
        "deep_cleaning_due",
        "deep_cleaning_repeat",
        "first_visit_voucher",
        "seasonal_package",
        "dedicated_technician",
        "review_invitation",
    }


def test_the_map_reacts_to_the_events_it_names(lifecycle: CompiledMap) -> None:
    assert lifecycle.event_kinds == {
        "visit.completed",
        "purchase.recorded",
        "appointment.booked",
        "review.submitted",
    }
