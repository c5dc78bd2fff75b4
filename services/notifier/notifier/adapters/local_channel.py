"""A channel that sends nothing out: it records each message in the deliveries table.

It stands in for SMS, WeChat, app push and the staff task list, so the whole journey can run
and be inspected (``GET /v1/deliveries``) without a gateway. Its record is written in the
caller's unit of work, together with the result event.
"""

from __future__ import annotations

from notifier.application.ports import ChannelReceipt, DeliveryLog
from notifier.domain.deliveries import Delivery, Message


class LocalChannel:
    def __init__(self, deliveries: DeliveryLog) -> None:
        self._deliveries = deliveries

    async def send(self, message: Message) -> ChannelReceipt:
        await self._deliveries.record(Delivery.delivered(message))
        return ChannelReceipt(
            delivery_id=message.delivery_id,
            channel=message.channel,
            delivered_at=message.created_at,
        )
