"""Every API document lists the answers the platform itself gives, with the one error body."""

from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends
from pydantic import BaseModel
from rapport_platform.app import create_app
from rapport_platform.auth import Principal, Role, require_roles
from rapport_platform.errors import error_responses

ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
Hq = Annotated[Principal, Depends(require_roles(Role.HQ))]


class StoreIn(BaseModel):
    name: str


def document() -> dict[str, Any]:
    routes = APIRouter(prefix="/v1")

    @routes.post("/stores", status_code=201, responses=error_responses(403, 409))
    async def open_store(body: StoreIn, _: Hq) -> dict[str, str]:
        return {"name": body.name}

    @routes.get("/stores/{store_id}")
    async def show_store(store_id: str, _: Hq) -> dict[str, str]:
        return {"store_id": store_id}

    @routes.get("/open")
    async def open_to_all() -> dict[str, str]:
        return {}

    app = create_app(title="t", description="", version="1", routers=[routes], readiness_checks={})
    return app.openapi()


def responses(method: str, path: str) -> dict[str, Any]:
    answers: dict[str, Any] = document()["paths"][path][method]["responses"]
    return answers


def test_a_body_is_documented_as_answering_400_when_unparsable_and_413_when_too_large() -> None:
    with_body = responses("post", "/v1/stores")
    without_body = responses("get", "/v1/stores/{store_id}")

    assert {"400", "413"} <= set(with_body)
    assert "not valid JSON" in with_body["400"]["description"]
    assert not {"400", "413"} & set(without_body)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/v1/stores"),
        ("get", "/v1/stores/{store_id}"),
        ("get", "/v1/open"),
        ("get", "/healthz"),
    ],
)
def test_every_operation_may_answer_422_for_text_the_input_guard_refuses(
    method: str, path: str
) -> None:
    invalid = responses(method, path)["422"]

    assert invalid["content"] == ERROR_BODY
    assert "U+0000" in invalid["description"]


def test_operations_needing_a_token_document_401_and_the_others_do_not() -> None:
    assert "401" in responses("get", "/v1/stores/{store_id}")
    assert "401" not in responses("get", "/v1/open")


def test_every_error_answer_names_the_error_body_and_fastapis_schema_is_gone() -> None:
    openapi = document()
    errors = [
        response
        for item in openapi["paths"].values()
        for operation in item.values()
        for status, response in operation["responses"].items()
        if status.startswith("4")
    ]

    assert errors and all(response["content"] == ERROR_BODY for response in errors)
    schemas = openapi["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert {"ErrorResponse", "ErrorDetail", "FieldProblem"} <= set(schemas)


def test_a_route_keeps_its_own_statuses_and_words() -> None:
    answers = responses("post", "/v1/stores")

    assert {"201", "403", "409"} <= set(answers)
    assert answers["403"]["description"] == "Forbidden"


def test_readiness_documents_both_of_its_answers() -> None:
    readiness = responses("get", "/readyz")

    assert {"200", "503"} <= set(readiness)
    assert readiness["503"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Readiness"
    }
