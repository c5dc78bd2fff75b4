"""Composition root of the service-orders service: the one place adapters are built."""

from __future__ import annotations

from rapport_events.clock import Clock
from rapport_events.directory import DIRECTORY_MIGRATIONS, with_directory
from rapport_platform.service import Runtime, ServiceDefinition

from service_orders.adapters import MIGRATIONS
from service_orders.adapters.postgres import PostgresServiceOrdersUnitOfWork
from service_orders.application.handlers import ServiceOrdersHandlers
from service_orders.application.queries import ServiceOrdersQueries
from service_orders.entrypoints.consumers import subscriptions
from service_orders.entrypoints.errors import ERRORS
from service_orders.entrypoints.http import router
from service_orders.settings import SERVICE_NAME, ServiceOrdersSettings

DESCRIPTION = (
    "Appointments, the visits that complete them, reviews of visits, and purchases. Bookings, "
    "cancellations, no-shows, visits, reviews and purchases are announced on "
    "`rapport.service-orders.orders` for loyalty and journey.\n\n"
    "A brand's outside systems (a POS, the mini-program, a dealer's ERP) may instead publish "
    "bookings, visits and purchases on the brand's ingestion topic `rapport.ingest.<brand id>`; "
    "they are applied with the same checks and rules as these routes and announced the same "
    "way (see `docs/events/integrating.md`).\n\n"
    "The members, stores and staff a request names are checked against a local replica of "
    "identity's directory, fed by identity's events. A member registered (or a store opened) "
    "a moment ago may be unknown for that moment: the request is refused with 422 "
    "`unknown_reference`, like an id that does not exist or belongs to another brand, and "
    "succeeds when retried a second later."
)
OPENAPI_TAGS = [
    {
        "name": "appointments",
        "description": "Bookings and their outcomes: completion, cancellation, no-show.",
    },
    {"name": "reviews", "description": "Members' reviews of their visits."},
    {"name": "purchases", "description": "Products and packages members bought."},
]


def definition(
    settings: ServiceOrdersSettings | None = None, clock: Clock | None = None
) -> ServiceDefinition:
    runtime = Runtime(settings or ServiceOrdersSettings(), clock)

    def unit_of_work() -> PostgresServiceOrdersUnitOfWork:
        # The pool exists once the service has started: reached when a request opens a unit.
        return PostgresServiceOrdersUnitOfWork(
            runtime.pool, source=runtime.source, clock=runtime.clock
        )

    handlers = ServiceOrdersHandlers(unit_of_work, runtime.clock)
    return ServiceDefinition(
        name=SERVICE_NAME,
        title="Rapport service orders",
        description=DESCRIPTION,
        runtime=runtime,
        routers=[router(handlers, ServiceOrdersQueries(unit_of_work))],
        errors=ERRORS,
        migrations=[MIGRATIONS, DIRECTORY_MIGRATIONS],
        subscriptions=with_directory(subscriptions(handlers)),
        consumer_unit_of_work=unit_of_work,
        openapi_tags=OPENAPI_TAGS,
    )
