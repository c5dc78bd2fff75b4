"""Composition root of the journey service: the one place adapters are built and wired."""

from __future__ import annotations

from rapport_events.clock import Clock
from rapport_events.directory import DIRECTORY_MIGRATIONS, with_directory
from rapport_platform.service import Runtime, ServiceDefinition

from journey.adapters import MIGRATIONS
from journey.adapters.map_documents import StaticTemplates, UncheckedCompiler, placeholder_default
from journey.adapters.postgres import PostgresJourneyUnitOfWork
from journey.application.figures import FigureQueries
from journey.application.handlers import JourneyHandlers
from journey.application.maps import (
    DefaultDocument,
    MapCompiler,
    MapHandlers,
    MapQueries,
    TemplateCatalogue,
)
from journey.application.queries import JourneyQueries
from journey.application.tasks import TaskHandlers, TaskQueries
from journey.application.timeline import TimelineQueries
from journey.entrypoints.consumers import subscriptions
from journey.entrypoints.errors import ERRORS
from journey.entrypoints.http import (
    figures_router,
    maps_router,
    router,
    tasks_router,
    timeline_router,
)
from journey.entrypoints.timers import timer_worker
from journey.settings import SERVICE_NAME, JourneySettings

__all__ = ["JourneySettings", "definition"]

DESCRIPTION = (
    "Places every member on the lifecycle map (new, potential, high-value, dormant, "
    "churn-risk, won back) from her registrations and visits, holds durable timers, "
    "and requests touchpoints such as the welcome-back message after 30 days without "
    "a visit. All endpoints need a bearer token; data is scoped to the caller's brand, "
    "store managers see their store and associates the members bound to them; anything "
    "outside the caller's scope answers 404."
)


def definition(
    settings: JourneySettings | None = None,
    clock: Clock | None = None,
    *,
    compiler: MapCompiler | None = None,
    templates: TemplateCatalogue | None = None,
    default_document: DefaultDocument | None = None,
) -> ServiceDefinition:
    """The service; ``compiler``, ``templates`` and ``default_document`` default to the
    stand-ins of :mod:`journey.adapters.map_documents` until the map compiler is wired."""
    settings = settings or JourneySettings()
    runtime = Runtime(settings, clock)
    compiler = compiler or UncheckedCompiler()
    templates = templates or StaticTemplates()
    default_document = default_document or placeholder_default

    def unit_of_work() -> PostgresJourneyUnitOfWork:
        return PostgresJourneyUnitOfWork(runtime.pool, source=runtime.source, clock=runtime.clock)

    handlers = JourneyHandlers(unit_of_work, runtime.clock, rules=settings.rulebook())
    queries = JourneyQueries(unit_of_work)
    maps = MapHandlers(unit_of_work, runtime.clock, compiler, templates, default_document)
    map_queries = MapQueries(unit_of_work, compiler, default_document)
    tasks = TaskHandlers(unit_of_work, runtime.clock)
    return ServiceDefinition(
        name=SERVICE_NAME,
        title="Rapport journey",
        description=DESCRIPTION,
        runtime=runtime,
        routers=[
            router(handlers, queries),
            timeline_router(TimelineQueries(unit_of_work)),
            maps_router(maps, map_queries),
            tasks_router(tasks, TaskQueries(unit_of_work), runtime.clock),
            figures_router(FigureQueries(unit_of_work, runtime.clock)),
        ],
        errors=ERRORS,
        migrations=[MIGRATIONS, DIRECTORY_MIGRATIONS],
        subscriptions=with_directory(subscriptions(handlers)),
        consumer_unit_of_work=unit_of_work,
        workers=[timer_worker(handlers, runtime.clock, settings.timer_poll_interval)],
        openapi_tags=[
            {"name": "journeys", "description": "Members' lifecycle stages and touchpoints."},
            {"name": "maps", "description": "HQ's journey maps: drafts, versions, schema."},
            {"name": "tasks", "description": "Staff tasks and alerts, and their actions."},
            {"name": "figures", "description": "Figures per brand, store and associate."},
        ],
    )
