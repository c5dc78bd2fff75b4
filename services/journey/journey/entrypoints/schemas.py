"""The HTTP API's response models and the examples ``/docs`` shows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from rapport_events.contracts.journey import Stage
from rapport_platform.errors import ErrorDetail

from journey.application.figures import Figures
from journey.application.maps import MapSummary, MapView, VersionSummary, VersionView
from journey.application.ports import (
    AssigneeTasks,
    GoalConversion,
    JourneyView,
    StageCount,
    StageDay,
    Task,
    TaskAudience,
    TaskPriority,
    TaskStatus,
    TimelineLine,
    TouchpointRecord,
    TouchpointStatus,
    Transition,
    WinBack,
)
from journey.application.queries import StageCounts
from journey.domain.journey import StageChange

MEMBER_EXAMPLE = "mbr_6f2c1a9e4b7d4e0f8a3b5c7d9e1f2a4b"
STORE_EXAMPLE = "sto_3b9d7f1e5a2c4e6b8d0f1a3c5e7b9d2f"
ASSOCIATE_EXAMPLE = "stf_8e4a2c6b0d1f4a3e9c7b5d2f1e0a6c8b"
TOUCHPOINT_EXAMPLE = "tpt_5b1f0e0c8f9a4c55a7e1d7c3b2a19f60"

JOURNEY_EXAMPLE: dict[str, Any] = {
    "member_id": MEMBER_EXAMPLE,
    "store_id": STORE_EXAMPLE,
    "associate_id": ASSOCIATE_EXAMPLE,
    "stage": "dormant",
    "visit_count": 2,
    "first_visit_at": "2026-03-01T10:30:00Z",
    "last_visit_at": "2026-03-04T15:00:00Z",
    "dormant_after": None,
    "stage_history": [
        {
            "from_stage": None,
            "to_stage": "new",
            "reason": "registered",
            "changed_at": "2026-03-01T10:00:00Z",
        },
        {
            "from_stage": "new",
            "to_stage": "potential",
            "reason": "second visit",
            "changed_at": "2026-03-04T15:00:00Z",
        },
        {
            "from_stage": "potential",
            "to_stage": "dormant",
            "reason": "no visit for 30 days",
            "changed_at": "2026-04-03T15:00:02Z",
        },
    ],
    "touchpoints": [
        {
            "touchpoint_id": TOUCHPOINT_EXAMPLE,
            "template": "welcome_back",
            "channel": "wechat",
            "status": "delivered",
            "reason": None,
            "requested_at": "2026-04-03T15:00:02Z",
            "resolved_at": "2026-04-03T15:00:03Z",
        }
    ],
}

STAGE_COUNTS_EXAMPLE: dict[str, Any] = {
    "store_id": None,
    "members": 196,
    "stages": {
        "new": 120,
        "potential": 48,
        "high_value": 0,
        "dormant": 21,
        "churn_risk": 0,
        "won_back": 7,
    },
}


class StageChangeOut(BaseModel):
    from_stage: Stage | None
    to_stage: Stage
    reason: str
    changed_at: datetime

    @classmethod
    def of(cls, change: StageChange) -> StageChangeOut:
        return cls(
            from_stage=change.from_stage,
            to_stage=change.to_stage,
            reason=change.reason,
            changed_at=change.at,
        )


class TouchpointOut(BaseModel):
    touchpoint_id: str
    template: str
    channel: str
    status: TouchpointStatus
    reason: str | None = Field(
        description="Why the delivery failed, or it was capped, held or skipped."
    )
    requested_at: datetime
    resolved_at: datetime | None

    @classmethod
    def of(cls, touchpoint: TouchpointRecord) -> TouchpointOut:
        return cls(
            touchpoint_id=touchpoint.touchpoint_id,
            template=touchpoint.template,
            channel=touchpoint.channel,
            status=touchpoint.status,
            reason=touchpoint.reason,
            requested_at=touchpoint.requested_at,
            resolved_at=touchpoint.resolved_at,
        )


class JourneyOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [JOURNEY_EXAMPLE]})

    member_id: str
    store_id: str | None
    associate_id: str | None
    stage: Stage | None = Field(description="None until a registration or a visit is known.")
    visit_count: int
    first_visit_at: datetime | None
    last_visit_at: datetime | None
    dormant_after: datetime | None = Field(
        description="When she turns dormant unless she visits before (the active timer)."
    )
    stage_history: list[StageChangeOut]
    touchpoints: list[TouchpointOut]

    @classmethod
    def of(cls, view: JourneyView) -> JourneyOut:
        journey = view.journey
        return cls(
            member_id=journey.member_id,
            store_id=journey.store_id,
            associate_id=journey.associate_id,
            stage=journey.stage,
            visit_count=journey.visit_count,
            first_visit_at=journey.first_visit_at,
            last_visit_at=journey.last_visit_at,
            dormant_after=view.dormant_after,
            stage_history=[StageChangeOut.of(change) for change in view.stage_history],
            touchpoints=[TouchpointOut.of(touchpoint) for touchpoint in view.touchpoints],
        )


class StageCountsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [STAGE_COUNTS_EXAMPLE]})

    store_id: str | None = Field(description="The store counted; None for the whole brand.")
    members: int = Field(description="Members on the map (the sum of the stages).")
    stages: dict[Stage, int] = Field(description="Every stage, with 0 where nobody stands.")

    @classmethod
    def of(cls, counts: StageCounts) -> StageCountsOut:
        return cls(store_id=counts.store_id, members=counts.members, stages=counts.stages)


# ----------------------------------------------------------------------------- maps

MAP_KEY_EXAMPLE = "lifecycle"
MAP_YAML_EXAMPLE = """map: lifecycle
title: Lifecycle
timezone: Asia/Shanghai
initial_stage: new
facts:
  days_since_last_visit: {}
stages:
  - key: new
    title: New
    priority: 10
  - key: dormant
    title: Dormant
    priority: 60
    entry:
      when: facts.days_since_last_visit >= 30
triggers:
  - key: quiet_for_30_days
    on: {inactivity: P30D}
  - key: welcome_back
    on: {stage_entered: dormant}
    touchpoint:
      to: member
      template: welcome_back
      category: marketing
      variables: {offer: 回归礼券}
    goal: {event: visit.completed, within: P30D}
"""
MAP_JSON_EXAMPLE: dict[str, Any] = {
    "map": "lifecycle",
    "title": "Lifecycle",
    "timezone": "Asia/Shanghai",
    "initial_stage": "new",
    "facts": {"days_since_last_visit": {}},
    "stages": [
        {"key": "new", "title": "New", "priority": 10},
        {
            "key": "dormant",
            "title": "Dormant",
            "priority": 60,
            "entry": {"when": "facts.days_since_last_visit >= 30"},
        },
    ],
    "triggers": [
        {"key": "quiet_for_30_days", "on": {"inactivity": "P30D"}},
        {
            "key": "welcome_back",
            "on": {"stage_entered": "dormant"},
            "touchpoint": {
                "to": "member",
                "template": "welcome_back",
                "category": "marketing",
                "variables": {"offer": "回归礼券"},
            },
            "goal": {"event": "visit.completed", "within": "P30D"},
        },
    ],
}
MAP_BODY = {
    "required": True,
    "description": (
        "The map document, as YAML (`application/yaml`) or JSON; its JSON Schema is "
        "`GET /v1/maps/schema.json` and `docs/journey-maps.md` explains every field."
    ),
    "content": {
        "application/yaml": {"schema": {"type": "string"}, "example": MAP_YAML_EXAMPLE},
        "application/json": {
            "schema": {"type": "object", "additionalProperties": True},
            "example": MAP_JSON_EXAMPLE,
        },
    },
}


class MapProblemOut(BaseModel):
    path: str = Field(
        description="Where in the document, `stages[2].entry.when`; empty for the whole.",
        examples=["stages[1].entry.when"],
    )
    message: str = Field(examples=["unknown fact days_since_visit"])


class InvalidMapDetail(ErrorDetail):
    errors: list[MapProblemOut] | None = Field(
        default=None, description="With `invalid_map`: every problem of the map at once."
    )


class InvalidMapResponse(BaseModel):
    """A refusal; an invalid map lists all its problems in ``error.errors``."""

    error: InvalidMapDetail


class MapVersionSummaryOut(BaseModel):
    version: int = Field(description="0 is the built-in default map.")
    title: str
    published_at: datetime | None = Field(description="None for the built-in version 0.")
    published_by: str
    republished_from: int | None = Field(
        description="The earlier version this one publishes again (a rollback)."
    )
    built_in: bool

    @classmethod
    def of(cls, summary: VersionSummary) -> MapVersionSummaryOut:
        return cls(
            version=summary.version,
            title=summary.title,
            published_at=summary.published_at,
            published_by=summary.published_by,
            republished_from=summary.republished_from,
            built_in=summary.built_in,
        )


MAP_SUMMARY_EXAMPLE: dict[str, Any] = {
    "key": "lifecycle",
    "title": "Lifecycle",
    "active_version": 2,
    "latest_version": 2,
    "draft_saved_at": "2026-03-01T09:00:00Z",
    "draft_saved_by": ASSOCIATE_EXAMPLE,
    "built_in": False,
}


class MapSummaryOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [MAP_SUMMARY_EXAMPLE]})

    key: str
    title: str
    active_version: int | None = Field(
        description="The version members are put on (0: the built-in default); null before any."
    )
    latest_version: int
    draft_saved_at: datetime | None
    draft_saved_by: str | None
    built_in: bool = Field(description="True when the brand runs the default map as it is.")

    @classmethod
    def of(cls, summary: MapSummary) -> MapSummaryOut:
        return cls(
            key=summary.key,
            title=summary.title,
            active_version=summary.active_version,
            latest_version=summary.latest_version,
            draft_saved_at=summary.draft_saved_at,
            draft_saved_by=summary.draft_saved_by,
            built_in=summary.built_in,
        )


class MapOut(MapSummaryOut):
    draft: dict[str, Any] | None = Field(description="The draft document; null if none.")
    versions: list[MapVersionSummaryOut] = Field(description="Oldest first.")

    @classmethod
    def of_view(cls, view: MapView) -> MapOut:
        return cls(
            **MapSummaryOut.of(view.summary).model_dump(),
            draft=dict(view.draft) if view.draft is not None else None,
            versions=[MapVersionSummaryOut.of(version) for version in view.versions],
        )


class MapVersionOut(MapVersionSummaryOut):
    key: str
    active: bool = Field(description="Whether members entering the map are put on it.")
    document: dict[str, Any]

    @classmethod
    def of_view(cls, view: VersionView) -> MapVersionOut:
        return cls(
            **MapVersionSummaryOut.of(view.summary).model_dump(),
            key=view.key,
            active=view.active,
            document=dict(view.document),
        )


class MapValidationOut(BaseModel):
    valid: bool = Field(description="Always true: an invalid map answers 422 invalid_map.")
    version: int = Field(description="The version it would be published as.")


# ----------------------------------------------------------------------------- tasks

TASK_EXAMPLE_ID = "tpt_9c2e4b1a7d3f4e6a8b0c2d4e6f8a0b1c"
TASK_EXAMPLE: dict[str, Any] = {
    "task_id": TASK_EXAMPLE_ID,
    "member_id": MEMBER_EXAMPLE,
    "store_id": STORE_EXAMPLE,
    "assignee_id": ASSOCIATE_EXAMPLE,
    "audience": "associate",
    "template": "deep_cleaning_due",
    "map_key": "lifecycle",
    "version": 2,
    "trigger": "deep_cleaning_due",
    "priority": "high",
    "status": "open",
    "due_at": "2026-09-01T10:00:00Z",
    "postponed_until": None,
    "due_by": "2026-09-01T10:00:00Z",
    "overdue": False,
    "outcome": None,
    "suggestion": {"template": "deep_cleaning_voucher", "category": "marketing"},
    "created_at": "2026-08-31T10:00:00Z",
    "closed_at": None,
}


class TaskOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [TASK_EXAMPLE]})

    task_id: str = Field(description="The staff touchpoint's id.")
    member_id: str
    store_id: str | None
    assignee_id: str
    audience: TaskAudience
    template: str
    map_key: str
    version: int
    trigger: str
    priority: TaskPriority
    status: TaskStatus
    due_at: datetime
    postponed_until: datetime | None
    due_by: datetime = Field(description="When it is due now: its postponement, if any.")
    overdue: bool
    outcome: str | None
    suggestion: dict[str, Any] | None = Field(description="What the send action sends her.")
    created_at: datetime
    closed_at: datetime | None

    @classmethod
    def of(cls, task: Task, now: datetime) -> TaskOut:
        return cls(
            task_id=task.task_id,
            member_id=task.member_id,
            store_id=task.store_id,
            assignee_id=task.assignee_id,
            audience=task.audience,
            template=task.template,
            map_key=task.map_key,
            version=task.version,
            trigger=task.trigger,
            priority=task.priority,
            status=task.status,
            due_at=task.due_at,
            postponed_until=task.postponed_until,
            due_by=task.due_by,
            overdue=task.status == "open" and task.due_by < now,
            outcome=task.outcome,
            suggestion=dict(task.suggestion) if task.suggestion is not None else None,
            created_at=task.created_at,
            closed_at=task.closed_at,
        )


class TaskDoneIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"outcome": "Called her; deep-cleaning booked."}]},
    )

    outcome: str = Field(min_length=1, max_length=500, description="What came of it, in words.")


class TaskPostponeIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"until": "2099-09-08T10:00:00Z"}]}
    )

    until: AwareDatetime = Field(description="When it is due again; must be in the future.")


# ----------------------------------------------------------------------------- timeline

TIMELINE_EXAMPLE: dict[str, Any] = {
    "at": "2026-04-03T15:00:02Z",
    "kind": "stage_changed",
    "map": "lifecycle",
    "version": 2,
    "rule": "dormant",
    "reason": "stages[3].entry.when held: facts.days_since_last_visit >= 30",
    "detail": {"from_stage": "potential", "to_stage": "dormant"},
}


class TimelineEntryOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [TIMELINE_EXAMPLE]})

    at: datetime
    kind: str = Field(
        description="stage_changed, trigger_fired, touchpoint_requested, touchpoint_skipped, "
        "touchpoint_capped, touchpoint_held, task_created, task_done, goal_reached, ..."
    )
    map: str | None = Field(description="The map's key; null for the old rulebook's lines.")
    version: int | None
    rule: str
    reason: str
    detail: dict[str, Any]

    @classmethod
    def of(cls, line: TimelineLine) -> TimelineEntryOut:
        return cls(
            at=line.at,
            kind=line.kind,
            map=line.map_key,
            version=line.version,
            rule=line.rule,
            reason=line.reason,
            detail=dict(line.detail),
        )


# ----------------------------------------------------------------------------- figures


class FigureScopeOut(BaseModel):
    store_id: str | None = Field(description="The store counted; null for the whole brand.")
    associate_id: str | None
    since: date | None = Field(description="First day counted (UTC), for ranged figures.")
    until: date | None = Field(description="Last day counted (UTC), included.")

    @classmethod
    def of(cls, figures: Figures[Any]) -> FigureScopeOut:
        days = figures.range
        return cls(
            store_id=figures.scope.store_id,
            associate_id=figures.scope.associate_id,
            since=days.since if days else None,
            until=days.until if days else None,
        )


class StageFigureOut(BaseModel):
    map: str
    stage: str
    members: int


class StageFiguresOut(FigureScopeOut):
    stages: list[StageFigureOut]

    @classmethod
    def of_figures(cls, figures: Figures[StageCount]) -> StageFiguresOut:
        return cls(
            **FigureScopeOut.of(figures).model_dump(),
            stages=[
                StageFigureOut(map=r.map_key, stage=r.stage, members=r.members)
                for r in figures.rows
            ],
        )


class TransitionOut(BaseModel):
    map: str
    from_stage: str | None = Field(description="Null for her entry on the map.")
    to_stage: str
    members: int
    moves: int


class TransitionFiguresOut(FigureScopeOut):
    transitions: list[TransitionOut]

    @classmethod
    def of_figures(cls, figures: Figures[Transition]) -> TransitionFiguresOut:
        return cls(
            **FigureScopeOut.of(figures).model_dump(),
            transitions=[
                TransitionOut(
                    map=r.map_key,
                    from_stage=r.from_stage,
                    to_stage=r.to_stage,
                    members=r.members,
                    moves=r.moves,
                )
                for r in figures.rows
            ],
        )


class StageDayOut(BaseModel):
    day: date = Field(description="The day (UTC) at whose end they stood there.")
    map: str
    stage: str
    members: int


class StagesOverTimeOut(FigureScopeOut):
    days: list[StageDayOut] = Field(
        description="Day by day; stages where nobody stood are left out."
    )

    @classmethod
    def of_figures(cls, figures: Figures[StageDay]) -> StagesOverTimeOut:
        return cls(
            **FigureScopeOut.of(figures).model_dump(),
            days=[
                StageDayOut(day=r.day, map=r.map_key, stage=r.stage, members=r.members)
                for r in figures.rows
            ],
        )


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


class GoalFigureOut(BaseModel):
    map: str
    trigger: str
    opened: int
    reached: int
    rate: float | None = Field(description="reached / opened; null when none opened.")


class GoalFiguresOut(FigureScopeOut):
    goals: list[GoalFigureOut]

    @classmethod
    def of_figures(cls, figures: Figures[GoalConversion]) -> GoalFiguresOut:
        return cls(
            **FigureScopeOut.of(figures).model_dump(),
            goals=[
                GoalFigureOut(
                    map=r.map_key,
                    trigger=r.trigger,
                    opened=r.opened,
                    reached=r.reached,
                    rate=_rate(r.reached, r.opened),
                )
                for r in figures.rows
            ],
        )


class WinBackFigureOut(BaseModel):
    map: str
    became_dormant: int
    returned: int = Field(description="Of those, how many were won back or visited later.")
    rate: float | None


class WinBackFiguresOut(FigureScopeOut):
    win_back: list[WinBackFigureOut]

    @classmethod
    def of_figures(cls, figures: Figures[WinBack]) -> WinBackFiguresOut:
        return cls(
            **FigureScopeOut.of(figures).model_dump(),
            win_back=[
                WinBackFigureOut(
                    map=r.map_key,
                    became_dormant=r.became_dormant,
                    returned=r.returned,
                    rate=_rate(r.returned, r.became_dormant),
                )
                for r in figures.rows
            ],
        )


class AssigneeTasksOut(BaseModel):
    assignee_id: str
    open: int
    overdue: int


class TaskFiguresOut(FigureScopeOut):
    assignees: list[AssigneeTasksOut]

    @classmethod
    def of_figures(cls, figures: Figures[AssigneeTasks]) -> TaskFiguresOut:
        return cls(
            **FigureScopeOut.of(figures).model_dump(),
            assignees=[
                AssigneeTasksOut(assignee_id=r.assignee_id, open=r.open, overdue=r.overdue)
                for r in figures.rows
            ],
        )
