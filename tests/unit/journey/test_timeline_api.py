"""A member's timeline over HTTP: in order, paged, scoped like her journey."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest_asyncio
from journey.adapters.memory import InMemoryJourneyUnitOfWork, journey_database, tables_of
from journey.application.ports import TimelineLine
from journey.application.timeline import TimelineQueries
from journey.domain.journey import MemberJourney
from journey.entrypoints.errors import ERRORS
from journey.entrypoints.http import timeline_router
from rapport_events.clock import ManualClock
from rapport_platform.auth import Role

from tests.support.http import (
    BRAND,
    NOW,
    STORE,
    api_app,
    api_client,
    bearer,
    ok,
    principal,
    refused,
)

URL = "/v1/members/mbr_1/timeline"


def line(rule: str, minutes: int) -> TimelineLine:
    return TimelineLine(
        brand_id=BRAND,
        member_id="mbr_1",
        at=NOW + timedelta(minutes=minutes),
        kind="trigger_fired",
        rule=rule,
        reason=f"{rule} held",
        map_key="lifecycle",
        version=2,
        detail={"touchpoint_id": f"tpt_{rule}"},
    )


@pytest_asyncio.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    database = journey_database()
    clock = ManualClock(NOW)
    tables_of(database).journeys["mbr_1"] = MemberJourney(
        member_id="mbr_1", brand_id=BRAND, store_id=STORE, associate_id="stf_lina"
    )
    async with InMemoryJourneyUnitOfWork(database, clock=clock) as uow:
        await uow.timeline.append([line("later", 5), line("first", 0), line("second", 0)])

    def begin() -> InMemoryJourneyUnitOfWork:
        return InMemoryJourneyUnitOfWork(database, clock=clock)

    app = api_app([timeline_router(TimelineQueries(begin))], ERRORS)
    async with api_client(app) as started:
        yield started


async def test_her_timeline_comes_in_order_page_by_page(client: httpx.AsyncClient) -> None:
    first = ok(await client.get(URL, params={"limit": 2}, headers=bearer(Role.HQ)))
    rest = ok(await client.get(URL, params={"cursor": first["next_cursor"]}, headers=bearer()))

    assert [e["rule"] for e in first["items"] + rest["items"]] == ["first", "second", "later"]
    assert first["items"][0] == {
        "at": NOW.isoformat().replace("+00:00", "Z"),
        "kind": "trigger_fired",
        "map": "lifecycle",
        "version": 2,
        "rule": "first",
        "reason": "first held",
        "detail": {"touchpoint_id": "tpt_first"},
    }
    assert rest["next_cursor"] is None


async def test_her_timeline_is_scoped_like_her_journey(client: httpx.AsyncClient) -> None:
    bound = principal(Role.ASSOCIATE, subject="stf_lina")
    ok(await client.get(URL, headers=bearer(bound)))
    ok(await client.get(URL, headers=bearer(principal(Role.STORE_MANAGER))))
    for outsider in (
        principal(Role.ASSOCIATE, subject="stf_other"),
        principal(Role.STORE_MANAGER, store_id="sto_2"),
        principal(Role.HQ, brand_id="brd_2"),
    ):
        refused(await client.get(URL, headers=bearer(outsider)), 404)
    refused(await client.get("/v1/members/mbr_nobody/timeline", headers=bearer()), 404)
    bad = refused(await client.get(URL, params={"cursor": "bm9wZQ"}, headers=bearer()), 422)
    assert bad["fields"][0]["field"] == "query.cursor"
