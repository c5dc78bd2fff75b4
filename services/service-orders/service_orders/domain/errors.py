"""Why the service-orders domain refuses a request.

Each refusal is a :class:`~rapport_platform.refusals.Refusal`; what it answers over HTTP is
decided in ``entrypoints/errors.py`` only.
"""

from __future__ import annotations

from rapport_platform.refusals import InvalidInput, OutOfScope, Refusal


class InvalidField(InvalidInput):
    """One input is unacceptable; ``field`` names it as the caller sent it.

    The message already names the field ("amount must be ..."), so unlike
    :class:`InvalidInput` it is not prefixed with it a second time.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message)
        self.message = message
        self.args = (message,)


class AppointmentNotFound(OutOfScope):
    """No appointment with this id that the caller can reach (another brand's or store's
    appointment is reported the same way)."""

    def __init__(self, appointment_id: str) -> None:
        super().__init__("appointment", appointment_id)
        self.appointment_id = appointment_id


class PurchaseNotFound(OutOfScope):
    def __init__(self, purchase_id: str) -> None:
        super().__init__("purchase", purchase_id)
        self.purchase_id = purchase_id


class TransitionRefused(Refusal):
    """The appointment's current status does not allow the requested change."""


class VisitNotFound(OutOfScope):
    """No visit with this id that the caller can reach (as :class:`AppointmentNotFound`)."""

    def __init__(self, visit_id: str) -> None:
        super().__init__("visit", visit_id)
        self.visit_id = visit_id


class ReviewNotFound(OutOfScope):
    def __init__(self, review_id: str) -> None:
        super().__init__("review", review_id)
        self.review_id = review_id


class AlreadyReviewed(Refusal):
    """A visit is reviewed once; a second review of it is refused."""

    def __init__(self, visit_id: str) -> None:
        super().__init__(f"visit {visit_id} has already been reviewed")
        self.visit_id = visit_id
