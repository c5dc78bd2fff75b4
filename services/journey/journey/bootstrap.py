"""Composition root of the journey service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from rapport_platform.service import Runtime, ServiceDefinition

from journey.adapters import MIGRATIONS
from journey.entrypoints.consumers import subscriptions
from journey.entrypoints.http import routers
from journey.entrypoints.timers import timer_worker
from journey.settings import SERVICE_NAME, JourneySettings

__all__ = ["JourneySettings", "definition", "workers"]


def workers(runtime: Runtime) -> list[Callable[[], Awaitable[None]]]:
    return [timer_worker(runtime)]


def definition(settings: JourneySettings | None = None) -> ServiceDefinition:
    return ServiceDefinition(
        name=SERVICE_NAME,
        title="Rapport journey",
        description=(
            "Places every member on the lifecycle map (new, potential, high-value, dormant, "
            "churn-risk, won back) from her registrations and visits, holds durable timers, "
            "and requests touchpoints such as the welcome-back message after 30 days without "
            "a visit. All endpoints need a bearer token; data is scoped to the caller's brand, "
            "store managers see their store and associates the members bound to them."
        ),
        settings=settings or JourneySettings(),
        routers=routers,
        migrations=MIGRATIONS,
        subscriptions=subscriptions,
        workers=workers,
        openapi_tags=[
            {"name": "journeys", "description": "Members' lifecycle stages and touchpoints."}
        ],
    )
