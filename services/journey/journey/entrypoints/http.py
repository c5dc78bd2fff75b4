"""HTTP API: a member's journey, and how many members stand at each stage."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from rapport_events.clock import Clock
from rapport_platform.auth import Principal, require_roles
from rapport_platform.errors import ErrorResponse, error_body, error_responses
from rapport_platform.http import DEFAULT_LIMIT, Cursor, ItemsPage, Limit

from journey.application.access import (
    FIGURE_READERS,
    MAP_EDITORS,
    MAP_READERS,
    READERS,
    TASK_HOLDERS,
)
from journey.application.commands import (
    CompleteTask,
    PostponeTask,
    PublishMap,
    RepublishMapVersion,
    SaveMapDraft,
    SendTaskSuggestion,
    ValidateMap,
)
from journey.application.figures import FigureQueries
from journey.application.handlers import JourneyHandlers
from journey.application.maps import MEDIA_TYPES, InvalidMap, MapHandlers, MapQueries
from journey.application.ports import TaskStatus
from journey.application.queries import JourneyQueries
from journey.application.tasks import TaskHandlers, TaskQueries
from journey.application.timeline import TimelineQueries
from journey.domain.maps.model import KEY_PATTERN
from journey.entrypoints.errors import UnsupportedMediaType
from journey.entrypoints.schemas import (
    ASSOCIATE_EXAMPLE,
    MAP_BODY,
    MAP_KEY_EXAMPLE,
    MEMBER_EXAMPLE,
    STORE_EXAMPLE,
    TASK_EXAMPLE_ID,
    GoalFiguresOut,
    InvalidMapResponse,
    JourneyOut,
    MapOut,
    MapSummaryOut,
    MapValidationOut,
    MapVersionOut,
    StageCountsOut,
    StageFiguresOut,
    StagesOverTimeOut,
    TaskDoneIn,
    TaskFiguresOut,
    TaskOut,
    TaskPostponeIn,
    TimelineEntryOut,
    TransitionFiguresOut,
    WinBackFiguresOut,
)

T = TypeVar("T")

Reader = Annotated[Principal, Depends(require_roles(*READERS))]
MemberId = Annotated[
    str,
    Path(min_length=1, max_length=64, description="The member's id.", examples=[MEMBER_EXAMPLE]),
]
StoreFilter = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=64,
        description="Count only this store's members (store staff always see their own store).",
        examples=[STORE_EXAMPLE],
    ),
]


def router(handlers: JourneyHandlers, queries: JourneyQueries) -> APIRouter:
    """The journey routes; they only read (``handlers`` react to events, not to HTTP)."""
    routes = APIRouter(prefix="/v1", tags=["journeys"])

    @routes.get(
        "/members/{member_id}/journey",
        response_model=JourneyOut,
        responses=error_responses(401, 403, 404, 422),
        summary="A member's stage, visits, stage history and touchpoints",
        description=(
            "Another brand's member, another store's member (store managers) and a member "
            "not bound to the caller (associates) all answer 404."
        ),
    )
    async def get_journey(member_id: MemberId, caller: Reader) -> JourneyOut:
        return JourneyOut.of(await queries.journey(caller, member_id))

    @routes.get(
        "/stages",
        response_model=StageCountsOut,
        responses=error_responses(401, 403, 404, 422),
        summary="How many of the brand's members stand at each lifecycle stage",
        description=("Store staff always count their own store; naming another store answers 404."),
    )
    async def stage_counts(caller: Reader, store_id: StoreFilter = None) -> StageCountsOut:
        return StageCountsOut.of(await queries.stage_counts(caller, store_id))

    return routes


# ----------------------------------------------------------------------------- maps

MapEditor = Annotated[Principal, Depends(require_roles(*MAP_EDITORS))]
MapReader = Annotated[Principal, Depends(require_roles(*MAP_READERS))]
MapKey = Annotated[
    str,
    Path(
        pattern=KEY_PATTERN, max_length=64, description="The map's key.", examples=[MAP_KEY_EXAMPLE]
    ),
]
MapVersionNumber = Annotated[
    int, Path(ge=0, le=1_000_000, description="0 is the built-in default.", examples=[1])
]
YAML_ALIASES = ("application/x-yaml", "text/yaml", "text/x-yaml")
MAP_ERRORS: dict[int | str, dict[str, Any]] = {
    **error_responses(401, 403, 404, 413, 415),
    422: {"model": InvalidMapResponse},
}


def _media_type(request: Request) -> str:
    given = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if given in YAML_ALIASES:
        return "application/yaml"
    if given not in MEDIA_TYPES:
        raise UnsupportedMediaType(
            f"send the map as {' or '.join(MEDIA_TYPES)}, not {given or 'no content type'}"
        )
    return given


async def _map_text(request: Request) -> str:
    try:
        return (await request.body()).decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidMap([]) from error


async def _or_invalid_map(call: Awaitable[T]) -> T | JSONResponse:
    """The answer of ``call``, or a 422 listing every problem of an invalid map."""
    try:
        return await call
    except InvalidMap as invalid:
        body = error_body("invalid_map", invalid.message)
        body["error"]["errors"] = [
            {"path": problem.path, "message": problem.message} for problem in invalid.problems
        ]
        body["error"]["fields"] = [
            {"field": f"body.{p.path}" if p.path else "body", "message": p.message}
            for p in invalid.problems
        ]
        return JSONResponse(body, status_code=422)


def maps_router(handlers: MapHandlers, queries: MapQueries) -> APIRouter:
    """HQ's maps: drafts, validation, publication, versions and the document schema."""
    routes = APIRouter(prefix="/v1/maps", tags=["maps"])

    @routes.get(
        "/schema.json",
        responses=error_responses(401, 403),
        summary="The JSON Schema of map documents",
    )
    async def map_schema(caller: MapReader) -> dict[str, Any]:
        return dict(queries.schema())

    @routes.get(
        "",
        response_model=ItemsPage[MapSummaryOut],
        responses=error_responses(401, 403, 422),
        summary="The brand's maps, by key",
        description="A brand that has no `lifecycle` map of its own lists the built-in one.",
    )
    async def list_maps(
        caller: MapReader, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
    ) -> ItemsPage[MapSummaryOut]:
        page = await queries.maps(caller, limit=limit, cursor=cursor)
        return ItemsPage.of(page, MapSummaryOut.of)

    @routes.get(
        "/{key}",
        response_model=MapOut,
        responses=error_responses(401, 403, 404, 422),
        summary="A map: its draft and its versions",
    )
    async def get_map(key: MapKey, caller: MapReader) -> MapOut:
        return MapOut.of_view(await queries.map(caller, key))

    @routes.put(
        "/{key}/draft",
        response_model=MapOut,
        responses=MAP_ERRORS,
        summary="Save the map's draft (YAML or JSON)",
        description=(
            "A draft only has to be a YAML or JSON mapping; it is checked when validated "
            "or published. A `key` in the document must be the path's."
        ),
        openapi_extra={"requestBody": MAP_BODY},
    )
    async def save_draft(key: MapKey, request: Request, caller: MapEditor) -> Any:
        command = SaveMapDraft(key, await _map_text(request), _media_type(request))
        view = await _or_invalid_map(handlers.save_draft(caller, command))
        return view if isinstance(view, JSONResponse) else MapOut.of_view(view)

    @routes.post(
        "/{key}/validation",
        response_model=MapValidationOut,
        responses=MAP_ERRORS,
        summary="Check a map document as its next version would be checked",
        description="Stores nothing. An invalid map answers 422 `invalid_map` with every error.",
        openapi_extra={"requestBody": MAP_BODY},
    )
    async def validate_map(key: MapKey, request: Request, caller: MapEditor) -> Any:
        command = ValidateMap(key, await _map_text(request), _media_type(request))
        version = await _or_invalid_map(handlers.validate(caller, command))
        if isinstance(version, JSONResponse):
            return version
        return MapValidationOut(valid=True, version=version)

    @routes.post(
        "/{key}/publication",
        response_model=MapVersionOut,
        status_code=201,
        responses={**MAP_ERRORS, 409: {"model": ErrorResponse}},
        summary="Publish the draft as the next, immutable version",
        description="Members in flight stay on the version they entered with.",
    )
    async def publish_map(key: MapKey, caller: MapEditor) -> Any:
        view = await _or_invalid_map(handlers.publish(caller, PublishMap(key)))
        return view if isinstance(view, JSONResponse) else MapVersionOut.of_view(view)

    @routes.get(
        "/{key}/versions/{version}",
        response_model=MapVersionOut,
        responses=error_responses(401, 403, 404, 422),
        summary="One version of a map, with its document",
    )
    async def get_version(
        key: MapKey, version: MapVersionNumber, caller: MapReader
    ) -> MapVersionOut:
        return MapVersionOut.of_view(await queries.version(caller, key, version))

    @routes.post(
        "/{key}/versions/{version}/republication",
        response_model=MapVersionOut,
        status_code=201,
        responses={**MAP_ERRORS, 409: {"model": ErrorResponse}},
        summary="Publish an earlier version again, as the next version (a rollback)",
    )
    async def republish(key: MapKey, version: MapVersionNumber, caller: MapEditor) -> Any:
        command = RepublishMapVersion(key, version)
        view = await _or_invalid_map(handlers.republish(caller, command))
        return view if isinstance(view, JSONResponse) else MapVersionOut.of_view(view)

    return routes


# ----------------------------------------------------------------------------- tasks

TaskHolder = Annotated[Principal, Depends(require_roles(*TASK_HOLDERS))]
TaskId = Annotated[
    str,
    Path(min_length=1, max_length=64, description="The task's id.", examples=[TASK_EXAMPLE_ID]),
]


def tasks_router(handlers: TaskHandlers, queries: TaskQueries, clock: Clock) -> APIRouter:
    """Staff tasks and alerts, sorted by urgency, and their actions."""
    routes = APIRouter(prefix="/v1/tasks", tags=["tasks"])

    @routes.get(
        "",
        response_model=ItemsPage[TaskOut],
        responses=error_responses(401, 403, 404, 422),
        summary="Tasks by urgency: the most overdue first, then the highest priority",
        description=(
            "Associates get their own tasks, store managers their store's, HQ the brand's. "
            "An associate naming another assignee gets 404."
        ),
    )
    async def list_tasks(
        caller: TaskHolder,
        status: Annotated[TaskStatus, Query(description="Which tasks.")] = "open",
        assignee_id: Annotated[
            str | None,
            Query(
                min_length=1,
                max_length=64,
                examples=[ASSOCIATE_EXAMPLE],
                description="Only this assignee's.",
            ),
        ] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ItemsPage[TaskOut]:
        page = await queries.tasks(
            caller, status=status, assignee_id=assignee_id, limit=limit, cursor=cursor
        )
        now = clock.now()
        return ItemsPage.of(page, lambda task: TaskOut.of(task, now))

    @routes.get(
        "/{task_id}",
        response_model=TaskOut,
        responses=error_responses(401, 403, 404, 422),
        summary="One task",
    )
    async def get_task(task_id: TaskId, caller: TaskHolder) -> TaskOut:
        return TaskOut.of(await queries.task(caller, task_id), clock.now())

    @routes.post(
        "/{task_id}/sending",
        response_model=TaskOut,
        responses=error_responses(401, 403, 404, 409, 422),
        summary="Send the member what the task suggests (the task stays open)",
        description="Sending twice asks the notifier once: the touchpoint id is the task's.",
    )
    async def send(task_id: TaskId, caller: TaskHolder) -> TaskOut:
        task = await handlers.send_suggestion(caller, SendTaskSuggestion(task_id))
        return TaskOut.of(task, clock.now())

    @routes.post(
        "/{task_id}/completion",
        response_model=TaskOut,
        responses=error_responses(401, 403, 404, 409, 422),
        summary="Mark the task done, with its outcome",
    )
    async def complete(
        task_id: TaskId, body: Annotated[TaskDoneIn, Body()], caller: TaskHolder
    ) -> TaskOut:
        task = await handlers.complete(caller, CompleteTask(task_id, body.outcome))
        return TaskOut.of(task, clock.now())

    @routes.post(
        "/{task_id}/postponement",
        response_model=TaskOut,
        responses=error_responses(401, 403, 404, 409, 422),
        summary="Postpone the task to a later moment",
    )
    async def postpone(
        task_id: TaskId, body: Annotated[TaskPostponeIn, Body()], caller: TaskHolder
    ) -> TaskOut:
        task = await handlers.postpone(caller, PostponeTask(task_id, body.until))
        return TaskOut.of(task, clock.now())

    return routes


# ----------------------------------------------------------------------------- timeline


def timeline_router(queries: TimelineQueries) -> APIRouter:
    routes = APIRouter(prefix="/v1", tags=["journeys"])

    @routes.get(
        "/members/{member_id}/timeline",
        response_model=ItemsPage[TimelineEntryOut],
        responses=error_responses(401, 403, 404, 422),
        summary="A member's timeline, oldest first",
        description=(
            "Every stage change, trigger, touchpoint (sent, capped, held, skipped), task and "
            "goal, with its map, version, rule and reason. Scoped like her journey (404)."
        ),
    )
    async def timeline(
        member_id: MemberId, caller: Reader, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
    ) -> ItemsPage[TimelineEntryOut]:
        page = await queries.timeline(caller, member_id, limit=limit, cursor=cursor)
        return ItemsPage.of(page, TimelineEntryOut.of)

    return routes


# ----------------------------------------------------------------------------- figures

FigureReader = Annotated[Principal, Depends(require_roles(*FIGURE_READERS))]
FigureStore = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=64,
        examples=[STORE_EXAMPLE],
        description="Only this store (store staff always get their own).",
    ),
]
FigureAssociate = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=64,
        examples=[ASSOCIATE_EXAMPLE],
        description="Only this associate's members (an associate always gets her own).",
    ),
]
Since = Annotated[
    date | None,
    Query(
        description="First day (UTC); 29 days before `until` if absent.", examples=["2026-03-01"]
    ),
]
Until = Annotated[
    date | None,
    Query(description="Last day (UTC), included; today if absent.", examples=["2026-03-30"]),
]
FIGURE_ERRORS = error_responses(401, 403, 404, 422)


def figures_router(queries: FigureQueries) -> APIRouter:
    routes = APIRouter(prefix="/v1/figures", tags=["figures"])

    @routes.get(
        "/stages",
        response_model=StageFiguresOut,
        responses=FIGURE_ERRORS,
        summary="Members standing on each stage of each map now",
    )
    async def stages(
        caller: FigureReader, store_id: FigureStore = None, associate_id: FigureAssociate = None
    ) -> StageFiguresOut:
        return StageFiguresOut.of_figures(await queries.stages(caller, store_id, associate_id))

    @routes.get(
        "/transitions",
        response_model=TransitionFiguresOut,
        responses=FIGURE_ERRORS,
        summary="Stage-to-stage moves over a range of days (a funnel)",
    )
    async def transitions(
        caller: FigureReader,
        store_id: FigureStore = None,
        associate_id: FigureAssociate = None,
        since: Since = None,
        until: Until = None,
    ) -> TransitionFiguresOut:
        figures = await queries.transitions(caller, store_id, associate_id, since, until)
        return TransitionFiguresOut.of_figures(figures)

    @routes.get(
        "/stages-over-time",
        response_model=StagesOverTimeOut,
        responses=FIGURE_ERRORS,
        summary="Members per stage at the end of each day of a range",
    )
    async def stages_over_time(
        caller: FigureReader,
        store_id: FigureStore = None,
        associate_id: FigureAssociate = None,
        since: Since = None,
        until: Until = None,
    ) -> StagesOverTimeOut:
        figures = await queries.stages_over_time(caller, store_id, associate_id, since, until)
        return StagesOverTimeOut.of_figures(figures)

    @routes.get(
        "/goals",
        response_model=GoalFiguresOut,
        responses=FIGURE_ERRORS,
        summary="Goal conversion per map and trigger, for goals opened in the range",
    )
    async def goals(
        caller: FigureReader,
        store_id: FigureStore = None,
        associate_id: FigureAssociate = None,
        since: Since = None,
        until: Until = None,
    ) -> GoalFiguresOut:
        figures = await queries.goals(caller, store_id, associate_id, since, until)
        return GoalFiguresOut.of_figures(figures)

    @routes.get(
        "/win-back",
        response_model=WinBackFiguresOut,
        responses=FIGURE_ERRORS,
        summary="Members who became dormant in the range, and how many came back",
    )
    async def win_back(
        caller: FigureReader,
        store_id: FigureStore = None,
        associate_id: FigureAssociate = None,
        since: Since = None,
        until: Until = None,
    ) -> WinBackFiguresOut:
        figures = await queries.win_backs(caller, store_id, associate_id, since, until)
        return WinBackFiguresOut.of_figures(figures)

    @routes.get(
        "/tasks",
        response_model=TaskFiguresOut,
        responses=FIGURE_ERRORS,
        summary="Open and overdue tasks per assignee",
    )
    async def tasks(
        caller: FigureReader, store_id: FigureStore = None, associate_id: FigureAssociate = None
    ) -> TaskFiguresOut:
        return TaskFiguresOut.of_figures(await queries.tasks(caller, store_id, associate_id))

    return routes
