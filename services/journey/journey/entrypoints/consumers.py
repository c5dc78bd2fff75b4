"""The events journey listens to: registrations, bindings, visits and delivery results."""

from __future__ import annotations

from rapport_events.consumer import Subscription
from rapport_events.contracts.identity import MemberBoundToAssociate, MemberRegistered
from rapport_events.contracts.notifier import MessageDelivered, MessageDeliveryFailed
from rapport_events.contracts.service_orders import VisitCompleted
from rapport_events.envelope import EventEnvelope
from rapport_events.topics import IDENTITY_MEMBERS, NOTIFIER_DELIVERIES, SERVICE_ORDERS
from rapport_events.uow import UnitOfWork
from rapport_platform.service import Runtime

from journey.adapters.postgres import PostgresJourneyUnitOfWork
from journey.application import handlers
from journey.domain.rules import Rulebook
from journey.settings import rulebook_of


def subscriptions(runtime: Runtime) -> list[Subscription]:
    return subscriptions_with(rulebook_of(runtime.settings))


def subscriptions_with(rules: Rulebook) -> list[Subscription]:
    async def on_registered(
        event: MemberRegistered, envelope: EventEnvelope, uow: UnitOfWork
    ) -> None:
        await handlers.member_registered(event, envelope, PostgresJourneyUnitOfWork(uow), rules)

    async def on_bound(
        event: MemberBoundToAssociate, envelope: EventEnvelope, uow: UnitOfWork
    ) -> None:
        await handlers.member_bound(event, envelope, PostgresJourneyUnitOfWork(uow))

    async def on_visit(event: VisitCompleted, envelope: EventEnvelope, uow: UnitOfWork) -> None:
        await handlers.visit_completed(event, envelope, PostgresJourneyUnitOfWork(uow), rules)

    async def on_delivery(
        event: MessageDelivered | MessageDeliveryFailed, envelope: EventEnvelope, uow: UnitOfWork
    ) -> None:
        await handlers.delivery_result(event, PostgresJourneyUnitOfWork(uow))

    return [
        Subscription(
            topic=IDENTITY_MEMBERS,
            handlers={MemberRegistered: on_registered, MemberBoundToAssociate: on_bound},
        ),
        Subscription(topic=SERVICE_ORDERS, handlers={VisitCompleted: on_visit}),
        Subscription(
            topic=NOTIFIER_DELIVERIES,
            handlers={MessageDelivered: on_delivery, MessageDeliveryFailed: on_delivery},
        ),
    ]
