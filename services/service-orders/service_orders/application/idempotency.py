"""Recognising a retried request by its ``Idempotency-Key``.

The first request with a key stores the key, a fingerprint of the request and the id of the
resource it acts on, in the same transaction as its effects; so either both are committed or
neither is. A later request with the key replays that resource when its fingerprint matches
and is refused otherwise.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

from rapport_events.clock import Clock

from service_orders.application.commands import Actor
from service_orders.application.errors import IdempotencyKeyReused
from service_orders.application.ports import IdempotencyKeys, IdempotencyRecord


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
    return str(value)


async def claim(
    keys: IdempotencyKeys,
    *,
    actor: Actor,
    key: str | None,
    operation: str,
    request: Mapping[str, object],
    resource_id: str,
    clock: Clock,
) -> str | None:
    """``None`` when the request must run (no key, or the key's first use); otherwise the id
    of the resource the original request produced, to be answered again."""
    if key is None:
        return None
    record = IdempotencyRecord(
        brand_id=actor.brand_id,
        key=key,
        operation=operation,
        fingerprint=fingerprint(operation, request),
        resource_id=resource_id,
        created_at=clock.now(),
    )
    existing = await keys.claim(record)
    if existing is None:
        return None
    if existing.operation != record.operation or existing.fingerprint != record.fingerprint:
        raise IdempotencyKeyReused()
    return existing.resource_id
