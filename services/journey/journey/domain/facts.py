"""A member's facts, folded from the events journey consumed about her (pure).

INTERFACE FIRST (being implemented): the fold and the CEL view are filled in by the engine
work. Facts follow event time, not arrival order: a visit recorded late still counts, and
"latest" always means the latest by event time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from journey.domain.maps.model import Fact


@dataclass(frozen=True)
class MemberEvent:
    """One event about a member, as journey stores it for facts, rebuilds and dry runs.

    ``kind`` is a name from :data:`journey.domain.maps.model.EVENT_KINDS`; ``data`` holds the
    contract's fields as JSON values (amounts as strings of yuan, times as ISO 8601).
    """

    event_id: str
    member_id: str
    brand_id: str
    kind: str
    at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class MemberFacts:
    member_id: str
    brand_id: str

    def apply(self, event: MemberEvent) -> None:
        """Fold one event in (in any order)."""
        raise NotImplementedError

    def context(self, declared: Mapping[str, Fact], now: datetime) -> dict[str, Any]:
        """The ``facts`` variable of a condition: every declared fact, computed at ``now``."""
        raise NotImplementedError

    @property
    def birthday(self) -> date | None:
        raise NotImplementedError
