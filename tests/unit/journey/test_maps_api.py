"""The maps API on the in-memory unit of work, with a small fake compiler."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import pytest_asyncio
from journey.adapters.map_documents import MapDocuments
from journey.adapters.memory import InMemoryJourneyUnitOfWork, journey_database
from journey.application.maps import InvalidMap, MapHandlers, MapProblem, MapQueries
from journey.application.ports import JourneyUnitOfWork
from journey.entrypoints.errors import ERRORS
from journey.entrypoints.http import maps_router
from rapport_events.clock import ManualClock
from rapport_platform.auth import Role

from tests.support.http import NOW, api_app, api_client, bearer, ok, principal, refused

DEFAULT = {"key": "lifecycle", "title": "Built-in lifecycle", "stages": [{"key": "new"}]}
YAML_MAP = """key: lifecycle
title: Our lifecycle
stages:
  - key: new
  - key: dormant
triggers:
  - key: welcome_back
    template: welcome_back
"""
YAML = {"content-type": "application/yaml"}


class StaticTemplates:
    def __init__(self, templates: Mapping[str, bool]) -> None:
        self._templates = dict(templates)

    async def templates(self, uow: JourneyUnitOfWork, brand_id: str) -> Mapping[str, bool]:
        return self._templates


class FakeCompiler:
    """The real reader; refuses a map without stages, a stage without a key and an unknown
    template (the real compiler's checks have their own tests)."""

    def parse(self, text: str, media_type: str) -> dict[str, Any]:
        return MapDocuments().parse(text, media_type)

    def compile(
        self,
        document: Mapping[str, Any],
        brand_id: str,
        version: int,
        templates: Mapping[str, bool],
    ) -> object:
        problems = []
        stages = document.get("stages")
        if not isinstance(stages, list) or not stages:
            problems.append(MapProblem("stages", "a map needs at least one stage"))
        for index, stage in enumerate(stages if isinstance(stages, list) else []):
            if not isinstance(stage, dict) or "key" not in stage:
                problems.append(MapProblem(f"stages[{index}].key", "is required"))
        for index, trigger in enumerate(document.get("triggers") or []):
            if trigger.get("template") not in templates:
                problems.append(
                    MapProblem(f"triggers[{index}].template", "the notifier has no such template")
                )
        if problems:
            raise InvalidMap(problems)
        return document

    def schema(self) -> Mapping[str, Any]:
        return {"title": "Journey map", "type": "object"}


def headers(role: Role = Role.HQ, **kwargs: Any) -> dict[str, str]:
    return bearer(principal(role, **kwargs))


@pytest_asyncio.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    database = journey_database()
    clock = ManualClock(NOW)
    compiler = FakeCompiler()

    def begin() -> InMemoryJourneyUnitOfWork:
        return InMemoryJourneyUnitOfWork(database, clock=clock)

    handlers = MapHandlers(
        begin, clock, compiler, StaticTemplates({"welcome_back": True}), lambda: DEFAULT
    )
    app = api_app([maps_router(handlers, MapQueries(begin, compiler, lambda: DEFAULT))], ERRORS)
    async with api_client(app) as started:
        yield started


async def save(client: httpx.AsyncClient, text: str = YAML_MAP, key: str = "lifecycle") -> Any:
    return ok(
        await client.put(f"/v1/maps/{key}/draft", content=text, headers={**YAML, **headers()})
    )


async def test_a_brand_with_no_map_of_its_own_runs_the_default_as_version_0(
    client: httpx.AsyncClient,
) -> None:
    listed = ok(await client.get("/v1/maps", headers=headers()))
    lifecycle = ok(await client.get("/v1/maps/lifecycle", headers=headers()))
    built_in = ok(await client.get("/v1/maps/lifecycle/versions/0", headers=headers()))

    assert [(m["key"], m["active_version"], m["built_in"]) for m in listed["items"]] == [
        ("lifecycle", 0, True)
    ]
    assert lifecycle["draft"] is None and [v["version"] for v in lifecycle["versions"]] == [0]
    assert built_in["document"] == DEFAULT and built_in["active"] is True
    assert built_in["published_at"] is None


async def test_a_yaml_draft_is_saved_validated_and_published_with_who_and_when(
    client: httpx.AsyncClient,
) -> None:
    saved = await save(client)
    valid = ok(
        await client.post(
            "/v1/maps/lifecycle/validation", content=YAML_MAP, headers={**YAML, **headers()}
        )
    )
    published = ok(await client.post("/v1/maps/lifecycle/publication", headers=headers()), 201)
    listed = ok(await client.get("/v1/maps", headers=headers()))

    assert saved["draft"]["title"] == "Our lifecycle" and saved["active_version"] == 0
    assert valid == {"valid": True, "version": 1}
    assert published["version"] == 1 and published["published_by"] == "stf_1"
    assert published["published_at"] == NOW.isoformat().replace("+00:00", "Z")
    assert published["document"]["stages"] == [{"key": "new"}, {"key": "dormant"}]
    assert [(m["key"], m["active_version"]) for m in listed["items"]] == [("lifecycle", 1)]


async def test_a_json_draft_of_another_map_is_listed_beside_the_default(
    client: httpx.AsyncClient,
) -> None:
    document = {"title": "Birthdays", "stages": [{"key": "all"}]}
    response = await client.put(
        "/v1/maps/birthdays/draft",
        content=json.dumps(document),
        headers={"content-type": "application/json", **headers()},
    )
    ok(response)
    first = ok(await client.get("/v1/maps", params={"limit": 1}, headers=headers()))
    second = ok(
        await client.get("/v1/maps", params={"cursor": first["next_cursor"]}, headers=headers())
    )

    assert [m["key"] for m in first["items"]] == ["birthdays"]
    assert [m["key"] for m in second["items"]] == ["lifecycle"]
    assert second["next_cursor"] is None


async def test_an_invalid_map_is_refused_with_every_error_and_where_it_is(
    client: httpx.AsyncClient,
) -> None:
    bad = "title: Bad\nstages:\n  - title: no key\n  - {}\ntriggers:\n  - template: nope\n"
    await save(client, bad)

    validation = refused(
        await client.post(
            "/v1/maps/lifecycle/validation", content=bad, headers={**YAML, **headers()}
        ),
        422,
        "invalid_map",
    )
    publication = refused(
        await client.post("/v1/maps/lifecycle/publication", headers=headers()), 422, "invalid_map"
    )
    after = ok(await client.get("/v1/maps/lifecycle", headers=headers()))

    expected = [
        {"path": "stages[0].key", "message": "is required"},
        {"path": "stages[1].key", "message": "is required"},
        {"path": "triggers[0].template", "message": "the notifier has no such template"},
    ]
    assert validation["errors"] == expected
    assert publication["errors"] == expected
    assert validation["fields"][0]["field"] == "body.stages[0].key"
    assert [v["version"] for v in after["versions"]] == [0]


async def test_text_that_is_no_map_and_a_key_of_another_map_are_refused(
    client: httpx.AsyncClient,
) -> None:
    scalar = refused(
        await client.put(
            "/v1/maps/lifecycle/draft", content="just text", headers={**YAML, **headers()}
        ),
        422,
        "invalid_map",
    )
    broken = refused(
        await client.put(
            "/v1/maps/lifecycle/draft",
            content="{not json",
            headers={"content-type": "application/json", **headers()},
        ),
        422,
        "invalid_map",
    )
    other_key = refused(
        await client.put(
            "/v1/maps/lifecycle/draft",
            content="map: seasonal\nstages: []",
            headers={**YAML, **headers()},
        ),
        422,
        "invalid_map",
    )
    refused(
        await client.put(
            "/v1/maps/lifecycle/draft",
            content="a: 1",
            headers={"content-type": "text/plain", **headers()},
        ),
        415,
        "unsupported_media_type",
    )
    refused(
        await client.put("/v1/maps/Not-A-Key/draft", content="a: 1", headers={**YAML, **headers()}),
        422,
        "validation_failed",
    )

    assert scalar["errors"][0]["path"] == ""
    assert broken["errors"][0]["message"].startswith("not JSON: line 1, column 2")
    assert other_key["errors"] == [
        {"path": "map", "message": "is 'seasonal'; the map's key is 'lifecycle'"}
    ]


async def test_republishing_an_earlier_version_is_a_new_version_with_its_document(
    client: httpx.AsyncClient,
) -> None:
    await save(client)
    ok(await client.post("/v1/maps/lifecycle/publication", headers=headers()), 201)
    await save(client, YAML_MAP.replace("Our lifecycle", "Second"))
    ok(await client.post("/v1/maps/lifecycle/publication", headers=headers()), 201)

    rollback = ok(
        await client.post("/v1/maps/lifecycle/versions/1/republication", headers=headers()), 201
    )
    to_default = ok(
        await client.post("/v1/maps/lifecycle/versions/0/republication", headers=headers()), 201
    )
    lifecycle = ok(await client.get("/v1/maps/lifecycle", headers=headers()))
    refused(
        await client.post("/v1/maps/lifecycle/versions/9/republication", headers=headers()), 404
    )

    assert (rollback["version"], rollback["republished_from"]) == (3, 1)
    assert rollback["document"]["title"] == "Our lifecycle"
    assert (to_default["version"], to_default["document"]) == (4, DEFAULT)
    assert [v["version"] for v in lifecycle["versions"]] == [0, 1, 2, 3, 4]
    assert lifecycle["active_version"] == 4


async def test_publishing_nothing_and_the_default_again_are_conflicts(
    client: httpx.AsyncClient,
) -> None:
    refused(await client.post("/v1/maps/lifecycle/publication", headers=headers()), 409, "no_draft")
    refused(
        await client.post("/v1/maps/lifecycle/versions/0/republication", headers=headers()),
        409,
        "already_running",
    )
    refused(await client.post("/v1/maps/seasonal/publication", headers=headers()), 404)


async def test_maps_are_hqs_integrations_read_them_and_store_staff_never_do(
    client: httpx.AsyncClient,
) -> None:
    await save(client)

    ok(await client.get("/v1/maps/lifecycle", headers=headers(Role.INTEGRATION)))
    ok(await client.get("/v1/maps/schema.json", headers=headers(Role.INTEGRATION)))
    refused(
        await client.put(
            "/v1/maps/lifecycle/draft",
            content=YAML_MAP,
            headers={**YAML, **headers(Role.INTEGRATION)},
        ),
        403,
    )
    for role in (Role.STORE_MANAGER, Role.ASSOCIATE):
        refused(await client.get("/v1/maps", headers=headers(role)), 403)
        refused(await client.post("/v1/maps/lifecycle/publication", headers=headers(role)), 403)
    other_brand = ok(await client.get("/v1/maps/lifecycle", headers=headers(brand_id="brd_2")))
    assert other_brand["built_in"] is True and other_brand["draft"] is None
    refused(await client.get("/v1/maps/seasonal", headers=headers()), 404)


async def test_the_schema_is_the_compilers(client: httpx.AsyncClient) -> None:
    assert ok(await client.get("/v1/maps/schema.json", headers=headers())) == {
        "title": "Journey map",
        "type": "object",
    }
