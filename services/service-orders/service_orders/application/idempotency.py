"""Recognising a retried request by its ``Idempotency-Key``.

The first request with a key stores the key, a fingerprint of the request and the id of the
resource it acts on, in the same transaction as its effects; so either both are committed or
neither is. A later request with the key replays that resource when its fingerprint matches
and is refused otherwise.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Generic, TypeVar

from rapport_events.clock import Clock

from service_orders.application.commands import Actor
from service_orders.application.errors import IdempotencyKeyReused
from service_orders.application.ports import (
    IdempotencyKeys,
    IdempotencyRecord,
    ServiceOrdersUnitOfWork,
)

T = TypeVar("T")


def fingerprint(operation: str, request: Mapping[str, object]) -> str:
    """A digest of the request, equal for requests that mean the same thing.

    ``268`` and ``268.00`` yuan, or one instant written in two time zones, are one request.
    """
    canonical = {name: _canonical(value) for name, value in request.items()}
    text = json.dumps(
        {"operation": operation, "request": canonical}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(value: object) -> object:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    return str(value)


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """The resource a command produced; ``replayed`` when an earlier request with the same
    ``Idempotency-Key`` produced it and this one changed nothing."""

    value: T
    replayed: bool = False


@dataclass(frozen=True)
class Request:
    """What a command asks, as its key remembers it: the operation, the resource it
    produces or changes, and the inputs that make two requests the same one."""

    operation: str
    resource_id: str
    inputs: Mapping[str, object]


async def once(
    uow: ServiceOrdersUnitOfWork,
    actor: Actor,
    key: str | None,
    request: Request,
    *,
    run: Callable[[], Awaitable[T]],
    replay: Callable[[str], Awaitable[T]],
) -> Outcome[T]:
    """Run the command, unless ``key`` was already used for it: then ``replay`` the
    resource the first request produced. In ``uow``, so that the key is kept exactly when
    the command's effects are."""
    original = await claim(uow.idempotency_keys, actor, key, request, uow.clock)
    if original is not None:
        return Outcome(await replay(original), replayed=True)
    return Outcome(await run())


async def claim(
    keys: IdempotencyKeys, actor: Actor, key: str | None, request: Request, clock: Clock
) -> str | None:
    """``None`` when the request must run (no key, or the key's first use); otherwise the id
    of the resource the original request produced, to be answered again."""
    if key is None:
        return None
    record = IdempotencyRecord(
        brand_id=actor.brand_id,
        key=key,
        operation=request.operation,
        fingerprint=fingerprint(request.operation, request.inputs),
        resource_id=request.resource_id,
        created_at=clock.now(),
    )
    existing = await keys.claim(record)
    if existing is None:
        return None
    if existing.operation != record.operation or existing.fingerprint != record.fingerprint:
        raise IdempotencyKeyReused()
    return existing.resource_id
