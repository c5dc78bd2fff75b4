"""Touchpoints requested by journey become deliveries.

The handler runs inside the consumer's transaction, after the inbox has filtered
redeliveries of the same event; the adapters it uses share that transaction.
"""

from __future__ import annotations

from rapport_events.consumer import Subscription
from rapport_events.contracts.journey import TouchpointRequested
from rapport_events.topics import JOURNEY_TOUCHPOINTS
from rapport_events.uow import UnitOfWork
from rapport_platform.service import Runtime

from notifier.adapters.local_channel import LocalChannel
from notifier.adapters.postgres import PostgresDeliveries, PostgresTemplates
from notifier.application.handlers import DeliverTouchpoint
from notifier.application.ports import DeliveryPorts


def local_ports(uow: UnitOfWork) -> DeliveryPorts:
    deliveries = PostgresDeliveries(uow.connection)
    return DeliveryPorts(
        deliveries=deliveries,
        templates=PostgresTemplates(uow.connection),
        channel=LocalChannel(deliveries),
    )


def subscriptions(runtime: Runtime) -> list[Subscription]:
    return [
        Subscription(
            topic=JOURNEY_TOUCHPOINTS,
            handlers={TouchpointRequested: DeliverTouchpoint[UnitOfWork](local_ports)},
        )
    ]
