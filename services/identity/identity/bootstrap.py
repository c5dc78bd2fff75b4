"""Composition root of the identity service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi import APIRouter
from rapport_platform.pii import FieldCipher
from rapport_platform.service import Runtime, ServiceDefinition

from identity.adapters import MIGRATIONS
from identity.adapters.passwords import ScryptPasswordHasher
from identity.adapters.postgres import PostgresIdentityUnitOfWork
from identity.entrypoints.http import IdentityWiring, identity_router
from identity.settings import SERVICE_NAME, IdentitySettings


def _routers(settings: IdentitySettings) -> Callable[[Runtime], list[APIRouter]]:
    cipher = FieldCipher(settings.pii_key)

    def routers(runtime: Runtime) -> list[APIRouter]:
        wiring = IdentityWiring(
            unit_of_work=lambda: PostgresIdentityUnitOfWork(runtime.unit_of_work(), cipher),
            clock=lambda: runtime.clock,
            hasher=ScryptPasswordHasher(),
            token_ttl=timedelta(hours=settings.token_ttl_hours),
        )
        return [identity_router(wiring)]

    return routers


def definition(settings: IdentitySettings | None = None) -> ServiceDefinition:
    settings = settings or IdentitySettings()
    return ServiceDefinition(
        name=SERVICE_NAME,
        title="Rapport identity",
        description=(
            "Brands, stores, staff logins and members. Members are registered here, bound to "
            "the associate whose invite code they used, and announced on "
            "`rapport.identity.members`. Names and phones are encrypted at rest and masked "
            "for callers who do not serve the member."
        ),
        settings=settings,
        routers=_routers(settings),
        migrations=MIGRATIONS,
        openapi_tags=[
            {"name": "brands", "description": "Brands (platform administrators)."},
            {"name": "auth", "description": "Staff login."},
            {"name": "stores", "description": "A brand's stores."},
            {"name": "staff", "description": "HQ, store managers and associates."},
            {"name": "members", "description": "Members, and their binding to associates."},
        ],
    )
