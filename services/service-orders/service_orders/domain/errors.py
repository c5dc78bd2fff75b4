"""Why the service-orders domain refuses a request."""

from __future__ import annotations


class ServiceOrdersError(Exception):
    """A request the rules do not accept; ``message`` says what and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidField(ServiceOrdersError):
    """One input is unacceptable; ``field`` names it as the caller sent it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class AppointmentNotFound(ServiceOrdersError):
    def __init__(self, appointment_id: str) -> None:
        super().__init__(f"appointment {appointment_id} does not exist")
        self.appointment_id = appointment_id


class PurchaseNotFound(ServiceOrdersError):
    def __init__(self, purchase_id: str) -> None:
        super().__init__(f"purchase {purchase_id} does not exist")
        self.purchase_id = purchase_id


class TransitionRefused(ServiceOrdersError):
    """The appointment's current status does not allow the requested change."""
