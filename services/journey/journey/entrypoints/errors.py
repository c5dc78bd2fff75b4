"""What each refusal of the journey service answers over HTTP.

Journey's rules refuse no request (they react to facts already true elsewhere; the one event
they refuse, :class:`~journey.domain.errors.MemberOfAnotherBrand`, only ever reaches the
consumer); what callers can be refused is a journey or a store outside their scope
(``application/access.py``), answered like one that does not exist. Roles that may not read
at all get 403 from the route's role check, and malformed parameters 422 from the platform.
"""

from __future__ import annotations

from rapport_platform.errors import Answer, ErrorTable
from rapport_platform.refusals import OutOfScope

ERRORS = ErrorTable({OutOfScope: Answer(404, "not_found")})
