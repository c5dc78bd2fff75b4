"""Touchpoints requested by journey become deliveries.

The handler runs inside the consumer's unit of work, after its inbox has filtered
redeliveries of the same event; the repositories and the channel it uses share that
transaction. ``bootstrap.py`` adds identity's directory feed to them (``with_directory``),
which keeps the replica the reference checks read and refuses an event naming a member of
another brand; a touchpoint whose envelope, recipient or store is another brand's is
dead-lettered too.
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
