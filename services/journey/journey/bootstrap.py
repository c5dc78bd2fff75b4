"""Composition root of the journey service: the one place adapters are built and wired."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from rapport_events.clock import Clock
from rapport_events.directory import DIRECTORY_MIGRATIONS, with_directory
from rapport_platform.service import Runtime, ServiceDefinition

from journey.adapters import MIGRATIONS
from journey.adapters.map_documents import MapDocuments, NotifierTemplates, trusted_templates
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
from journey.application.placement import Placement
from journey.application.queries import JourneyQueries
from journey.application.running_maps import RunningMaps
from journey.application.tasks import TaskHandlers, TaskQueries
from journey.application.timeline import TimelineQueries
from journey.domain.maps.defaults import default_map_document
from journey.domain.maps.model import CompiledMap
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
    """The service; ``compiler``, ``templates`` and ``default_document`` default to the map
    language's compiler, the notifier's templates (built-in and the brand's own) and the
    default map."""
    settings = settings or JourneySettings()
    runtime = Runtime(settings, clock)
    documents = MapDocuments()
    compiler = compiler or documents
    templates = templates or NotifierTemplates()
    default_document = default_document or default_map_document

    def unit_of_work() -> PostgresJourneyUnitOfWork:
        return PostgresJourneyUnitOfWork(runtime.pool, source=runtime.source, clock=runtime.clock)

    def compile_version(document: Mapping[str, Any], brand_id: str, version: int) -> CompiledMap:
        return documents.compile(document, brand_id, version, trusted_templates(document))

    running = RunningMaps(
        compile_version,
        default_document,
        runtime.clock,
        refresh=timedelta(seconds=settings.active_maps_refresh_seconds),
    )
    handlers = JourneyHandlers(unit_of_work, runtime.clock, Placement(running))
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
        finish_consumed=handlers.place,
        consumer_batch=settings.consumer_batch,
        event_time_watermarks=True,
        workers=[
            timer_worker(
                handlers, runtime.clock, settings.timer_poll_interval, settings.timer_batch
            )
        ],
        openapi_tags=[
            {"name": "journeys", "description": "Members' lifecycle stages and touchpoints."},
            {"name": "maps", "description": "HQ's journey maps: drafts, versions, schema."},
            {"name": "tasks", "description": "Staff tasks and alerts, and their actions."},
            {"name": "figures", "description": "Figures per brand, store and associate."},
        ],
    )
