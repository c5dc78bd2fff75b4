from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from identity.adapters.memory import InMemoryIdentity
from identity.entrypoints.http import IdentityWiring, identity_router
from rapport_events.clock import ManualClock
from rapport_events.contracts.identity import MemberBoundToAssociate, MemberRegistered
from rapport_platform.app import create_app
from rapport_platform.auth import Principal, Role, mint_token, verify_token

from tests.unit.identity.fakes import NOW, cheap_hasher

SECRET = "a-test-secret-that-is-long-enough-for-hs256"
TTL = timedelta(hours=2)


@pytest.fixture
def db() -> InMemoryIdentity:
    return InMemoryIdentity(ManualClock(NOW))


@pytest.fixture
def app(db: InMemoryIdentity) -> FastAPI:
    wiring = IdentityWiring(
        unit_of_work=db.unit_of_work,
        clock=lambda: db.clock,
        hasher=cheap_hasher(),
        token_ttl=TTL,
    )
    app = create_app(
        title="identity",
        description="",
        version="test",
        routers=[identity_router(wiring)],
        readiness_checks={},
    )
    app.state.auth_secret = SECRET
    app.state.auth_clock = ManualClock(NOW)
    return app


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://identity") as client:
        yield client


def bearer(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(SECRET, principal, now=NOW)}"}


ADMIN = bearer(Principal(subject="ops", role=Role.PLATFORM_ADMIN))


async def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


class Brand:
    """A brand set up through the API: HQ token, a store, an associate."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.hq: dict[str, str] = {}
        self.brand_id = ""
        self.store_id = ""
        self.associate: dict[str, Any] = {}

    async def set_up(self, code: str = "lumiere") -> "Brand":
        brand = await ok(
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
        store = await ok(
            await self.client.post(
                "/v1/stores", headers=self.hq, json={"name": "Jing'an", "city": "Shanghai"}
            ),
            201,
        )
        self.store_id = store["store_id"]
        self.associate = await self.staff("wangli")
        return self

    async def log_in(self, code: str, username: str, password: str) -> dict[str, str]:
        login = await ok(
            await self.client.post(
                "/v1/auth/token",
                json={"brand_code": code, "username": username, "password": password},
            )
        )
        return {"Authorization": f"Bearer {login['access_token']}"}

    async def staff(self, username: str, role: str = "associate", store_id: str = "") -> Any:
        return await ok(
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
        body = {"name": "梁晓雯", "phone": phone, "store_id": self.store_id, **extra}
        return await self.client.post("/v1/members", headers=headers or self.hq, json=body)


@pytest_asyncio.fixture
async def brand(client: httpx.AsyncClient) -> Brand:
    return await Brand(client).set_up()


async def test_login_answers_a_token_for_the_staff_member(
    client: httpx.AsyncClient, brand: Brand
) -> None:
    login = await ok(
        await client.post(
            "/v1/auth/token",
            json={"brand_code": "lumiere", "username": "wangli", "password": "wangli-password"},
        )
    )

    assert login["token_type"] == "bearer"
    assert login["expires_in"] == TTL.total_seconds()
    assert login["principal"] == {
        "subject": brand.associate["staff_id"],
        "role": "associate",
        "brand_id": brand.brand_id,
        "store_id": brand.store_id,
        "name": "Wangli",
    }
    principal = verify_token(SECRET, login["access_token"], now=NOW + TTL - timedelta(seconds=1))
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
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "unknown user or wrong password"


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
    client: httpx.AsyncClient, brand: Brand, db: InMemoryIdentity
) -> None:
    member = await ok(await brand.register(invite_code=brand.associate["invite_code"]), 201)

    assert member["phone"] == "+8613812345678"
    assert member["surname"] == "梁"
    assert member["associate_id"] == brand.associate["staff_id"]
    assert member["masked"] is False
    assert member["registered_at"] == "2026-03-01T10:30:00Z"
    types = [e.type for e in db.events if e.subject == member["member_id"]]
    assert types == [MemberRegistered.event_type, MemberBoundToAssociate.event_type]


async def test_binding_through_the_api(client: httpx.AsyncClient, brand: Brand) -> None:
    member = await ok(await brand.register(), 201)
    path = f"/v1/members/{member['member_id']}/binding"
    code = brand.associate["invite_code"]

    first = await ok(await client.post(path, headers=brand.hq, json={"invite_code": code}))
    again = await ok(await client.post(path, headers=brand.hq, json={"invite_code": code}))
    chen = await brand.staff("chenjing")
    conflict = await client.post(path, headers=brand.hq, json={"invite_code": chen["invite_code"]})

    assert first["associate_id"] == again["associate_id"] == brand.associate["staff_id"]
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "already_bound"


async def test_a_duplicate_phone_is_409(brand: Brand) -> None:
    await ok(await brand.register("13812345678"), 201)
    response = await brand.register("+86 138-1234-5678")
    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        "a member with this phone is already registered in this brand"
    )


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"phone": "021-6234-5678"}, "phone"),
        ({"birthday": "2026-03-02"}, "birthday"),
        ({"birthday": "1899-12-31"}, "birthday"),
        ({"invite_code": "0000OOOO"}, "invite_code"),
        ({"invite_code": "7KQ3M9XA"}, "invite_code"),
        ({"store_id": "sto_missing"}, "store_id"),
    ],
)
async def test_bad_values_are_422_naming_the_field(
    brand: Brand, extra: dict[str, str], field: str
) -> None:
    response = await brand.register(**extra)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert [problem["field"] for problem in error["fields"]] == [f"body.{field}"]
    assert field in error["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "梁晓雯", "store_id": "sto_1"}, "body.phone"),
        ({"name": "梁晓雯", "phone": "13812345678", "store_id": "s", "gender": "x"}, "body.gender"),
        ({"name": "梁晓雯", "phone": "13812345678", "store_id": "s", "mobile": "1"}, "body.mobile"),
    ],
)
async def test_malformed_bodies_are_422_naming_the_field(
    client: httpx.AsyncClient, brand: Brand, body: dict[str, str], field: str
) -> None:
    response = await client.post("/v1/members", headers=brand.hq, json=body)
    assert response.status_code == 422
    assert [p["field"] for p in response.json()["error"]["fields"]] == [field]


async def test_masking_and_scoping_by_role(client: httpx.AsyncClient, brand: Brand) -> None:
    bound = await ok(await brand.register(invite_code=brand.associate["invite_code"]), 201)
    unbound = await ok(await brand.register("13900001111", name="陈思思"), 201)
    associate = await brand.log_in("lumiere", "wangli", "wangli-password")
    system = bearer(Principal(subject="pos", role=Role.INTEGRATION, brand_id=brand.brand_id))

    mine = await ok(await client.get(f"/v1/members/{bound['member_id']}", headers=associate))
    masked = await ok(await client.get(f"/v1/members/{bound['member_id']}", headers=system))
    hidden = await client.get(f"/v1/members/{unbound['member_id']}", headers=associate)
    listed = await ok(await client.get("/v1/members", headers=associate))

    assert (mine["name"], mine["phone"]) == ("梁晓雯", "+8613812345678")
    assert (masked["name"], masked["phone"], masked["masked"]) == ("梁**", "+86138****5678", True)
    assert hidden.status_code == 404
    assert [m["member_id"] for m in listed["items"]] == [bound["member_id"]]


async def test_platform_administrators_have_no_access_to_members(
    client: httpx.AsyncClient, brand: Brand
) -> None:
    member = await ok(await brand.register(), 201)
    assert (await client.get("/v1/members", headers=ADMIN)).status_code == 403
    response = await client.get(f"/v1/members/{member['member_id']}", headers=ADMIN)
    assert response.status_code == 403


async def test_members_of_another_brand_are_404(client: httpx.AsyncClient, brand: Brand) -> None:
    member = await ok(await brand.register(), 201)
    other = await Brand(client).set_up("other")
    response = await client.get(f"/v1/members/{member['member_id']}", headers=other.hq)
    assert response.status_code == 404


async def test_store_staff_register_into_their_own_store(
    client: httpx.AsyncClient, brand: Brand
) -> None:
    elsewhere = await ok(
        await client.post("/v1/stores", headers=brand.hq, json={"name": "Tianhe", "city": "GZ"}),
        201,
    )
    associate = await brand.log_in("lumiere", "wangli", "wangli-password")

    own = await ok(await brand.register("138 1234 5678", associate), 201)
    other = await brand.register("13900001111", associate, store_id=elsewhere["store_id"])

    assert own["associate_id"] == brand.associate["staff_id"]
    assert other.status_code == 403


async def test_paging_through_members(client: httpx.AsyncClient, brand: Brand) -> None:
    for index in range(5):
        await ok(await brand.register(f"1390000{index:04d}"), 201)

    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = await ok(await client.get("/v1/members", headers=brand.hq, params=params))
        seen.extend(m["member_id"] for m in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert len(seen) == len(set(seen)) == 5
    bad = await client.get("/v1/members", headers=brand.hq, params={"cursor": "garbage"})
    assert bad.status_code == 422
    too_many = await client.get("/v1/members", headers=brand.hq, params={"limit": 201})
    assert too_many.status_code == 422


async def test_staff_and_stores_listings(client: httpx.AsyncClient, brand: Brand) -> None:
    manager = await brand.staff("zhao", role="store_manager")
    as_manager = await brand.log_in("lumiere", "zhao", "zhao-password")

    stores = await ok(await client.get("/v1/stores", headers=as_manager))
    staff = await ok(await client.get("/v1/staff", headers=as_manager))
    created = await ok(
        await client.post(
            "/v1/staff",
            headers=as_manager,
            json={
                "store_id": brand.store_id,
                "role": "associate",
                "display_name": "Chen Jing",
                "username": "chenjing",
                "password": "chenjing-password",
            },
        ),
        201,
    )
    refused = await client.post(
        "/v1/staff",
        headers=as_manager,
        json={
            "store_id": brand.store_id,
            "role": "store_manager",
            "display_name": "Another",
            "username": "another",
            "password": "another-password",
        },
    )
    duplicate = await client.post(
        "/v1/staff",
        headers=brand.hq,
        json={
            "store_id": brand.store_id,
            "role": "associate",
            "display_name": "Wang Li",
            "username": "WANGLI",
            "password": "wangli-password",
        },
    )

    assert [s["store_id"] for s in stores["items"]] == [brand.store_id]
    assert {s["username"] for s in staff["items"]} == {"wangli", "zhao"}
    assert manager["invite_code"] is None
    assert len(created["invite_code"]) == 8
    assert refused.status_code == 403
    assert duplicate.status_code == 409
    assert (await client.get("/v1/stores", headers=ADMIN)).status_code == 403


async def test_the_docs_carry_examples(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    components = schema["components"]["schemas"]
    for model in ("MemberIn", "BrandIn", "LoginIn", "StaffIn", "StoreIn", "BindingIn"):
        assert components[model]["examples"], model
