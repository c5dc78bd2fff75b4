"""The Timeline contract: lines appended in bulk, read per member by time then order given."""

from __future__ import annotations

from datetime import timedelta

from journey.application.ports import TimelineLine

from tests.contract.journey.backends import NOW, Backend
from tests.contract.journey.builders import BRAND

MINUTE = timedelta(minutes=1)


def line(rule: str, member_id: str = "mbr_1", *, minutes: int = 0) -> TimelineLine:
    return TimelineLine(
        brand_id=BRAND,
        member_id=member_id,
        at=NOW + minutes * MINUTE,
        kind="trigger_fired",
        rule=rule,
        reason=f"{rule} held",
        store_id="sto_1",
        associate_id="stf_1",
        map_key="lifecycle",
        version=2,
        detail={"touchpoint_id": "tpt_1", "days": 30},
    )


async def test_lines_come_back_by_time_then_in_the_order_appended(backend: Backend) -> None:
    async with backend.begin() as uow:
        await uow.timeline.append(
            [line("late", minutes=5), line("first"), line("second"), line("hers", "mbr_2")]
        )
        await uow.timeline.append([])
    async with backend.begin() as uow:
        await uow.timeline.append([line("between", minutes=1)])

    async with backend.begin() as uow:
        lines = await uow.timeline.page("mbr_1", None, 10)
        first_two = await uow.timeline.page("mbr_1", None, 2)
        rest = await uow.timeline.page("mbr_1", (first_two[-1].at, first_two[-1].id), 10)

    assert [entry.rule for entry in lines] == ["first", "second", "between", "late"]
    assert [entry.rule for entry in rest] == ["between", "late"]
    assert lines[0] == TimelineLine(**{**line("first").__dict__, "id": lines[0].id})
    assert len({entry.id for entry in lines}) == 4
