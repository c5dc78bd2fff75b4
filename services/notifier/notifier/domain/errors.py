"""Why the notifier's rules refuse something.

They are refusals (:class:`~rapport_platform.refusals.Refusal`); the HTTP answer each gets is
decided in ``entrypoints/errors.py``. Two families: :class:`InvalidTemplate` and
:class:`InvalidContactPolicy` refuse what HQ tries to save, naming the field;
:class:`DeliveryRefused` is why a touchpoint was not sent, and its message becomes the
``reason`` of the failed or capped delivery (it never reaches HTTP).
"""

from __future__ import annotations

from rapport_platform.refusals import InvalidInput, Refusal


class NotifierError(Refusal):
    """Something the notifier's rules do not accept; the message says what and why."""


class InvalidTemplate(InvalidInput, NotifierError):
    """A template that may not be saved; ``field`` is ``key``, ``channel`` or ``body``."""


class InvalidContactPolicy(InvalidInput, NotifierError):
    """A contact policy that may not be saved; ``field`` is its place in the policy
    (``quiet_hours.time_zone``, ``marketing_cap.limit``)."""


class NotPermitted(NotifierError):
    """The caller's role may never do this, whatever it is done to."""


class DeliveryRefused(NotifierError):
    @property
    def reason(self) -> str:
        return self.message


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
