"""Text no database can store is refused with a 422 naming the input, in every part of a
request and before any route runs."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel
from rapport_platform.app import create_app
from rapport_platform.input_guard import MAX_BODY_BYTES, MAX_TEXT_LENGTH

REACHED: list[str] = []


class Member(BaseModel):
    name: str
    tags: list[str] = []


def guarded_app() -> FastAPI:
    router = APIRouter()

    @router.post("/members/{member_id}")
    async def save(member_id: str, member: Member, brand_code: str | None = None) -> dict[str, str]:
        REACHED.append(member_id)
        return {"name": member.name}

    return create_app(title="t", description="", version="0", routers=[router], readiness_checks={})


async def send(
    path: str, body: str | bytes, headers: dict[str, str] | None = None
) -> httpx.Response:
    REACHED.clear()
    transport = httpx.ASGITransport(app=guarded_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.post(
            path,
            content=body if isinstance(body, bytes) else body.encode(),
            headers={"content-type": "application/json", **(headers or {})},
        )


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/members/m1", '{"name": "a\\u0000b"}', "body.name"),
        ("/members/m1", '{"name": "ok", "tags": ["x", "\\ud800"]}', "body.tags[1]"),
        ("/members/m1", '{"name": "ok", "a\\u0000": 1}', "body"),
        ("/members/a%00b", '{"name": "ok"}', "path"),
        ("/members/m1?brand_code=a%00b", '{"name": "ok"}', "query.brand_code"),
        ("/members/m1?brand_code=%FF", '{"name": "ok"}', "query"),
        ("/members/%FF", '{"name": "ok"}', "path"),
    ],
)
async def test_unstorable_text_is_refused_naming_the_input(
    path: str, body: str, field: str
) -> None:
    response = await send(path, body)

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_text"
    assert [problem["field"] for problem in error["fields"]] == [field]
    assert REACHED == []


async def test_an_over_long_text_is_refused() -> None:
    response = await send("/members/m1", '{"name": "' + "x" * (MAX_TEXT_LENGTH + 1) + '"}')
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "body.name"


async def test_an_over_large_body_is_refused_unread() -> None:
    response = await send("/members/m1", b'{"name": "' + b"x" * MAX_BODY_BYTES + b'"}')
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert REACHED == []


async def test_ordinary_text_reaches_the_route_unchanged() -> None:
    response = await send("/members/m%C3%A9?brand_code=lumi%C3%A8re", '{"name": "梁晓雯 ✨"}')
    assert response.status_code == 200, response.text
    assert response.json() == {"name": "梁晓雯 ✨"}
    assert REACHED == ["mé"]


async def test_a_body_that_is_not_json_is_left_to_the_route() -> None:
    response = await send("/members/m1", b"{not json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
