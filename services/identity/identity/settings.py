"""Configuration of the identity service (``RAPPORT_*`` variables)."""

from __future__ import annotations

from pydantic import Field
from rapport_platform.settings import ServiceSettings

SERVICE_NAME = "identity"


class IdentitySettings(ServiceSettings):
    service_name: str = SERVICE_NAME
    http_port: int = Field(default=8101, ge=1, le=65535)
    token_ttl_hours: float = Field(
        default=12, gt=0, description="How long a staff login token stays valid."
    )
