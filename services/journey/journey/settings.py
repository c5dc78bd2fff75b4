"""Settings of the journey service (``RAPPORT_*`` variables) and the rules they tune."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from rapport_platform.settings import ServiceSettings

from journey.domain.rules import (
    DORMANCY_AFTER,
    POTENTIAL_AFTER_VISITS,
    Rulebook,
    standard_rulebook,
)

SERVICE_NAME = "journey"


class JourneySettings(ServiceSettings):
    service_name: str = SERVICE_NAME
    http_port: int = Field(default=8104, ge=1, le=65535)
    dormant_after_days: int = Field(
        default=DORMANCY_AFTER.days,
        ge=1,
        le=3650,
        description="Days without a visit before she is dormant.",
    )
    potential_after_visits: int = Field(
        default=POTENTIAL_AFTER_VISITS,
        ge=2,
        le=100,
        description="Visits that make a new member a potential one.",
    )

    def rulebook(self) -> Rulebook:
        return standard_rulebook(
            dormant_after=timedelta(days=self.dormant_after_days),
            potential_after_visits=self.potential_after_visits,
        )
