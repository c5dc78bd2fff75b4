"""The mattress buyer's story of issue 7, through the five services as real processes: six
platform months after her purchase her associate has a deep-cleaning task, sends the voucher
it suggests, the member books the deep-cleaning, and the goal counts.

The brand configures nothing: it runs on the default map and the notifier's default contact
policy, which is the promise of the issue for a new brand."""

from __future__ import annotations

import calendar
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.e2e.conftest import RunningPlatform
from tests.e2e.story import (
    ASSOCIATE_PASSWORD,
    ASSOCIATE_USERNAME,
    json_when,
    log_in,
    new_trace,
    ok,
    post_once_known,
    register_bound_member,
    set_up_brand,
)
from tests.support.polling import eventually

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Past the timer's due time by more than the 2 s the consumer's event-time watermark trails
# the clock, and far inside the touchpoint's one-day tolerance (later would be skipped).
PAST_DUE = timedelta(seconds=10)
DEEP_CLEANING = "mattress-deep-cleaning"


async def test_a_mattress_purchase_leads_six_months_later_to_a_deep_cleaning_booking(
    platform: RunningPlatform, admin_token: str
) -> None:
    trace, _ = new_trace()
    brand = await set_up_brand(platform, admin_token, trace)
    hq = brand.hq_token

    # The story starts at 10:00 in Shanghai. The voucher the associate sends six months on is
    # marketing, and the default policy holds member messages from 21:00 to 08:00 there; a
    # purchase at 10:00 puts the send at about 10:00 too (Shanghai keeps no summer time), so
    # it is delivered at once whatever hour the suite runs at.
    now = await platform.now()
    await platform.advance_clock(_next_local(now, time(10, 0)) - now)

    member_id = await register_bound_member(
        platform,
        brand,
        trace,
        {"name": "陈静", "surname": "陈", "phone": "139 8765 4321", "gender": "female"},
    )
    # Journey must know her associate before the purchase: the purchase makes her high-value
    # and that stage gives the associate a task too.
    async with platform.client("journey", hq, trace) as journey:
        await eventually(
            lambda: json_when(
                journey.get(f"/v1/members/{member_id}/journey"),
                lambda b: b["associate_id"] == brand.associate_id,
            ),
            what="journey to know her associate",
        )

    async with platform.client("service-orders", hq, trace) as orders:
        purchase = await ok(
            await post_once_known(
                orders,
                "/v1/purchases",
                {
                    "member_id": member_id,
                    "store_id": brand.store_id,
                    "amount": "4999.00",
                    "description": "queen mattress",
                    "items": [{"product_code": "mattress-queen", "category": "mattress"}],
                },
            ),
            201,
        )
    purchased_at = datetime.fromisoformat(purchase["purchased_at"])

    # Over 500 yuan in 30 days: high-value at once, and a dedicated-technician task for her
    # associate, due in 3 days. Nobody acts on it, so six months on it is overdue.
    async with platform.client("journey", hq, trace) as journey:
        await eventually(
            lambda: json_when(
                journey.get(f"/v1/members/{member_id}/journey"),
                lambda b: b["stage"] == "high_value",
            ),
            what="stage high_value after the purchase",
        )

    # Six calendar months after the purchase, and a few seconds more.
    due = _add_months(purchased_at, 6)
    await platform.advance_clock(due + PAST_DUE - await platform.now())

    # Her associate logs in and finds the deep-cleaning task, sorted by urgency: the overdue
    # technician task first, then the new one of high priority.
    associate = await log_in(platform, brand.code, ASSOCIATE_USERNAME, ASSOCIATE_PASSWORD, trace)
    async with platform.client("journey", associate, trace) as journey:
        tasks = await eventually(
            lambda: json_when(
                journey.get("/v1/tasks"),
                lambda b: any(t["template"] == "deep_cleaning_due_task" for t in b["items"]),
            ),
            timeout=30,
            what="a deep-cleaning task in the associate's list",
        )
        listed = [(t["template"], t["overdue"], t["priority"]) for t in tasks["items"]]
        assert listed == [
            ("dedicated_technician_task", True, "normal"),
            ("deep_cleaning_due_task", False, "high"),
        ]
        task = tasks["items"][1]
        assert task["member_id"] == member_id
        assert task["assignee_id"] == brand.associate_id
        assert task["trigger"] == "deep_cleaning_due"
        assert task["status"] == "open"
        # Due 14 days after its moment (six months after the purchase), not after the
        # moment the timer happened to be worked.
        assert datetime.fromisoformat(task["due_at"]) == due + timedelta(days=14)
        assert task["suggestion"]["template"] == "deep_cleaning_voucher"
        assert task["suggestion"]["category"] == "marketing"
        assert task["suggestion"]["variables"]["offer"] == "除螨服务券"

        # She sends the voucher; the task stays open until she marks it done.
        sent = await ok(await journey.post(f"/v1/tasks/{task['task_id']}/sending"))
        assert sent["status"] == "open"

    async with platform.client("notifier", hq, trace) as notifier:
        deliveries = await eventually(
            lambda: json_when(
                notifier.get(
                    "/v1/deliveries",
                    params={"member_id": member_id, "template": "deep_cleaning_voucher"},
                ),
                lambda b: any(d["status"] == "delivered" for d in b["items"]),
            ),
            what="a delivered deep_cleaning_voucher",
        )
    [voucher] = deliveries["items"]
    assert voucher["recipient_id"] == member_id
    assert voucher["marketing"] is True
    assert voucher["text"].startswith("陈女士")
    assert "除螨服务券" in voucher["text"]

    # She books the deep-cleaning.
    async with platform.client("service-orders", hq, trace) as orders:
        await ok(
            await orders.post(
                "/v1/appointments",
                json={
                    "member_id": member_id,
                    "store_id": brand.store_id,
                    "service_code": DEEP_CLEANING,
                    "scheduled_at": (await platform.now() + timedelta(days=2)).isoformat(),
                },
            ),
            201,
        )

    # HQ's figures count the goal as reached: one deep-cleaning task, one booking.
    async with platform.client("journey", hq, trace) as journey:
        figures = await eventually(
            lambda: json_when(
                journey.get("/v1/figures/goals"),
                lambda b: _goal(b, "deep_cleaning_due").get("reached") == 1,
            ),
            what="the deep_cleaning_due goal reached in the figures",
        )
        assert _goal(figures, "deep_cleaning_due") == {
            "map": "lifecycle",
            "trigger": "deep_cleaning_due",
            "opened": 1,
            "reached": 1,
            "rate": 1.0,
        }

        # Her timeline tells the same story in order: the trigger, the touchpoint and the
        # task it became, the voucher sent from it, the goal.
        timeline = await ok(
            await journey.get(f"/v1/members/{member_id}/timeline", params={"limit": 200})
        )
    story = [line for line in timeline["items"] if line["rule"] == "deep_cleaning_due"]
    assert [line["kind"] for line in story] == [
        "trigger_fired",
        "touchpoint_requested",
        "task_created",
        "task_suggestion_sent",
        "goal_reached",
    ]
    fired, requested, created, voucher_sent, reached = story
    assert created["detail"]["task_id"] == task["task_id"]
    assert fired["map"] == "lifecycle"
    assert requested["detail"]["touchpoint_id"] == task["task_id"]
    assert requested["detail"]["to"] == "associate"
    assert requested["detail"]["template"] == "deep_cleaning_due_task"
    assert voucher_sent["detail"]["task_id"] == task["task_id"]
    assert voucher_sent["detail"]["touchpoint_id"] == voucher["touchpoint_id"]
    assert reached["detail"]["touchpoint_id"] == task["task_id"]
    moments = [datetime.fromisoformat(line["at"]) for line in story]
    assert moments == sorted(moments)


def _next_local(instant: datetime, at: time) -> datetime:
    """The next moment after ``instant`` that is ``at`` on Shanghai's clocks."""
    local = instant.astimezone(SHANGHAI)
    candidate = datetime.combine(local.date(), at, SHANGHAI)
    return candidate if candidate > local else candidate + timedelta(days=1)


def _add_months(instant: datetime, months: int) -> datetime:
    """Calendar months, as the map's P6M counts them: the same day of the month, or the last
    day of a shorter month."""
    index = instant.month - 1 + months
    year, month = instant.year + index // 12, index % 12 + 1
    day = min(instant.day, calendar.monthrange(year, month)[1])
    return instant.replace(year=year, month=month, day=day)


def _goal(figures: Any, trigger: str) -> dict[str, Any]:
    found = [row for row in figures["goals"] if row["trigger"] == trigger]
    return found[0] if found else {}
