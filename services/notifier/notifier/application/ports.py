"""What the application needs from the outside world, as Protocols."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from rapport_events.directory import Directory
from rapport_events.uow import UnitOfWorkPort

from notifier.domain.contact_policy import ContactPolicy
from notifier.domain.deliveries import Delivery, DeliveryStatus, Message
from notifier.domain.templates import ChannelName, Template

DeliveryKey = tuple[datetime, str]
"""Where a delivery stands in the newest-first listing: ``(created_at, delivery_id)``."""


@dataclass(frozen=True)
class ChannelReceipt:
    delivery_id: str
    channel: ChannelName
    delivered_at: datetime


class Channel(Protocol):
    async def send(self, message: Message) -> ChannelReceipt:
        """Hand ``message`` over, recording it in the current unit of work.

        Raise :class:`~notifier.domain.errors.DeliveryRefused` when the channel will not take
        it; the handler then records the failure.
        """
        ...


class TouchpointAlreadyRecorded(Exception):
    """A second record for one touchpoint; the unit of work that tried must roll back."""

    def __init__(self, touchpoint_id: str) -> None:
        super().__init__(f"touchpoint {touchpoint_id} already has a delivery")
        self.touchpoint_id = touchpoint_id


@dataclass(frozen=True)
class DeliveryFilter:
    """Which deliveries a listing shows: those of the brand matching every given field."""

    brand_id: str
    member_id: str | None = None
    template: str | None = None
    status: DeliveryStatus | None = None
    channel: ChannelName | None = None
    recipient_id: str | None = None


class DeliveryLog(Protocol):
    """The deliveries table: one row per touchpoint, sent or refused."""

    async def hold_member(self, brand_id: str, member_id: str) -> None:
        """Make any other unit of work holding the same member wait until this one ends.

        Deliveries about one member are decided one at a time, so a touchpoint two consumers
        race for is sent once and the marketing cap counts every push.
        """
        ...

    async def try_hold_member(self, brand_id: str, member_id: str) -> bool:
        """:meth:`hold_member` if no other unit of work holds her now; False, without
        waiting, if one does (the release worker then leaves her message for its next round,
        instead of waiting on a consumer while it holds other rows)."""
        ...

    async def due_held(self, now: datetime, count: int) -> list[Delivery]:
        """Up to ``count`` held deliveries whose quiet hours ended by ``now``, earliest first
        (then in the order they were held), each locked for this unit of work; rows another
        unit of work has locked are skipped, so two release workers never take the same one."""
        ...

    async def exists(self, touchpoint_id: str) -> bool: ...

    async def marketing_sent_since(
        self, brand_id: str, member_id: str, since: datetime
    ) -> list[datetime]:
        """When each marketing message (not task) delivered to the member after ``since``
        was sent; held, capped and failed ones were not sent."""
        ...

    async def record(self, delivery: Delivery) -> None:
        """Store ``delivery``; it reads back without the touchpoint's variables (the text is
        kept) and with the channel the message went out on as the touchpoint's.

        A held record is the one record a later one of its touchpoint replaces (its release:
        delivered, capped, failed or held again). Raises :class:`TouchpointAlreadyRecorded`
        when its touchpoint has any other record already.
        """
        ...

    async def page(
        self, where: DeliveryFilter, after: DeliveryKey | None, count: int
    ) -> list[Delivery]:
        """Up to ``count`` deliveries matching ``where``, newest first (ties by id, descending),
        from the first one after ``after``."""
        ...


@dataclass(frozen=True)
class StoredTemplate:
    template: Template
    updated_at: datetime
    updated_by: str


class TemplateStore(Protocol):
    """The templates a brand has saved over the defaults."""

    async def get(self, brand_id: str, key: str) -> StoredTemplate | None: ...

    async def save(self, brand_id: str, stored: StoredTemplate) -> None:
        """Store the brand's version of ``stored.template.key``, replacing any earlier one."""
        ...

    async def page(self, brand_id: str, after_key: str | None, count: int) -> list[StoredTemplate]:
        """Up to ``count`` of the brand's templates by key (compared as code points), from
        the first key after ``after_key``."""
        ...


@dataclass(frozen=True)
class StoredContactPolicy:
    policy: ContactPolicy
    updated_at: datetime
    updated_by: str


class ContactPolicyStore(Protocol):
    """The contact policy each brand saved over the default."""

    async def get(self, brand_id: str) -> StoredContactPolicy | None: ...

    async def save(self, brand_id: str, stored: StoredContactPolicy) -> None:
        """Store the brand's policy, replacing any earlier one."""
        ...


class NotifierUnitOfWork(UnitOfWorkPort, Protocol):
    """One transaction over deliveries, templates, contact policies, the channel's record,
    the replica of identity's directory and the outbox."""

    deliveries: DeliveryLog
    templates: TemplateStore
    contact_policies: ContactPolicyStore
    channel: Channel
    directory: Directory
