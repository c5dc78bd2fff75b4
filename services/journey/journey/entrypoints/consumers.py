"""The events journey listens to: registrations, bindings, visits and delivery results."""

from __future__ import annotations

from collections.abc import Callable

from rapport_events.consumer import Handler, Subscription
from rapport_events.contracts.identity import MemberBoundToAssociate, MemberRegistered
from rapport_events.contracts.notifier import MessageDelivered, MessageDeliveryFailed
from rapport_events.contracts.service_orders import VisitCompleted
from rapport_events.envelope import EventEnvelope
from rapport_events.topics import IDENTITY_MEMBERS, NOTIFIER_DELIVERIES, SERVICE_ORDERS
from rapport_events.uow import UnitOfWork
from rapport_platform.service import Runtime

from journey.adapters.postgres import PostgresJourneyStore
from journey.application import handlers
from journey.domain.journey import LifecycleRules


def subscriptions_with(rules: LifecycleRules) -> Callable[[Runtime], list[Subscription]]:
    async def on_registered(
        event: MemberRegistered, envelope: EventEnvelope, uow: UnitOfWork
    ) -> None:
        await handlers.member_registered(event, envelope, PostgresJourneyStore(uow.connection), uow)

    async def on_bound(
        event: MemberBoundToAssociate, envelope: EventEnvelope, uow: UnitOfWork
    ) -> None:
        await handlers.member_bound(event, envelope, PostgresJourneyStore(uow.connection), uow)

    async def on_visit(event: VisitCompleted, envelope: EventEnvelope, uow: UnitOfWork) -> None:
        await handlers.visit_completed(
            event, envelope, PostgresJourneyStore(uow.connection), uow, rules
        )

    async def on_delivery(
        event: MessageDelivered | MessageDeliveryFailed, envelope: EventEnvelope, uow: UnitOfWork
    ) -> None:
        await handlers.delivery_result(event, PostgresJourneyStore(uow.connection))

    delivery: Handler = on_delivery

    def subscriptions(_: Runtime) -> list[Subscription]:
        return [
            Subscription(
                topic=IDENTITY_MEMBERS,
                handlers={MemberRegistered: on_registered, MemberBoundToAssociate: on_bound},
            ),
            Subscription(topic=SERVICE_ORDERS, handlers={VisitCompleted: on_visit}),
            Subscription(
                topic=NOTIFIER_DELIVERIES,
                handlers={MessageDelivered: delivery, MessageDeliveryFailed: delivery},
            ),
        ]

    return subscriptions
