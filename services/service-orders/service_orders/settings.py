"""Configuration of the service-orders service (``RAPPORT_*`` variables)."""

from __future__ import annotations

from pydantic import Field
from rapport_platform.settings import ServiceSettings

SERVICE_NAME = "service-orders"


class ServiceOrdersSettings(ServiceSettings):
    service_name: str = SERVICE_NAME
    http_port: int = Field(default=8102, ge=1, le=65535)
