"""Composition root of the service-orders service."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field
from rapport_platform.service import Runtime, ServiceDefinition
from rapport_platform.settings import ServiceSettings

from service_orders.adapters import MIGRATIONS
from service_orders.adapters.postgres import (
    PostgresAppointments,
    PostgresPurchases,
    PostgresServiceOrdersUnitOfWork,
)
from service_orders.application.handlers import ServiceOrdersHandlers
from service_orders.application.queries import ServiceOrdersQueries
from service_orders.entrypoints.http import build_router

SERVICE_NAME = "service-orders"


class ServiceOrdersSettings(ServiceSettings):
    service_name: str = SERVICE_NAME
    http_port: int = Field(default=8102, ge=1, le=65535)


def routers(runtime: Runtime) -> list[APIRouter]:
    def handlers() -> ServiceOrdersHandlers:
        return ServiceOrdersHandlers(
            begin=lambda: PostgresServiceOrdersUnitOfWork(runtime.unit_of_work()),
            clock=runtime.clock,
        )

    def queries() -> ServiceOrdersQueries:
        return ServiceOrdersQueries(
            PostgresAppointments(runtime.pool), PostgresPurchases(runtime.pool)
        )

    return [build_router(handlers, queries)]


def definition(settings: ServiceOrdersSettings | None = None) -> ServiceDefinition:
    return ServiceDefinition(
        name=SERVICE_NAME,
        title="Rapport service orders",
        description=(
            "Appointments, the visits that complete them, and purchases. Bookings, visits and "
            "purchases are announced on `rapport.service-orders.orders` for loyalty and journey."
        ),
        settings=settings or ServiceOrdersSettings(),
        routers=routers,
        migrations=MIGRATIONS,
        openapi_tags=[
            {"name": "appointments", "description": "Bookings, their completion and cancellation."},
            {"name": "purchases", "description": "Products and packages members bought."},
        ],
    )
