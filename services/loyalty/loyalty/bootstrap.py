"""Composition root of the loyalty service."""

from __future__ import annotations

from pydantic import Field
from rapport_platform.service import ServiceDefinition
from rapport_platform.settings import ServiceSettings

from loyalty.adapters import MIGRATIONS
from loyalty.entrypoints.consumers import subscriptions
from loyalty.entrypoints.http import routers

SERVICE_NAME = "loyalty"


class LoyaltySettings(ServiceSettings):
    service_name: str = SERVICE_NAME
    http_port: int = Field(default=8103, ge=1, le=65535)


def definition(settings: LoyaltySettings | None = None) -> ServiceDefinition:
    return ServiceDefinition(
        name=SERVICE_NAME,
        title="Rapport loyalty",
        description=(
            "Event-sourced points accounts. Paid visits and purchases earn one point per whole "
            "yuan; balances, tiers and each account's history are read here."
        ),
        settings=settings or LoyaltySettings(),
        routers=routers,
        migrations=MIGRATIONS,
        subscriptions=subscriptions,
        openapi_tags=[{"name": "points", "description": "Members' points accounts."}],
    )
