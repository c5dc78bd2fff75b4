"""Configuration of the loyalty service (``RAPPORT_*`` variables)."""

from __future__ import annotations

from pydantic import Field
from rapport_platform.settings import ServiceSettings

SERVICE_NAME = "loyalty"


class LoyaltySettings(ServiceSettings):
    service_name: str = SERVICE_NAME
    http_port: int = Field(default=8103, ge=1, le=65535)
