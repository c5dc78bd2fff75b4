from datetime import datetime, timedelta

import pytest
from notifier.domain.contact_policy import MarketingCap
from notifier.domain.deliveries import (
    Touchpoint,
    counts_against_cap,
    keeps_quiet_hours,
    resolve_channel,
)
from notifier.domain.errors import ChannelMismatch, MarketingCapReached
from notifier.domain.templates import DEFAULT_TEMPLATES
from rapport_events.clock import ManualClock


def test_two_marketing_pushes_a_week_are_allowed_and_the_third_refused() -> None:
    clock = ManualClock()
    cap = MarketingCap()
    sent: list[datetime] = []

    for _ in range(2):
        cap.check(sent, clock.now())
        sent.append(clock.now())
        clock.advance(timedelta(days=1))

    with pytest.raises(MarketingCapReached) as refused:
        cap.check(sent, clock.now())
    assert refused.value.reason == "weekly marketing cap reached (2 per 7 days)"


def test_the_window_rolls_seven_days_after_the_first_push() -> None:
    clock = ManualClock()
    cap = MarketingCap()
    first = clock.now()
    clock.advance(timedelta(days=3))
    second = clock.now()

    clock.set(first + timedelta(days=7) - timedelta(seconds=1))
    with pytest.raises(MarketingCapReached):
        cap.check([first, second], clock.now())

    clock.set(first + timedelta(days=7))
    cap.check([first, second], clock.now())


def test_pushes_older_than_the_window_do_not_count() -> None:
    clock = ManualClock()
    old = [clock.now() - timedelta(days=8), clock.now() - timedelta(days=30)]

    MarketingCap().check(old, clock.now())


def test_tasks_and_service_messages_do_not_count_against_the_cap() -> None:
    assert counts_against_cap("sms", marketing=True)
    assert counts_against_cap("wechat", marketing=True)
    assert not counts_against_cap("task", marketing=True)
    assert not counts_against_cap("sms", marketing=False)


def test_quiet_hours_hold_member_messages_and_spare_tasks() -> None:
    assert keeps_quiet_hours("sms")
    assert keeps_quiet_hours("wechat")
    assert keeps_quiet_hours("app")
    assert not keeps_quiet_hours("task")


def test_a_member_message_goes_out_on_the_channel_journey_chose() -> None:
    assert resolve_channel("wechat", DEFAULT_TEMPLATES["welcome_back"]) == "wechat"


def test_a_task_template_always_makes_a_task() -> None:
    assert resolve_channel("sms", DEFAULT_TEMPLATES["churn_risk_alert"]) == "task"


def test_a_member_message_cannot_become_a_task() -> None:
    with pytest.raises(ChannelMismatch, match="welcome_back is a message for sms, not a task"):
        resolve_channel("task", DEFAULT_TEMPLATES["welcome_back"])


def test_templates_may_use_the_member_and_store_of_the_touchpoint() -> None:
    touchpoint = Touchpoint(
        touchpoint_id="tp-1",
        brand_id="b-1",
        member_id="m-1",
        recipient_id="a-1",
        template="churn_risk_alert",
        channel="task",
        store_id="s-1",
        variables={"reason": "3 cancellations"},
    )

    assert touchpoint.render_variables() == {
        "member_id": "m-1",
        "store_id": "s-1",
        "reason": "3 cancellations",
    }
