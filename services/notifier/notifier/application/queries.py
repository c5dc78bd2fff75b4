"""Read side: the deliveries the local channel recorded, the templates a brand uses and the
contact policy it is under."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from rapport_platform.auth import Principal
from rapport_platform.pagination import DEFAULT_LIMIT, Page, checked_limit, decode_cursor, page_of

from notifier.application.access import acting_brand, visible_deliveries
from notifier.application.contact_policy import EffectiveContactPolicy
from notifier.application.ports import DeliveryKey, NotifierUnitOfWork
from notifier.application.templates import EffectiveTemplate, effective_templates
from notifier.domain.deliveries import Delivery, DeliveryStatus


@dataclass(frozen=True)
class DeliverySearch:
    """The filters a caller gives; ``brand_id`` is named by a platform administrator only."""

    brand_id: str | None = None
    member_id: str | None = None
    template: str | None = None
    status: DeliveryStatus | None = None


class NotifierQueries:
    def __init__(self, unit_of_work: Callable[[], NotifierUnitOfWork]) -> None:
        self._unit_of_work = unit_of_work

    async def deliveries(
        self,
        caller: Principal,
        search: DeliverySearch,
        *,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[Delivery]:
        """The deliveries the caller may see, newest first; the cursor is the last one's
        ``(created_at, delivery_id)``."""
        checked_limit(limit)
        after = delivery_after(cursor)
        where = replace(
            visible_deliveries(caller, search.brand_id),
            member_id=search.member_id,
            template=search.template,
            status=search.status,
        )
        async with self._unit_of_work() as uow:
            # One more than a page tells whether another page follows.
            found = await uow.deliveries.page(where, after, limit + 1)
        return page_of(found, limit, key=delivery_key)

    async def templates(
        self,
        caller: Principal,
        brand_id: str | None = None,
        *,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[EffectiveTemplate]:
        """The templates in effect for the brand, by key; the cursor is the last key."""
        checked_limit(limit)
        after = key_after(cursor)
        brand = acting_brand(caller, brand_id)
        async with self._unit_of_work() as uow:
            found = await effective_templates(uow.templates, brand, after, limit + 1)
        return page_of(found, limit, key=lambda effective: (effective.template.key,))

    async def contact_policy(
        self, caller: Principal, brand_id: str | None = None
    ) -> EffectiveContactPolicy:
        """The policy the brand's touchpoints are decided under: its own, or the default."""
        brand = acting_brand(caller, brand_id)
        async with self._unit_of_work() as uow:
            stored = await uow.contact_policies.get(brand)
        return EffectiveContactPolicy.of(stored)


def delivery_key(delivery: Delivery) -> DeliveryKey:
    return (delivery.created_at, delivery.delivery_id)


def delivery_after(cursor: str | None) -> DeliveryKey | None:
    if cursor is None:
        return None
    created_at, delivery_id = decode_cursor(cursor, (datetime, str))
    assert isinstance(created_at, datetime) and isinstance(delivery_id, str)
    return (created_at, delivery_id)


def key_after(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    (key,) = decode_cursor(cursor, (str,))
    assert isinstance(key, str)
    return key
