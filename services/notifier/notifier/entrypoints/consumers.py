"""Touchpoints requested by journey become deliveries.

The handler runs inside the consumer's unit of work, after its inbox has filtered
redeliveries of the same event; the repositories and the channel it uses share that
transaction. A touchpoint of another brand than its envelope's is dead-lettered.
"""

from __future__ import annotations

from rapport_events.consumer import Subscription
from rapport_events.contracts.journey import TouchpointRequested
from rapport_events.topics import JOURNEY_TOUCHPOINTS

from notifier.application.handlers import NotifierHandlers


def subscriptions(handlers: NotifierHandlers) -> list[Subscription]:
    return [
        Subscription(
            topic=JOURNEY_TOUCHPOINTS,
            handlers={TouchpointRequested: handlers.on_touchpoint_requested},
        )
    ]
