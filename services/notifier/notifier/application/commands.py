"""Commands the notifier accepts, and the touchpoint journey's event asks to deliver."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rapport_events.contracts.journey import TouchpointRequested

from notifier.domain.contact_policy import ContactPolicy, MarketingCap, QuietHours, clock_time
from notifier.domain.deliveries import Touchpoint
from notifier.domain.templates import ChannelName


@dataclass(frozen=True)
class SaveTemplate:
    """Store the brand's own version of template ``key``.

    ``brand_id`` is named only by a platform administrator; everyone else saves for their
    own brand.
    """

    key: str
    channel: ChannelName
    body: str
    brand_id: str | None = None


def touchpoint_of(event: TouchpointRequested) -> Touchpoint:
    return Touchpoint(
        touchpoint_id=event.touchpoint_id,
        brand_id=event.brand_id,
        member_id=event.member_id,
        recipient_id=event.recipient_id,
        template=event.template,
        channel=event.channel,
        audience=event.audience,
        marketing=event.marketing,
        store_id=event.store_id,
        variables=dict(event.variables),
    )


@dataclass(frozen=True)
class SaveContactPolicy:
    """Replace the brand's contact policy. Times are ``HH:MM`` in ``time_zone`` (an IANA
    name); ``brand_id`` is named only by a platform administrator."""

    marketing_limit: int
    marketing_window_days: int
    quiet_hours_enabled: bool
    quiet_start: str
    quiet_end: str
    time_zone: str
    brand_id: str | None = None

    def policy(self) -> ContactPolicy:
        """The policy asked for; raises ``InvalidContactPolicy`` naming the field at fault."""
        return ContactPolicy(
            marketing_cap=MarketingCap.of_days(self.marketing_limit, self.marketing_window_days),
            quiet_hours=QuietHours(
                start=clock_time(self.quiet_start, field="quiet_hours.start"),
                end=clock_time(self.quiet_end, field="quiet_hours.end"),
                time_zone=self.time_zone,
                enabled=self.quiet_hours_enabled,
            ),
        )


RELEASE_BATCH = 100


@dataclass(frozen=True)
class ReleaseHeldMessages:
    """Send (or cap) up to ``limit`` held messages whose quiet hours ended by ``now``."""

    now: datetime
    limit: int = RELEASE_BATCH
