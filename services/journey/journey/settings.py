"""Settings of the journey service (``RAPPORT_*`` variables).

What members go through is not configured here: it is the brand's journey map (the default
map until HQ publishes its own; see ``docs/journey-maps.md``).
"""

from __future__ import annotations

from pydantic import Field
from rapport_platform.settings import ServiceSettings

SERVICE_NAME = "journey"


class JourneySettings(ServiceSettings):
    service_name: str = SERVICE_NAME
    http_port: int = Field(default=8104, ge=1, le=65535)
    consumer_batch: int = Field(
        default=2000,
        ge=1,
        le=20_000,
        description="Records per consumer fetch round; each partition's share is placed at once.",
    )
    timer_batch: int = Field(
        default=500, ge=1, le=10_000, description="Due timers fired per transaction."
    )
    active_maps_refresh_seconds: float = Field(
        default=2.0,
        gt=0,
        le=300,
        description="How often a replica looks again at which map versions are active.",
    )
