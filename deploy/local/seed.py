"""A demo brand to look at after ``make run``: stores, associates, members, a few visits.

Idempotent: a second run finds the brand and only logs in.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from rapport_platform.auth import Principal, Role, mint_token
from rapport_platform.settings import DEV_AUTH_SECRET

from deploy.local.console import say

BRAND_CODE = "lumiere"
HQ_USERNAME = "hq"
HQ_PASSWORD = "lumiere-hq-2026"

STORES = [("Jing'an flagship", "Shanghai"), ("Tianhe", "Guangzhou")]

REPLICA_DEADLINE = 10.0
"""Seconds service-orders gets to hear of the members and stores identity just created."""
REPLICA_POLL_INTERVAL = 0.2


@dataclass(frozen=True)
class DemoAssociate:
    display_name: str
    username: str

    @property
    def password(self) -> str:
        return f"{self.username}-2026"


@dataclass(frozen=True)
class DemoMember:
    name: str
    surname: str
    phone: str
    gender: str
    birthday: str


# The n-th associate works in the n-th store.
ASSOCIATES = [DemoAssociate("Wang Li", "wangli"), DemoAssociate("Chen Jing", "chenjing")]
MEMBERS = [
    DemoMember("梁晓雯", "梁", "13812345678", "female", "1992-05-17"),
    DemoMember("陈思思", "陈", "13900001111", "female", "1988-11-02"),
    DemoMember("Zhou Min", "Zhou", "13700002222", "male", "1979-01-23"),
]


@dataclass(frozen=True)
class StaffLogin:
    """One seeded login: POST /v1/auth/token with the brand code, username and password."""

    who: str
    username: str
    password: str


def staff_logins() -> list[StaffLogin]:
    """The logins the seed creates: the HQ account, then each associate."""
    logins = [StaffLogin("HQ", HQ_USERNAME, HQ_PASSWORD)]
    for associate, (store, _city) in zip(ASSOCIATES, STORES, strict=True):
        who = f"associate {associate.display_name} ({store})"
        logins.append(StaffLogin(who, associate.username, associate.password))
    return logins


@dataclass
class Demo:
    brand_code: str = BRAND_CODE
    hq_username: str = HQ_USERNAME
    hq_password: str = HQ_PASSWORD
    hq_token: str = ""
    member_ids: list[str] = field(default_factory=list)
    logins: list[StaffLogin] = field(default_factory=staff_logins)


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
    async with httpx.AsyncClient(base_url=urls["identity"], timeout=15) as identity:
        fresh = await _create_brand(identity)
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


async def _create_brand(identity: httpx.AsyncClient) -> bool:
    """Creates the demo brand with its HQ login; False when it exists already."""
    admin = mint_token(
        DEV_AUTH_SECRET,
        Principal(subject="make-run", role=Role.PLATFORM_ADMIN),
        now=datetime.now(UTC),
    )
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
    return bool(_check(created, 201, 409)) and created.status_code == 201


async def _populate(
    identity: httpx.AsyncClient, urls: dict[str, str], hq: dict[str, str]
) -> list[str]:
    say("Rapport: seeding the demo brand…")
    stores = [
        _check(await identity.post("/v1/stores", headers=hq, json={"name": n, "city": c}), 201)
        for n, c in STORES
    ]
    invite_codes = await _create_associates(identity, hq, stores)
    member_ids = await _register_members(identity, hq, stores, invite_codes)
    async with httpx.AsyncClient(base_url=urls["service-orders"], timeout=15, headers=hq) as orders:
        await _record_visits(orders, member_ids, stores)
    return member_ids


async def _create_associates(
    identity: httpx.AsyncClient, hq: dict[str, str], stores: list[dict[str, Any]]
) -> list[str]:
    """One associate per store; returns their invite codes."""
    invite_codes = []
    for associate, store in zip(ASSOCIATES, stores, strict=True):
        created = _check(
            await identity.post(
                "/v1/staff",
                headers=hq,
                json={
                    "store_id": store["store_id"],
                    "role": "associate",
                    "display_name": associate.display_name,
                    "username": associate.username,
                    "password": associate.password,
                },
            ),
            201,
        )
        invite_codes.append(created["invite_code"])
    return invite_codes


async def _register_members(
    identity: httpx.AsyncClient,
    hq: dict[str, str],
    stores: list[dict[str, Any]],
    invite_codes: list[str],
) -> list[str]:
    """The members, spread over the stores and bound to the associates in turn."""
    member_ids = []
    for number, demo_member in enumerate(MEMBERS):
        store = stores[number % len(stores)]
        member = _check(
            await identity.post(
                "/v1/members",
                headers=hq,
                json={
                    "name": demo_member.name,
                    "surname": demo_member.surname,
                    "phone": demo_member.phone,
                    "gender": demo_member.gender,
                    "birthday": demo_member.birthday,
                    "store_id": store["store_id"],
                    "invite_code": invite_codes[number % len(invite_codes)],
                },
            ),
            201,
        )
        member_ids.append(member["member_id"])
    return member_ids


async def _record_visits(
    orders: httpx.AsyncClient, member_ids: list[str], stores: list[dict[str, Any]]
) -> None:
    """One completed gel manicure per member."""
    soon = datetime.now(UTC) + timedelta(hours=1)
    for member_id, store in zip(member_ids, stores * 2, strict=False):
        booking = {
            "member_id": member_id,
            "store_id": store["store_id"],
            "service_code": "gel-manicure",
            "scheduled_at": soon.isoformat(),
        }
        appointment = await _book_once_known(orders, booking)
        _check(
            await orders.post(
                f"/v1/appointments/{appointment['appointment_id']}/completion",
                json={"amount": "268.00"},
            ),
            200,
        )


async def _book_once_known(orders: httpx.AsyncClient, booking: dict[str, Any]) -> Any:
    """Books ``booking``, retried while service-orders does not know its member or store yet.

    Service-orders learns them from identity's events, a moment after identity answered; until
    then it refuses the booking with 422 ``unknown_reference``. Every retry carries the same
    Idempotency-Key, so that a booking is made once however many attempts it takes.
    """
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    deadline = time.monotonic() + REPLICA_DEADLINE
    waited = False
    while True:
        response = await orders.post("/v1/appointments", json=booking, headers=headers)
        if not _unknown_reference(response) or time.monotonic() >= deadline:
            break
        if not waited:
            say(f"  waiting for service-orders to hear of member {booking['member_id']}…")
            waited = True
        await asyncio.sleep(REPLICA_POLL_INTERVAL)
    if waited and response.status_code == 201:
        say(f"  member {booking['member_id']} is known to service-orders now")
    return _check(response, 201)


def _unknown_reference(response: httpx.Response) -> bool:
    if response.status_code != 422:
        return False
    error: dict[str, Any] = response.json().get("error", {})
    return error.get("code") == "unknown_reference"
