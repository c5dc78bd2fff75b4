"""Composition root of the journey service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from pydantic import Field
from rapport_platform.service import Runtime, ServiceDefinition
from rapport_platform.settings import ServiceSettings

from journey.adapters import MIGRATIONS
from journey.domain.journey import LifecycleRules
from journey.entrypoints.consumers import subscriptions_with
from journey.entrypoints.http import routers
from journey.entrypoints.timers import timer_worker

SERVICE_NAME = "journey"


class JourneySettings(ServiceSettings):
    service_name: str = SERVICE_NAME
    http_port: int = Field(default=8104, ge=1, le=65535)
    dormant_after_days: int = Field(default=30, ge=1, le=3650)


def definition(settings: JourneySettings | None = None) -> ServiceDefinition:
    settings = settings or JourneySettings()
    rules = LifecycleRules(dormant_after=timedelta(days=settings.dormant_after_days))

    def workers(runtime: Runtime) -> list[Callable[[], Awaitable[None]]]:
        return [timer_worker(runtime, rules)]

    return ServiceDefinition(
        name=SERVICE_NAME,
        title="Rapport journey",
        description=(
            "Places every member on the lifecycle map (new, potential, high-value, dormant, "
            "churn-risk, won back) from her events, holds durable timers and requests "
            "touchpoints such as the welcome-back message after 30 days without a visit."
        ),
        settings=settings,
        routers=routers,
        migrations=MIGRATIONS,
        subscriptions=subscriptions_with(rules),
        workers=workers,
        openapi_tags=[{"name": "journeys", "description": "Members' lifecycle stages."}],
    )
