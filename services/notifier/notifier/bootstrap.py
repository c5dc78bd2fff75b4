"""Composition root of the notifier service."""

from __future__ import annotations

from pydantic import Field
from rapport_platform.service import ServiceDefinition
from rapport_platform.settings import ServiceSettings

from notifier.adapters import MIGRATIONS
from notifier.entrypoints.consumers import subscriptions
from notifier.entrypoints.http import routers

SERVICE_NAME = "notifier"


class NotifierSettings(ServiceSettings):
    service_name: str = SERVICE_NAME
    http_port: int = Field(default=8105, ge=1, le=65535)


def definition(settings: NotifierSettings | None = None) -> ServiceDefinition:
    return ServiceDefinition(
        name=SERVICE_NAME,
        title="Rapport notifier",
        description=(
            "Turns the touchpoints journey requests into messages from each brand's templates, "
            "applies the contact rules (70-character SMS and WeChat texts, at most 2 marketing "
            "pushes per member per 7 days), delivers them through the local channel and "
            "publishes each result on rapport.notifier.deliveries."
        ),
        settings=settings or NotifierSettings(),
        routers=routers,
        migrations=MIGRATIONS,
        subscriptions=subscriptions,
        openapi_tags=[
            {"name": "deliveries", "description": "What was sent to whom, and what was not."},
            {"name": "templates", "description": "Message and task templates per brand."},
        ],
    )
