"""Configuration of the notifier service (``RAPPORT_*`` variables)."""

from __future__ import annotations

from pydantic import Field
from rapport_platform.settings import ServiceSettings

SERVICE_NAME = "notifier"


class NotifierSettings(ServiceSettings):
    service_name: str = SERVICE_NAME
    http_port: int = Field(default=8105, ge=1, le=65535)
