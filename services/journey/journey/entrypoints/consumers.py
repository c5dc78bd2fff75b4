"""The events journey listens to: registrations, bindings, visits and delivery results."""

from __future__ import annotations

from rapport_events.consumer import Subscription
from rapport_events.contracts.identity import MemberBoundToAssociate, MemberRegistered
from rapport_events.contracts.notifier import MessageDelivered, MessageDeliveryFailed
from rapport_events.contracts.service_orders import VisitCompleted
from rapport_events.topics import IDENTITY_MEMBERS, NOTIFIER_DELIVERIES, SERVICE_ORDERS

from journey.application.handlers import JourneyHandlers


def subscriptions(handlers: JourneyHandlers) -> list[Subscription]:
    return [
        Subscription(
            topic=IDENTITY_MEMBERS,
            handlers={
                MemberRegistered: handlers.on_member_registered,
                MemberBoundToAssociate: handlers.on_member_bound,
            },
        ),
        Subscription(topic=SERVICE_ORDERS, handlers={VisitCompleted: handlers.on_visit_completed}),
        Subscription(
            topic=NOTIFIER_DELIVERIES,
            handlers={
                MessageDelivered: handlers.on_delivery_result,
                MessageDeliveryFailed: handlers.on_delivery_result,
            },
        ),
    ]
