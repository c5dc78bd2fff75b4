"""Composition root of the notifier service: the one place that builds adapters."""

from __future__ import annotations

from rapport_events.clock import Clock
from rapport_events.directory import DIRECTORY_MIGRATIONS, with_directory
from rapport_platform.service import Runtime, ServiceDefinition

from notifier.adapters import MIGRATIONS
from notifier.adapters.postgres import PostgresNotifierUnitOfWork
from notifier.application.handlers import NotifierHandlers
from notifier.application.queries import NotifierQueries
from notifier.entrypoints.consumers import subscriptions
from notifier.entrypoints.errors import ERRORS
from notifier.entrypoints.held_messages import release_worker
from notifier.entrypoints.http import router
from notifier.settings import SERVICE_NAME, NotifierSettings

__all__ = ["SERVICE_NAME", "NotifierSettings", "definition"]


def definition(
    settings: NotifierSettings | None = None, clock: Clock | None = None
) -> ServiceDefinition:
    settings = settings or NotifierSettings()
    runtime = Runtime(settings, clock)

    def unit_of_work() -> PostgresNotifierUnitOfWork:
        # The pool exists only once the service has started: reach it when a unit opens.
        return PostgresNotifierUnitOfWork(runtime.pool, source=runtime.source, clock=runtime.clock)

    handlers = NotifierHandlers(unit_of_work, runtime.clock)
    queries = NotifierQueries(unit_of_work)
    return ServiceDefinition(
        name=SERVICE_NAME,
        title="Rapport notifier",
        description=(
            "Turns the touchpoints journey requests into messages from each brand's templates, "
            "applies the contact rules (70-character SMS and WeChat texts) and each brand's "
            "contact policy (by default at most 2 marketing pushes per member per 7 days, and "
            "member messages held during quiet hours, 21:00-08:00 Asia/Shanghai, until they "
            "end), delivers them through the local channel and publishes each result on "
            "rapport.notifier.deliveries; saved templates are announced on "
            "rapport.notifier.templates."
        ),
        runtime=runtime,
        routers=[router(handlers, queries)],
        errors=ERRORS,
        migrations=[MIGRATIONS, DIRECTORY_MIGRATIONS],
        subscriptions=with_directory(subscriptions(handlers)),
        consumer_unit_of_work=unit_of_work,
        workers=[release_worker(handlers, runtime.clock, settings.timer_poll_interval)],
        openapi_tags=[
            {"name": "deliveries", "description": "What was sent to whom, and what was not."},
            {"name": "templates", "description": "Message and task templates per brand."},
            {
                "name": "contact policy",
                "description": "Each brand's marketing cap and quiet hours.",
            },
        ],
    )
