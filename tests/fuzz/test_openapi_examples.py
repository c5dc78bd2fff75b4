"""Every example of every service's OpenAPI document is a request its server accepts.

For each operation, each request-body example, each example of a body property (put into
the first body example) and each parameter example is sent, as the HQ of the seeded brand,
and must not be refused as invalid (400 or 422). An answer such as 404, 409 or 401 (a login
with an example password) is not about the example's shape and is accepted.

References are replaced before sending: an id of the documented shape (``mbr_`` and 32 hex
digits) by the seeded id of the same kind, an invite code by the seeded associate's. An
example cannot name what exists on every server; the documents say as much ("after
replacing the ids with real ones"), and a reader trying one does the same. An operation
that HQ may not call (creating a brand) is sent again as a platform administrator. An
idempotency key is single-use by definition (the same key with another request is refused),
so its example is sent once, as it is, and every later request gets a fresh key.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.fuzz.seeded_platform import PACKAGES, Platform, SeededBrand, platform_admin

ID_SHAPE = re.compile(r"^([a-z]{3})_[0-9a-f]{32}$")
INVITE_CODE_FIELD = "invite_code"
SINGLE_USE_HEADERS = frozenset({"idempotency-key"})
REFUSED_AS_INVALID = frozenset({400, 422})
METHODS = frozenset({"get", "put", "post", "delete", "patch"})


@dataclass
class ExampleRequest:
    method: str
    path: str
    what: str
    path_parameters: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None

    def url(self) -> str:
        return self.path.format(**self.path_parameters)


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def examples_of(holder: dict[str, Any], schema: dict[str, Any] | None = None) -> list[Any]:
    """The examples an OpenAPI object gives: ``example``, ``examples`` and its schema's."""
    found: list[Any] = []
    if "example" in holder:
        found.append(holder["example"])
    named = holder.get("examples")
    if isinstance(named, dict):
        found.extend(example["value"] for example in named.values() if "value" in example)
    elif isinstance(named, list):
        found.extend(named)
    if schema is not None and schema is not holder:
        found.extend(examples_of(schema))
    return found


def body_examples(document: dict[str, Any], operation: dict[str, Any]) -> list[tuple[str, Any]]:
    media = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if media is None:
        return []
    schema = resolve(document, media.get("schema", {}))
    whole = examples_of(media, schema)
    found = [(f"body example {index + 1}", example) for index, example in enumerate(whole)]
    base = whole[0] if whole and isinstance(whole[0], dict) else {}
    for name, property_schema in schema.get("properties", {}).items():
        for example in examples_of(resolve(document, property_schema)):
            found.append((f"body.{name} example {example!r}", {**base, name: example}))
    return found


def parameter_examples(operation: dict[str, Any]) -> dict[tuple[str, str], list[Any]]:
    return {
        (parameter["in"], parameter["name"]): examples_of(parameter, parameter.get("schema"))
        for parameter in operation.get("parameters", [])
    }


Variant = tuple[str, Any, tuple[str, str] | None, Any]
"""What a request tries, its body, and the parameter given the tried example (if one)."""


def variants(document: dict[str, Any], operation: dict[str, Any]) -> list[Variant]:
    bodies = body_examples(document, operation)
    tried: list[Variant] = [(what, body, None, None) for what, body in bodies]
    base_body = bodies[0][1] if bodies else None
    for (place, name), examples in parameter_examples(operation).items():
        for example in examples:
            tried.append((f"{place}.{name} example {example!r}", base_body, (place, name), example))
    return tried or [("no example body", None, None, None)]


def example_requests(document: dict[str, Any]) -> Iterator[ExampleRequest]:
    """One request per example of each operation, the other inputs at their first example."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            parameters = parameter_examples(operation)
            for what, body, chosen, value in variants(document, operation):
                yield _request(method, path, what, body, parameters, chosen, value)


def _request(
    method: str,
    path: str,
    what: str,
    body: Any,
    parameters: dict[tuple[str, str], list[Any]],
    chosen: tuple[str, str] | None,
    value: Any,
) -> ExampleRequest:
    request = ExampleRequest(method.upper(), path, what, body=body)
    places = {"path": request.path_parameters, "query": request.query, "header": request.headers}
    for key, examples in parameters.items():
        picked = value if key == chosen else (examples[0] if examples else None)
        if picked is not None and key[0] in places:
            places[key[0]][key[1]] = picked
    return request


def with_seeded_references(value: Any, brand: SeededBrand, name: str = "") -> Any:
    if isinstance(value, ExampleRequest):
        path_parameters = with_seeded_references(value.path_parameters, brand)
        return dataclasses.replace(value, path_parameters=path_parameters)
    if isinstance(value, dict):
        return {key: with_seeded_references(item, brand, key) for key, item in value.items()}
    if isinstance(value, list):
        return [with_seeded_references(item, brand, name) for item in value]
    if isinstance(value, str):
        if name == INVITE_CODE_FIELD:
            return brand.invite_code
        shape = ID_SHAPE.match(value)
        if shape is not None and brand.ids.get(shape.group(1)):
            return brand.first(shape.group(1))
    return value


def single_use(headers: dict[str, str], spent: set[str]) -> dict[str, str]:
    """``headers`` with each single-use value already sent replaced by a fresh one."""
    fresh = {}
    for name, value in headers.items():
        if name.lower() in SINGLE_USE_HEADERS:
            value = uuid.uuid4().hex if value in spent else value
            spent.add(value)
        fresh[name] = value
    return fresh


def send(platform: Platform, package: str, request: ExampleRequest) -> tuple[int, str]:
    client = platform.services[package].client
    brand = platform.brand
    response = None
    for caller in (brand.hq, platform_admin()):
        response = client.request(
            request.method,
            with_seeded_references(request, brand).url(),
            params=with_seeded_references(request.query, brand),
            headers={**request.headers, **caller},
            json=with_seeded_references(request.body, brand),
        )
        if response.status_code != 403:
            break
    assert response is not None
    return response.status_code, response.text


def refused_examples(platform: Platform, package: str) -> list[str]:
    document = platform.services[package].app.openapi()
    refused = []
    spent: set[str] = set()
    for request in example_requests(document):
        request.headers = single_use(request.headers, spent)
        status, text = send(platform, package, request)
        if status in REFUSED_AS_INVALID:
            refused.append(f"{request.method} {request.path} ({request.what}): {status} {text}")
    return refused


@pytest.mark.parametrize("package", PACKAGES)
def test_every_documented_example_is_accepted(platform: Platform, package: str) -> None:
    refused = refused_examples(platform, package)

    assert not refused, f"{len(refused)} examples refused by {package}:\n" + "\n".join(refused)
