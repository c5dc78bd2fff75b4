"""A demo brand to look at after ``make run``: stores, associates, members, a few visits.

Idempotent: a second run finds the brand and only logs in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from rapport_platform.auth import Principal, Role, mint_token
from rapport_platform.settings import DEV_AUTH_SECRET

BRAND_CODE = "lumiere"
HQ_USERNAME = "hq"
HQ_PASSWORD = "lumiere-hq-2026"

STORES = [("Jing'an flagship", "Shanghai"), ("Tianhe", "Guangzhou")]
ASSOCIATES = [("Wang Li", "wangli"), ("Chen Jing", "chenjing")]
MEMBERS = [
    ("梁晓雯", "13812345678", "female", "1992-05-17"),
    ("陈思思", "13900001111", "female", "1988-11-02"),
    ("Zhou Min", "13700002222", "male", "1979-01-23"),
]


@dataclass
class Demo:
    brand_code: str = BRAND_CODE
    hq_username: str = HQ_USERNAME
    hq_password: str = HQ_PASSWORD
    hq_token: str = ""
    member_ids: list[str] = field(default_factory=list)


class SeedError(RuntimeError):
    pass


def _check(response: httpx.Response, *expected: int) -> Any:
    if response.status_code not in expected:
        raise SeedError(
            f"{response.request.method} {response.request.url} answered "
            f"{response.status_code}: {response.text}"
        )
    return response.json()


async def seed(urls: dict[str, str]) -> Demo:
    demo = Demo()
    admin = mint_token(
        DEV_AUTH_SECRET,
        Principal(subject="make-run", role=Role.PLATFORM_ADMIN),
        now=datetime.now(UTC),
    )
    async with httpx.AsyncClient(base_url=urls["identity"], timeout=15) as identity:
        created = await identity.post(
            "/v1/brands",
            headers={"Authorization": f"Bearer {admin}"},
            json={
                "code": BRAND_CODE,
                "name": "Lumière Nails & Beauty",
                "hq_username": HQ_USERNAME,
                "hq_password": HQ_PASSWORD,
            },
        )
        fresh = _check(created, 201, 409) and created.status_code == 201
        login = _check(
            await identity.post(
                "/v1/auth/token",
                json={"brand_code": BRAND_CODE, "username": HQ_USERNAME, "password": HQ_PASSWORD},
            ),
            200,
        )
        demo.hq_token = login["access_token"]
        hq = {"Authorization": f"Bearer {demo.hq_token}"}
        if fresh:
            demo.member_ids = await _populate(identity, urls, hq)
        else:
            listed = _check(await identity.get("/v1/members", headers=hq), 200)
            demo.member_ids = [member["member_id"] for member in listed["items"]]
    return demo


async def _populate(
    identity: httpx.AsyncClient, urls: dict[str, str], hq: dict[str, str]
) -> list[str]:
    print("Rapport: seeding the demo brand…", flush=True)
    stores = [
        _check(await identity.post("/v1/stores", headers=hq, json={"name": n, "city": c}), 201)
        for n, c in STORES
    ]
    invite_codes = []
    for (display_name, username), store in zip(ASSOCIATES, stores, strict=True):
        associate = _check(
            await identity.post(
                "/v1/staff",
                headers=hq,
                json={
                    "store_id": store["store_id"],
                    "role": "associate",
                    "display_name": display_name,
                    "username": username,
                    "password": f"{username}-2026",
                },
            ),
            201,
        )
        invite_codes.append(associate["invite_code"])
    member_ids = []
    for number, (name, phone, gender, birthday) in enumerate(MEMBERS):
        store = stores[number % len(stores)]
        member = _check(
            await identity.post(
                "/v1/members",
                headers=hq,
                json={
                    "name": name,
                    "phone": phone,
                    "gender": gender,
                    "birthday": birthday,
                    "store_id": store["store_id"],
                    "invite_code": invite_codes[number % len(invite_codes)],
                },
            ),
            201,
        )
        member_ids.append(member["member_id"])
    async with httpx.AsyncClient(base_url=urls["service-orders"], timeout=15, headers=hq) as orders:
        soon = datetime.now(UTC) + timedelta(hours=1)
        for member_id, store in zip(member_ids, stores * 2, strict=False):
            appointment = _check(
                await orders.post(
                    "/v1/appointments",
                    json={
                        "member_id": member_id,
                        "store_id": store["store_id"],
                        "service_code": "gel-manicure",
                        "scheduled_at": soon.isoformat(),
                    },
                ),
                201,
            )
            _check(
                await orders.post(
                    f"/v1/appointments/{appointment['appointment_id']}/completion",
                    json={"amount": "268.00"},
                ),
                200,
            )
    return member_ids
