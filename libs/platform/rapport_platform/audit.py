"""The audit trail: one row per HTTP request in ``audit_log``.

Requests only enqueue their entry; a background task writes entries in batches, so an
insert never delays a response, and a database outage costs audit rows (logged loudly)
rather than failed requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg
from rapport_events.clock import Clock, SystemClock

log = logging.getLogger(__name__)

_INSERT = """
INSERT INTO audit_log (at, request_id, correlation_id, subject, role, brand_id, method,
                       route, path, status, resource_ids, client_ip)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::text::jsonb, $12)
"""


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    request_id: str
    correlation_id: str | None
    method: str
    path: str
    status: int
    route: str | None = None
    subject: str | None = None
    role: str | None = None
    brand_id: str | None = None
    resource_ids: Mapping[str, str] = field(default_factory=dict)
    client_ip: str | None = None

    def as_row(self) -> tuple[object, ...]:
        return (
            self.at,
            self.request_id,
            self.correlation_id,
            self.subject,
            self.role,
            self.brand_id,
            self.method,
            self.route,
            self.path,
            self.status,
            json.dumps(dict(self.resource_ids)),
            self.client_ip,
        )


class AuditTrail:
    """Buffers audit entries and writes them in the background.

    ``pool`` is called when a batch is written, so the trail can be built before the
    service's pool exists.
    """

    def __init__(
        self,
        pool: Callable[[], asyncpg.Pool],
        *,
        clock: Clock | None = None,
        batch_size: int = 500,
        max_pending: int = 10_000,
        close_timeout: float = 5.0,
    ) -> None:
        self._pool = pool
        self.clock: Clock = clock or SystemClock()
        self._batch_size = batch_size
        self._close_timeout = close_timeout
        self._queue: asyncio.Queue[AuditEntry] = asyncio.Queue(maxsize=max_pending)
        self._task: asyncio.Task[None] | None = None
        self._dropped = 0

    def record(self, entry: AuditEntry) -> None:
        """Queue an entry; never waits. A full queue drops the entry and says so."""
        try:
            self._queue.put_nowait(entry)
        except asyncio.QueueFull:
            self._dropped += 1
            if self._dropped == 1 or self._dropped % 1000 == 0:
                log.error(
                    "audit queue full: %d entries dropped so far (is the database down?)",
                    self._dropped,
                )

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._drain(), name="audit-trail")

    async def close(self) -> None:
        """Write what is queued (within ``close_timeout``), then stop."""
        task, self._task = self._task, None
        if task is None:
            return
        try:
            await asyncio.wait_for(self._queue.join(), timeout=self._close_timeout)
        except TimeoutError:
            log.error("audit trail closed with %d entries unwritten", self._queue.qsize())
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def flush(self) -> None:
        """Wait until every entry queued so far is written or given up on."""
        await self._queue.join()

    async def _drain(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._batch_size and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._write(batch)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("could not write %d audit entries", len(batch))
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _write(self, batch: list[AuditEntry]) -> None:
        pool = self._pool()
        async with pool.acquire() as connection:
            await connection.executemany(_INSERT, [entry.as_row() for entry in batch])
