"""Dry run over a year of five members' history: what the map would have done."""

import random
from dataclasses import replace
from datetime import timedelta

from journey.domain.facts import MemberEvent
from journey.domain.simulation import compare, simulate

from tests.unit.journey.map_builders import Events, lifecycle_map, utc

MAP = lifecycle_map()
UNTIL = utc(2026, 12, 31, 23)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def regular() -> list[MemberEvent]:
    """Visits every two weeks all year, and a birthday in May."""
    a = Events("mbr_a")
    start = utc(2026, 1, 10, 10)
    return [
        a.registered(utc(2026, 1, 5, 10), birthday="1990-05-17"),
        a.bound(utc(2026, 1, 5, 11)),
        *(a.visit(start + 14 * n * DAY) for n in range(26)),
    ]


def lapsing() -> list[MemberEvent]:
    """Goes quiet, is won back within the goal window, goes quiet again."""
    b = Events("mbr_b")
    return [
        b.registered(utc(2026, 1, 5, 10), birthday=None),
        b.visit(utc(2026, 1, 10, 10)),
        b.visit(utc(2026, 2, 20, 10)),
    ]


def mattress_buyer() -> list[MemberEvent]:
    """Bound to an associate; books the deep-cleaning soon after she is reminded."""
    c = Events("mbr_c")
    return [
        c.registered(utc(2026, 3, 1, 10), birthday=None),
        c.bound(utc(2026, 3, 1, 11)),
        c.mattress(utc(2026, 3, 15, 10)),
        c.booked(utc(2026, 9, 20, 10)),
    ]


def unbound_mattress_buyer() -> list[MemberEvent]:
    d = Events("mbr_d")
    return [d.registered(utc(2026, 3, 1, 10), birthday=None), d.mattress(utc(2026, 3, 15, 10))]


def unhappy() -> list[MemberEvent]:
    """Two low ratings in a row."""
    e = Events("mbr_e")
    return [
        e.registered(utc(2026, 4, 1, 10), birthday=None),
        e.visit(utc(2026, 4, 5, 10)),
        e.review(utc(2026, 4, 6, 10), 70),
        e.visit(utc(2026, 4, 20, 10)),
        e.review(utc(2026, 4, 21, 10), 60),
    ]


def history() -> list[MemberEvent]:
    return [*regular(), *lapsing(), *mattress_buyer(), *unbound_mattress_buyer(), *unhappy()]


def test_a_year_of_five_members() -> None:
    report = simulate(MAP, history(), until=UNTIL)
    assert report.members == 5
    assert report.members_per_stage == {
        "high_value": 1,  # 19 visits of 268 yuan pass 5,000
        "dormant": 2,  # the lapsing one, and the buyer who never visited (counted from joining)
        "new": 1,
        "churn_risk": 1,
    }
    assert report.stage_moves == {
        "->new": 5,
        "new->potential": 2,
        "potential->high_value": 1,
        "new->dormant": 2,
        "dormant->won_back": 1,
        "won_back->dormant": 1,
        "potential->churn_risk": 1,
    }
    assert report.touchpoints_by_trigger == {
        "first_visit_voucher": 5,
        "care_guide": 30,
        "birthday_task": 1,
        "birthday_greeting": 1,
        "welcome_back": 2,
        "deep_cleaning": 1,
        "churn_alert": 1,
    }
    assert report.touchpoints_by_audience == {"member": 38, "associate": 2, "store_manager": 1}
    assert report.touchpoints_by_template["welcome_back"] == 2
    assert report.skipped_by_reason == {"no bound associate": 1}
    assert report.goals_opened == {"welcome_back": 2, "deep_cleaning": 1}
    assert report.goals_reached == {"welcome_back": 1, "deep_cleaning": 1}
    assert report.touchpoints_by_day["2026-05-17"] == 1  # the birthday greeting
    assert report.touchpoints_by_day["2026-02-09"] == 1  # 30 days after her visit
    assert sum(report.touchpoints_by_day.values()) == 41
    assert len(report.touchpoint_ids) == len(set(report.touchpoint_ids)) == 41


def test_arrival_order_does_not_change_the_dry_run() -> None:
    events = history()
    expected = simulate(MAP, events, until=UNTIL)
    for seed in range(3):
        shuffled = events[:]
        random.Random(seed).shuffle(shuffled)
        report = simulate(MAP, shuffled, until=UNTIL)
        assert report.members_per_stage == expected.members_per_stage
        assert report.figures() == expected.figures()


def test_events_after_until_are_not_replayed() -> None:
    report = simulate(MAP, history(), until=utc(2026, 3, 31))
    assert report.members_per_stage == {"dormant": 1, "new": 2, "potential": 1}
    assert "deep_cleaning" not in report.touchpoints_by_trigger  # due in September


def test_one_member_dry_run_keeps_her_timeline_in_order() -> None:
    report = simulate(MAP, lapsing(), until=UNTIL)
    timeline = report.timeline("mbr_b")
    assert [entry.at for entry in timeline] == sorted(entry.at for entry in timeline)
    changes = [
        (entry.detail["from"], entry.detail["to"])
        for entry in timeline
        if entry.kind == "stage_changed"
    ]
    assert changes == [("new", "dormant"), ("dormant", "won_back"), ("won_back", "dormant")]
    kinds = [entry.kind for entry in timeline]
    assert kinds[0] == "entered" and kinds.count("goal_reached") == 1
    assert simulate(MAP, lapsing(), until=UNTIL, timelines_for=()).timelines == {}


def test_the_same_history_gives_the_same_touchpoint_ids() -> None:
    assert simulate(MAP, history(), until=UNTIL).touchpoint_ids == (
        simulate(MAP, history(), until=UNTIL).touchpoint_ids
    )


def test_compare_a_draft_without_the_welcome_back_with_the_published_map() -> None:
    published = simulate(MAP, history(), until=UNTIL)
    draft_map = replace(
        MAP, version=0, triggers=tuple(t for t in MAP.triggers if t.key != "welcome_back")
    )
    draft = simulate(draft_map, history(), until=UNTIL)
    differences = compare(draft, published)
    assert differences["touchpoints_by_trigger"] == {
        "welcome_back": {"draft": 0, "published": 2, "delta": -2}
    }
    # Nothing re-evaluates her when she goes quiet: the lapsing member ends up "potential".
    assert differences["members_per_stage"]["potential"] == {
        "draft": 1,
        "published": 0,
        "delta": 1,
    }
    assert differences["goals_reached"] == {
        "welcome_back": {"draft": 0, "published": 1, "delta": -1}
    }
    ids = differences["touchpoint_ids"]
    assert ids["only_in_draft"] == [] and len(ids["only_in_published"]) == 2
    assert compare(published, published) == {}
