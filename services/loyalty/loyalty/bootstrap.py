"""Composition root of the loyalty service: the one place that builds adapters."""

from __future__ import annotations

from rapport_events.clock import Clock
from rapport_events.directory import DIRECTORY_MIGRATIONS, with_directory
from rapport_platform.service import Runtime, ServiceDefinition

from loyalty.adapters import MIGRATIONS
from loyalty.adapters.postgres import PostgresLoyaltyUnitOfWork
from loyalty.application.handlers import LoyaltyHandlers
from loyalty.application.queries import LoyaltyQueries
from loyalty.entrypoints.consumers import subscriptions
from loyalty.entrypoints.errors import ERRORS
from loyalty.entrypoints.http import router
from loyalty.settings import SERVICE_NAME, LoyaltySettings

__all__ = ["SERVICE_NAME", "LoyaltySettings", "definition"]


def definition(
    settings: LoyaltySettings | None = None, clock: Clock | None = None
) -> ServiceDefinition:
    runtime = Runtime(settings or LoyaltySettings(), clock)

    def unit_of_work() -> PostgresLoyaltyUnitOfWork:
        # The pool exists only once the service has started: reach it when a unit opens.
        return PostgresLoyaltyUnitOfWork(runtime.pool, source=runtime.source, clock=runtime.clock)

    handlers = LoyaltyHandlers(unit_of_work, runtime.clock)
    queries = LoyaltyQueries(unit_of_work)
    return ServiceDefinition(
        name=SERVICE_NAME,
        title="Rapport loyalty",
        description=(
            "Event-sourced points accounts. Paid visits and purchases earn one point per whole "
            "yuan; balances, tiers and each account's history are read here. A member whose "
            "cumulative spend crosses 500, 2,000 or 5,000 yuan moves up to member, silver or "
            "gold, announced as `rapport.loyalty.tier.changed`."
        ),
        runtime=runtime,
        routers=[router(handlers, queries)],
        errors=ERRORS,
        migrations=[MIGRATIONS, DIRECTORY_MIGRATIONS],
        subscriptions=with_directory(subscriptions(handlers)),
        consumer_unit_of_work=unit_of_work,
        openapi_tags=[{"name": "points", "description": "Members' points accounts."}],
    )
