"""Bearer tokens for staff who log in: the platform's JWTs, timed on the wall clock."""

from __future__ import annotations

from datetime import timedelta

from rapport_events.clock import Clock
from rapport_platform.auth import Principal, mint_token

from identity.application.ports import IssuedToken


class JwtTokenIssuer:
    """Tokens signed with the shared auth secret.

    ``clock`` must be the wall clock tokens are checked against (see
    :mod:`rapport_platform.auth`), not the service's adjustable business clock: moving a
    demo forward by a month must not hand out tokens that are already expired.
    """

    def __init__(self, secret: str, clock: Clock, ttl: timedelta) -> None:
        self._secret = secret
        self._clock = clock
        self._ttl = ttl

    def issue(self, principal: Principal) -> IssuedToken:
        token = mint_token(self._secret, principal, self._ttl, now=self._clock.now())
        return IssuedToken(access_token=token, expires_in=int(self._ttl.total_seconds()))
