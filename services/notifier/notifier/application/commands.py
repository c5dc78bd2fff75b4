"""Commands the notifier accepts, and the touchpoint journey's event asks to deliver."""

from __future__ import annotations

from dataclasses import dataclass

from rapport_events.contracts.journey import TouchpointRequested

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
