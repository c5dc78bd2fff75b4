"""Request-scoped context shared between the HTTP side and the event plumbing.

The correlation id variable is the one :mod:`rapport_events` reads when it stamps
envelopes, so an id set by the HTTP middleware reaches every event the request emits.
"""

from __future__ import annotations

from rapport_events.tracing import correlation_id_var

__all__ = ["correlation_id_var"]
