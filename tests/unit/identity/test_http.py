"""The HTTP API on the in-memory fakes: the real router, handlers and queries."""

import re
from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from identity.entrypoints import schemas
from identity.entrypoints.errors import ERRORS
from identity.entrypoints.http import router
from pydantic import BaseModel
from rapport_events.contracts.identity import MemberBoundToAssociate, MemberRegistered
from rapport_platform.auth import Role, verify_token

from tests.support.http import SECRET, api_app, api_client, bearer, ok, principal, refused
from tests.unit.identity.world import TOKEN_TIME, TOKEN_TTL, World, new_world

ADMIN = bearer(Role.PLATFORM_ADMIN)


@pytest.fixture
def world() -> World:
    return new_world()


@pytest_asyncio.fixture
async def client(world: World) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(api_app([router(world.handlers, world.queries)], ERRORS)) as client:
        yield client


class Brand:
    """A brand set up through the API: HQ token, a store, an associate."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.hq: dict[str, str] = {}
        self.brand_id = ""
        self.store_id = ""
        self.associate: dict[str, Any] = {}

    async def set_up(self, code: str = "lumiere") -> "Brand":
        brand = ok(
            await self.client.post(
                "/v1/brands",
                headers=ADMIN,
                json={
                    "code": code,
                    "name": "Lumière",
                    "hq_username": "hq",
                    "hq_password": "hq-password-1",
                },
            ),
            201,
        )
        self.brand_id = brand["brand_id"]
        self.hq = await self.log_in(code, "hq", "hq-password-1")
        self.store_id = (await self.store("Jing'an"))["store_id"]
        self.associate = await self.staff("wangli")
        return self

    async def store(self, name: str) -> Any:
        body = {"name": name, "city": "Shanghai"}
        return ok(await self.client.post("/v1/stores", headers=self.hq, json=body), 201)

    async def log_in(self, code: str, username: str, password: str) -> dict[str, str]:
        login = ok(
            await self.client.post(
                "/v1/auth/token",
                json={"brand_code": code, "username": username, "password": password},
            )
        )
        return {"Authorization": f"Bearer {login['access_token']}"}

    async def staff(self, username: str, role: str = "associate", store_id: str = "") -> Any:
        return ok(
            await self.client.post(
                "/v1/staff",
                headers=self.hq,
                json={
                    "store_id": store_id or self.store_id,
                    "role": role,
                    "display_name": username.title(),
                    "username": username,
                    "password": f"{username}-password",
                },
            ),
            201,
        )

    async def register(
        self,
        phone: str = "138 1234 5678",
        headers: Mapping[str, str] | None = None,
        /,
        **extra: str,
    ) -> httpx.Response:
        body = {
            "name": "梁晓雯",
            "surname": "梁",
            "phone": phone,
            "store_id": self.store_id,
            **extra,
        }
        return await self.client.post("/v1/members", headers=headers or self.hq, json=body)


@pytest_asyncio.fixture
async def brand(client: httpx.AsyncClient) -> Brand:
    return await Brand(client).set_up()


async def test_login_answers_a_token_for_the_staff_member(
    client: httpx.AsyncClient, brand: Brand
) -> None:
    login = ok(
        await client.post(
            "/v1/auth/token",
            json={"brand_code": "lumiere", "username": "wangli", "password": "wangli-password"},
        )
    )

    assert login["token_type"] == "bearer"
    assert login["expires_in"] == TOKEN_TTL.total_seconds()
    assert login["principal"] == {
        "subject": brand.associate["staff_id"],
        "role": "associate",
        "brand_id": brand.brand_id,
        "store_id": brand.store_id,
        "name": "Wangli",
    }
    principal = verify_token(
        SECRET, login["access_token"], now=TOKEN_TIME + TOKEN_TTL - timedelta(seconds=1)
    )
    assert principal.subject == brand.associate["staff_id"]


@pytest.mark.parametrize(
    "credentials",
    [
        {"brand_code": "lumiere", "username": "wangli", "password": "wrong-password"},
        {"brand_code": "lumiere", "username": "nobody", "password": "wangli-password"},
        {"brand_code": "nowhere", "username": "wangli", "password": "wangli-password"},
    ],
)
async def test_failed_logins_are_401_with_one_message(
    client: httpx.AsyncClient, brand: Brand, credentials: dict[str, str]
) -> None:
    response = await client.post("/v1/auth/token", json=credentials)
    error = refused(response, 401, "invalid_credentials")
    assert error["message"] == "unknown user or wrong password"
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_only_platform_administrators_create_brands(
    client: httpx.AsyncClient, brand: Brand
) -> None:
    body = {"code": "other", "name": "Other", "hq_username": "hq", "hq_password": "password-1"}
    assert (await client.post("/v1/brands", headers=brand.hq, json=body)).status_code == 403
    assert (await client.post("/v1/brands", json=body)).status_code == 401
    again = await client.post("/v1/brands", headers=ADMIN, json={**body, "code": "lumiere"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "brand_code_taken"


async def test_registering_with_an_invite_code_binds_and_announces(
    client: httpx.AsyncClient, brand: Brand, world: World
) -> None:
    member = ok(await brand.register(invite_code=brand.associate["invite_code"]), 201)

    assert member["phone"] == "+8613812345678"
    assert member["surname"] == "梁"
    assert member["associate_id"] == brand.associate["staff_id"]
    assert member["masked"] is False
    assert member["registered_at"] == "2026-03-01T10:30:00Z"
    types = [e.type for e in world.events if e.subject == member["member_id"]]
    assert types == [MemberRegistered.event_type, MemberBoundToAssociate.event_type]


async def test_binding_through_the_api(client: httpx.AsyncClient, brand: Brand) -> None:
    member = ok(await brand.register(), 201)
    path = f"/v1/members/{member['member_id']}/binding"
    code = brand.associate["invite_code"]

    first = ok(await client.post(path, headers=brand.hq, json={"invite_code": code}))
    again = ok(await client.post(path, headers=brand.hq, json={"invite_code": code}))
    chen = await brand.staff("chenjing")
    conflict = await client.post(path, headers=brand.hq, json={"invite_code": chen["invite_code"]})

    assert first["associate_id"] == again["associate_id"] == brand.associate["staff_id"]
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "already_bound"


async def test_a_duplicate_phone_is_409(brand: Brand) -> None:
    ok(await brand.register("13812345678"), 201)
    response = await brand.register("+86 138-1234-5678")
    error = refused(response, 409, "phone_taken")
    assert error["message"] == "a member with this phone is already registered in this brand"
    assert error["fields"] == [
        {"field": "body.phone", "message": "already registered in this brand"}
    ]


@pytest.mark.parametrize(
    ("extra", "field", "code"),
    [
        ({"phone": "021-6234-5678"}, "phone", "invalid_phone"),
        ({"birthday": "2026-03-02"}, "birthday", "invalid_birthday"),
        ({"birthday": "1899-12-31"}, "birthday", "invalid_birthday"),
        ({"invite_code": "0000OOOO"}, "invite_code", "invalid_invite_code"),
        ({"invite_code": "7KQ3M9XA"}, "invite_code", "unknown_reference"),
        ({"store_id": "sto_missing"}, "store_id", "unknown_reference"),
        ({"surname": "   "}, "surname", "invalid_value"),
    ],
)
async def test_bad_values_are_422_naming_the_field(
    brand: Brand, extra: dict[str, str], field: str, code: str
) -> None:
    error = refused(await brand.register(**extra), 422, code)
    assert [problem["field"] for problem in error["fields"]] == [f"body.{field}"]
    assert field in error["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"surname": "梁", "store_id": "sto_1"}, "body.phone"),
        ({"phone": "13812345678", "store_id": "sto_1"}, "body.surname"),
        ({"surname": "W" * 21, "phone": "13812345678", "store_id": "sto_1"}, "body.surname"),
        ({"surname": "梁", "phone": "13812345678", "store_id": "s", "gender": "x"}, "body.gender"),
        ({"surname": "梁", "phone": "13812345678", "store_id": "s", "mobile": "1"}, "body.mobile"),
    ],
)
async def test_malformed_bodies_are_422_naming_the_field(
    client: httpx.AsyncClient, brand: Brand, body: dict[str, str], field: str
) -> None:
    response = await client.post("/v1/members", headers=brand.hq, json={"name": "梁晓雯", **body})
    error = refused(response, 422, "validation_failed")
    assert [p["field"] for p in error["fields"]] == [field]


async def test_masking_and_scoping_by_role(client: httpx.AsyncClient, brand: Brand) -> None:
    bound = ok(await brand.register(invite_code=brand.associate["invite_code"]), 201)
    unbound = ok(await brand.register("13900001111", name="陈思思"), 201)
    associate = await brand.log_in("lumiere", "wangli", "wangli-password")
    system = bearer(principal(Role.INTEGRATION, brand_id=brand.brand_id, subject="pos"))

    mine = ok(await client.get(f"/v1/members/{bound['member_id']}", headers=associate))
    masked = ok(await client.get(f"/v1/members/{bound['member_id']}", headers=system))
    hidden = await client.get(f"/v1/members/{unbound['member_id']}", headers=associate)
    listed = ok(await client.get("/v1/members", headers=associate))

    assert (mine["name"], mine["phone"]) == ("梁晓雯", "+8613812345678")
    assert (masked["name"], masked["phone"], masked["masked"]) == ("梁**", "+86138****5678", True)
    refused(hidden, 404, "member_not_found")
    assert [m["member_id"] for m in listed["items"]] == [bound["member_id"]]


async def test_platform_administrators_have_no_access_to_members(
    client: httpx.AsyncClient, brand: Brand
) -> None:
    member = ok(await brand.register(), 201)
    assert (await client.get("/v1/members", headers=ADMIN)).status_code == 403
    response = await client.get(f"/v1/members/{member['member_id']}", headers=ADMIN)
    assert response.status_code == 403


async def test_members_of_another_brand_are_404(client: httpx.AsyncClient, brand: Brand) -> None:
    member = ok(await brand.register(), 201)
    other = await Brand(client).set_up("other")
    response = await client.get(f"/v1/members/{member['member_id']}", headers=other.hq)
    refused(response, 404, "member_not_found")
    binding = await client.post(
        f"/v1/members/{member['member_id']}/binding",
        headers=other.hq,
        json={"invite_code": other.associate["invite_code"]},
    )
    refused(binding, 404, "member_not_found")


async def test_store_staff_register_into_their_own_store(
    client: httpx.AsyncClient, brand: Brand
) -> None:
    elsewhere = await brand.store("Tianhe")
    associate = await brand.log_in("lumiere", "wangli", "wangli-password")

    own = ok(await brand.register("138 1234 5678", associate), 201)
    other = await brand.register("13900001111", associate, store_id=elsewhere["store_id"])

    assert own["associate_id"] == brand.associate["staff_id"]
    refused(other, 404, "not_found")


async def test_paging_through_members(client: httpx.AsyncClient, brand: Brand) -> None:
    for index in range(5):
        ok(await brand.register(f"1390000{index:04d}"), 201)

    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = ok(await client.get("/v1/members", headers=brand.hq, params=params))
        seen.extend(m["member_id"] for m in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert len(seen) == len(set(seen)) == 5
    for listing in ("/v1/members", "/v1/stores", "/v1/staff"):
        bad = await client.get(listing, headers=brand.hq, params={"cursor": "garbage"})
        assert refused(bad, 422, "invalid_cursor")["fields"][0]["field"] == "query.cursor"
        too_many = await client.get(listing, headers=brand.hq, params={"limit": 201})
        assert refused(too_many, 422)["fields"][0]["field"] == "query.limit"


def staff_body(username: str, store_id: str, role: str = "associate") -> dict[str, str]:
    return {
        "store_id": store_id,
        "role": role,
        "display_name": username.title(),
        "username": username,
        "password": f"{username}-password",
    }


async def test_staff_and_stores_listings(client: httpx.AsyncClient, brand: Brand) -> None:
    manager = await brand.staff("zhao", role="store_manager")
    as_manager = await brand.log_in("lumiere", "zhao", "zhao-password")

    stores = ok(await client.get("/v1/stores", headers=as_manager))
    staff = ok(await client.get("/v1/staff", headers=as_manager))
    created = ok(
        await client.post(
            "/v1/staff", headers=as_manager, json=staff_body("chenjing", brand.store_id)
        ),
        201,
    )
    other_role = await client.post(
        "/v1/staff",
        headers=as_manager,
        json=staff_body("another", brand.store_id, role="store_manager"),
    )
    duplicate = await client.post(
        "/v1/staff", headers=brand.hq, json=staff_body("WANGLI", brand.store_id)
    )

    assert [s["store_id"] for s in stores["items"]] == [brand.store_id]
    assert stores["next_cursor"] is None
    assert {s["username"] for s in staff["items"]} == {"wangli", "zhao"}
    assert manager["invite_code"] is None
    assert len(created["invite_code"]) == 8
    refused(other_role, 403, "forbidden")
    assert refused(duplicate, 409, "username_taken")["fields"][0]["field"] == "body.username"
    refused(await client.get("/v1/stores", headers=ADMIN), 403)


async def test_another_store_does_not_exist_for_store_staff(
    client: httpx.AsyncClient, brand: Brand
) -> None:
    elsewhere = (await brand.store("Tianhe"))["store_id"]
    await brand.staff("zhao", role="store_manager")
    as_manager = await brand.log_in("lumiere", "zhao", "zhao-password")
    as_associate = await brand.log_in("lumiere", "wangli", "wangli-password")
    in_other_store = {"store_id": elsewhere}

    staff = await client.get("/v1/staff", headers=as_manager, params=in_other_store)
    members = await client.get("/v1/members", headers=as_manager, params=in_other_store)
    creation = await client.post(
        "/v1/staff", headers=as_manager, json=staff_body("chenjing", elsewhere)
    )
    colleague = {"associate_id": "stf_1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d"}
    bound_to_another = await client.get("/v1/members", headers=as_associate, params=colleague)

    for response in (staff, members, creation, bound_to_another):
        refused(response, 404, "not_found")
    listed = ok(await client.get("/v1/staff", headers=brand.hq, params=in_other_store))
    assert listed == {"items": [], "next_cursor": None}


async def test_staff_are_paged_by_name(client: httpx.AsyncClient, brand: Brand) -> None:
    for username in ("bo", "an"):
        await brand.staff(username)

    first = ok(await client.get("/v1/staff", headers=brand.hq, params={"limit": 2}))
    cursor = first["next_cursor"]
    rest = ok(await client.get("/v1/staff", headers=brand.hq, params={"cursor": cursor}))

    names = [s["display_name"] for s in first["items"] + rest["items"]]
    assert names == ["An", "Bo", "Headquarters", "Wangli"]
    assert rest["next_cursor"] is None


REQUEST_BODIES: dict[str, type[BaseModel]] = {
    "MemberIn": schemas.MemberIn,
    "BrandIn": schemas.BrandIn,
    "LoginIn": schemas.LoginIn,
    "StaffIn": schemas.StaffIn,
    "StoreIn": schemas.StoreIn,
    "BindingIn": schemas.BindingIn,
}
ID_SHAPES = re.compile(r"^(brd|sto|stf|mbr)_[0-9a-f]{32}$")


def ids_in(example: Mapping[str, Any]) -> list[str]:
    return [v for k, v in example.items() if k.endswith(("_id", "subject")) and v is not None]


async def test_the_docs_carry_examples_the_server_accepts(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    components = schema["components"]["schemas"]
    for name, model in REQUEST_BODIES.items():
        examples = components[name]["examples"]
        assert examples, name
        for example in examples:
            model.model_validate(example)
            assert all(ID_SHAPES.match(value) for value in ids_in(example)), example
    for name in ("MemberOut", "StaffOut", "StoreOut", "PrincipalOut"):
        for example in components[name]["examples"]:
            assert ids_in(example) and all(ID_SHAPES.match(v) for v in ids_in(example)), name


async def test_a_documented_member_can_be_registered(
    client: httpx.AsyncClient, brand: Brand
) -> None:
    registered: list[str] = []
    for example in schemas.MEMBER_IN_EXAMPLES:
        body = {**example, "store_id": brand.store_id, "invite_code": None}
        if "referred_by" in example:  # the example's id, replaced with one of this brand's
            body["referred_by"] = registered[0]
        member = ok(await client.post("/v1/members", headers=brand.hq, json=body), 201)
        assert member["surname"] == example["surname"]
        registered.append(member["member_id"])


async def test_every_write_naming_another_brands_things_is_refused_like_an_unknown_one(
    client: httpx.AsyncClient, brand: Brand
) -> None:
    other = await Brand(client).set_up("aurora")
    theirs = ok(await other.register("139 0000 3333"), 201)
    ours = ok(await brand.register("139 0000 4444"), 201)
    unknown_store = "sto_" + "0" * 32
    staff = {"role": "associate", "display_name": "Xu", "username": "xu", "password": "xu-password"}
    cases = [
        ("member into their store", "/v1/members", {"store_id": other.store_id}),
        ("member into no store", "/v1/members", {"store_id": unknown_store}),
        ("staff at their store", "/v1/staff", {**staff, "store_id": other.store_id}),
        ("staff at no store", "/v1/staff", {**staff, "store_id": unknown_store}),
    ]
    answers = {}
    for name, route, extra in cases:
        body = (
            {"name": "梁晓雯", "surname": "梁", "phone": "137 0000 5555"}
            if "member" in name
            else {}
        )
        response = await client.post(route, headers=brand.hq, json={**body, **extra})
        detail = refused(response, 422, "unknown_reference")
        answers[name] = detail["message"].replace(extra["store_id"], "<store>")
    assert answers["member into their store"] == answers["member into no store"]
    assert answers["staff at their store"] == answers["staff at no store"]

    their_code = other.associate["invite_code"]
    refused(
        await client.post(
            f"/v1/members/{ours['member_id']}/binding",
            headers=brand.hq,
            json={"invite_code": their_code},
        ),
        422,
        "unknown_reference",
    )
    refused(
        await client.post(
            f"/v1/members/{theirs['member_id']}/binding",
            headers=brand.hq,
            json={"invite_code": brand.associate["invite_code"]},
        ),
        404,
        "member_not_found",
    )
    listed = ok(await client.get("/v1/members", headers=brand.hq))
    assert [m["member_id"] for m in listed["items"]] == [ours["member_id"]]


async def test_a_member_may_name_her_referrer_of_the_brand(
    client: httpx.AsyncClient, brand: Brand, world: World
) -> None:
    other = await Brand(client).set_up("aurora")
    theirs = ok(await other.register("139 0000 3333"), 201)
    referrer = ok(await brand.register("139 0000 1111"), 201)

    joined = ok(await brand.register("139 0000 2222", referred_by=referrer["member_id"]), 201)
    elsewhere = await brand.register("139 0000 4444", referred_by=theirs["member_id"])
    nobody = await brand.register("139 0000 5555", referred_by="mbr_" + "0" * 32)

    assert joined["referred_by"] == referrer["member_id"]
    referral = world.database.published()[-1]
    assert referral.type == "rapport.identity.referral.made"
    assert referral.data["member_id"] == referrer["member_id"]
    assert referral.data["newcomer_id"] == joined["member_id"]
    for response in (elsewhere, nobody):
        detail = refused(response, 422, "unknown_reference")
        assert [problem["field"] for problem in detail["fields"]] == ["body.referred_by"]
    assert elsewhere.json() == nobody.json()  # nothing tells one from the other
