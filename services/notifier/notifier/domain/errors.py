"""Domain errors of the notifier.

Two families: :class:`InvalidTemplate` refuses a template HQ tries to save (an HTTP 422
naming the field); :class:`DeliveryRefused` is why a touchpoint was not sent, and its
message becomes the ``reason`` of the failed delivery.
"""

from __future__ import annotations


class InvalidTemplate(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class DeliveryRefused(Exception):
    @property
    def reason(self) -> str:
        return str(self)


class UnknownTemplate(DeliveryRefused):
    pass


class MissingVariable(DeliveryRefused):
    pass


class TextTooLong(DeliveryRefused):
    pass


class ChannelMismatch(DeliveryRefused):
    pass


class MarketingCapReached(DeliveryRefused):
    pass
