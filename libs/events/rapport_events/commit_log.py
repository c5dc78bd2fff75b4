"""Reading an append-only table in commit order, skipping nothing.

A ``bigserial`` position is taken when a row is inserted but becomes visible when its
transaction commits, so "rows after the last position I saw" misses the rows of a slow
transaction that took a smaller position. Each row therefore records the id of its
transaction (``xid8``), and a reader only takes rows of transactions older than the oldest
transaction still running (``pg_snapshot_xmin``): those can no longer change. Rows are read in
(transaction id, position) order, and the reader remembers the last pair it consumed.

Caveat: a long-open transaction anywhere in the database holds the horizon back and delays
readers (never loses rows); restoring a dump into a new cluster restarts xid numbering, so the
checkpoints must be reset after such a restore.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import asyncpg

from rapport_events.envelope import EventEnvelope

_TABLES: Final = frozenset({"event_store", "outbox"})


@dataclass(frozen=True, order=True)
class Checkpoint:
    """The last (transaction id, position) a reader has consumed."""

    transaction_id: int = 0
    position: int = 0


START = Checkpoint()


@dataclass(frozen=True)
class CommittedRow:
    checkpoint: Checkpoint
    record: asyncpg.Record

    def envelope(self) -> EventEnvelope:
        return EventEnvelope.model_validate_json(self.record["envelope"])


async def fetch_committed(
    connection: Any,
    table: str,
    after: Checkpoint,
    limit: int,
    columns: str = "position, envelope::text AS envelope",
) -> list[CommittedRow]:
    """Rows of ``table`` committed after ``after``, in commit order, at most ``limit``."""
    if table not in _TABLES:
        raise ValueError(f"{table!r} is not a commit-ordered table")
    rows = await connection.fetch(
        f"""
        SELECT {columns}, transaction_id::text AS _xid
        FROM {table}
        WHERE (transaction_id, position) > ($1::text::xid8, $2)
          AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY transaction_id, position
        LIMIT $3
        """,
        str(after.transaction_id),
        after.position,
        limit,
    )
    return [CommittedRow(Checkpoint(int(row["_xid"]), row["position"]), row) for row in rows]
