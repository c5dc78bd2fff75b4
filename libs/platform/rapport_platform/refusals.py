"""Why a rule refuses a request: the errors domain and application code raise.

They carry a message and the inputs at fault, never a transport status: each service's
``entrypoints/errors.py`` says, in one table, what HTTP answer each refusal gets
(:class:`rapport_platform.errors.ErrorTable`). This module is pure, so ``domain/`` may
import it.

``fields`` name inputs as the rules know them (``phone``, ``cursor``); the HTTP layer adds
where the input was (``body.phone``, ``query.cursor``) from the route that was called.
"""

from __future__ import annotations

from collections.abc import Mapping


class Refusal(Exception):
    """A request the rules do not accept; ``message`` says what and why."""

    def __init__(self, message: str, *, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})


class InvalidInput(Refusal):
    """One input breaks a rule; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", fields={field: message})
        self.field = field


class OutOfScope(Refusal):
    """The caller cannot reach the resource: it belongs to another brand, store or
    associate, or does not exist at all. Answered like a missing resource everywhere, so
    that ids cannot be probed for existence."""

    def __init__(self, what: str, reference: str) -> None:
        super().__init__(f"{what} {reference} does not exist")
        self.what = what
        self.reference = reference


class InvalidCursor(InvalidInput):
    def __init__(self) -> None:
        super().__init__("cursor", "is not a cursor returned by this listing")
