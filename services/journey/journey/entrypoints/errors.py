"""What each refusal of the journey service answers over HTTP.

Journey's rules refuse no event-driven change a request could make (they react to facts
already true elsewhere; the one event they refuse, :class:`~journey.domain.errors.
MemberOfAnotherBrand`, only ever reaches the consumer). What requests can be refused: a
journey, task, map or store outside the caller's scope (``application/access.py``),
answered like one that does not exist; a map that does not compile (422 ``invalid_map``,
every problem listed in ``error.errors``); acting on a closed task or publishing a map with
no draft (409). Roles that may not call a route get 403 from its role check, and malformed
parameters 422 from the platform.
"""

from __future__ import annotations

from rapport_platform.errors import Answer, ErrorTable, HttpError
from rapport_platform.refusals import OutOfScope

from journey.application.maps import AlreadyRunning, InvalidMap, NothingToPublish
from journey.application.tasks import NoSuggestion, TaskClosed

ERRORS = ErrorTable(
    {
        OutOfScope: Answer(404, "not_found"),
        InvalidMap: Answer(422, "invalid_map"),
        NothingToPublish: Answer(409, "no_draft"),
        AlreadyRunning: Answer(409, "already_running"),
        TaskClosed: Answer(409, "task_closed"),
        NoSuggestion: Answer(409, "no_suggestion"),
    }
)


class UnsupportedMediaType(HttpError):
    """A map sent as something other than YAML or JSON: decided by the HTTP layer alone."""

    http_status = 415
    default_code = "unsupported_media_type"
