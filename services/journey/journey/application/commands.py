"""What journey is asked to do. It mostly reacts to events; its one command comes from the
timer worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

TIMER_BATCH: Final = 500


@dataclass(frozen=True)
class FireDueTimers:
    """Fire up to ``limit`` map timers due by ``now`` (and by the event-time watermark)."""

    now: datetime
    limit: int = TIMER_BATCH


@dataclass(frozen=True)
class SaveMapDraft:
    """Replace the draft of map ``key`` with ``text`` (YAML or JSON, per ``media_type``)."""

    key: str
    text: str
    media_type: str


@dataclass(frozen=True)
class ValidateMap:
    """Check ``text`` as the next version of map ``key`` would be checked; store nothing."""

    key: str
    text: str
    media_type: str


@dataclass(frozen=True)
class PublishMap:
    """Make the draft of map ``key`` its next, immutable, running version."""

    key: str


@dataclass(frozen=True)
class RepublishMapVersion:
    """Publish the document of an earlier ``version`` again, as the next version (a rollback)."""

    key: str
    version: int


@dataclass(frozen=True)
class SendTaskSuggestion:
    """Send the member what the task suggests (her voucher, a message); the task stays open."""

    task_id: str


@dataclass(frozen=True)
class CompleteTask:
    task_id: str
    outcome: str


@dataclass(frozen=True)
class PostponeTask:
    task_id: str
    until: datetime
