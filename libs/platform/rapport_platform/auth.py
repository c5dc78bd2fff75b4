"""Who is calling: bearer tokens, principals, roles and brand/store scoping.

Tokens are HS256 JWTs signed with the shared ``RAPPORT_AUTH_SECRET``. Their lifetime is
measured on the wall clock, never on a service's adjustable business clock: moving a demo
forward by a month must not log everybody out.

Mint a development token::

    uv run python -m rapport_platform.auth mint --role hq --brand b-1 --subject alice
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Self

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, model_validator
from rapport_events.clock import Clock, SystemClock

from rapport_platform.errors import Forbidden, Rejected, Unauthenticated
from rapport_platform.refusals import OutOfScope
from rapport_platform.settings import DEV_AUTH_SECRET

ISSUER = "rapport"
ALGORITHM = "HS256"
DEFAULT_TTL = timedelta(hours=12)
CLOCK_SKEW = timedelta(seconds=30)
REQUIRED_CLAIMS = ("sub", "role", "iat", "exp", "iss")
HOW_TO_GET_A_TOKEN = (
    "send 'Authorization: Bearer <token>'; a development token can be minted with "
    "`python -m rapport_platform.auth mint --role hq --brand <brand> --subject <you>`"
)


class Role(StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    HQ = "hq"
    STORE_MANAGER = "store_manager"
    ASSOCIATE = "associate"
    INTEGRATION = "integration"


STORE_ROLES = frozenset({Role.STORE_MANAGER, Role.ASSOCIATE})


class Principal(BaseModel):
    """The authenticated caller.

    Every role but ``platform_admin`` belongs to one brand; store managers and associates
    also belong to one store.
    """

    model_config = ConfigDict(frozen=True)

    subject: str
    role: Role
    brand_id: str | None = None
    store_id: str | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _scoped_as_the_role_requires(self) -> Self:
        if self.role is not Role.PLATFORM_ADMIN and not self.brand_id:
            raise ValueError(f"a principal with role {self.role} needs a brand_id")
        if self.role in STORE_ROLES and not self.store_id:
            raise ValueError(f"a principal with role {self.role} needs a store_id")
        return self

    @property
    def is_platform_admin(self) -> bool:
        return self.role is Role.PLATFORM_ADMIN

    def reaches_brand(self, brand_id: str) -> bool:
        return self.is_platform_admin or self.brand_id == brand_id

    def reaches_store(self, store_id: str | None) -> bool:
        """Brand-wide roles reach every store of their brand; store staff only their own."""
        return self.role not in STORE_ROLES or self.store_id == store_id

    def ensure_brand(self, brand_id: str, what: str, reference: str) -> None:
        """Refuse, as if it did not exist, a resource of a brand other than the caller's."""
        if not self.reaches_brand(brand_id):
            raise OutOfScope(what, reference)

    def ensure_store(self, store_id: str | None, what: str, reference: str) -> None:
        """Refuse, as if it did not exist, another store's resource to store staff.

        Brand-wide roles pass; check the brand with :meth:`ensure_brand` as well.
        """
        if not self.reaches_store(store_id):
            raise OutOfScope(what, reference)

    def require_brand(self, explicit: str | None = None) -> str:
        """The brand a request acts on.

        A platform administrator has no brand of her own and must name one; everyone else
        acts on their own brand, and another brand does not exist for them.
        """
        if self.is_platform_admin:
            if not explicit:
                raise Rejected(
                    "a platform administrator must name the brand to act on",
                    fields={"query.brand_id": "required for role platform_admin"},
                )
            return explicit
        assert self.brand_id is not None  # guaranteed by the model validator
        if explicit and explicit != self.brand_id:
            raise OutOfScope("brand", explicit)
        return self.brand_id


class AuthenticationError(Exception):
    """A token that cannot be trusted; ``reason`` says exactly why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def mint_token(
    secret: str,
    principal: Principal,
    ttl: timedelta = DEFAULT_TTL,
    *,
    now: datetime,
) -> str:
    issued = int(now.timestamp())
    claims: dict[str, Any] = {
        "sub": principal.subject,
        "role": principal.role.value,
        "brand": principal.brand_id,
        "store": principal.store_id,
        "iat": issued,
        "exp": issued + int(ttl.total_seconds()),
        "iss": ISSUER,
    }
    if principal.name is not None:
        claims["name"] = principal.name
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(secret: str, token: str, now: datetime) -> Principal:
    try:
        # Time claims are checked below against the injected instant, not pyjwt's clock.
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "require": list(REQUIRED_CLAIMS),
            },
        )
    except jwt.MissingRequiredClaimError as error:
        raise AuthenticationError(f"the token has no {error.claim!r} claim") from error
    except jwt.InvalidSignatureError as error:
        raise AuthenticationError("the token's signature does not match") from error
    except jwt.InvalidIssuerError as error:
        raise AuthenticationError(f"the token was not issued by {ISSUER!r}") from error
    except jwt.InvalidAlgorithmError as error:
        raise AuthenticationError(f"the token must be signed with {ALGORITHM}") from error
    except jwt.InvalidTokenError as error:
        raise AuthenticationError(f"the token is malformed: {error}") from error
    return _principal_from(claims, now)


def _principal_from(claims: dict[str, Any], now: datetime) -> Principal:
    expires, issued = claims["exp"], claims["iat"]
    if not isinstance(expires, int | float) or not isinstance(issued, int | float):
        raise AuthenticationError("the token is malformed: 'exp' and 'iat' must be numbers")
    instant = now.timestamp()
    if instant >= expires:
        expired_at = datetime.fromtimestamp(expires, UTC).isoformat()
        raise AuthenticationError(f"the token expired at {expired_at}")
    if issued > instant + CLOCK_SKEW.total_seconds():
        raise AuthenticationError("the token is issued in the future")
    try:
        role = Role(claims["role"])
    except ValueError as error:
        raise AuthenticationError(f"the token names an unknown role {claims['role']!r}") from error
    try:
        return Principal(
            subject=str(claims["sub"]),
            role=role,
            brand_id=claims.get("brand"),
            store_id=claims.get("store"),
            name=claims.get("name"),
        )
    except ValueError as error:
        raise AuthenticationError(f"the token is malformed: {_first_error(error)}") from error


def _first_error(error: ValueError) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        details = errors()
        if details:
            return str(details[0].get("msg", error)).removeprefix("Value error, ")
    return str(error)


_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearerAuth",
    description="A JWT: `python -m rapport_platform.auth mint --help` makes one for development.",
)


def _auth_clock(request: Request) -> Clock:
    clock: Clock | None = getattr(request.app.state, "auth_clock", None)
    return clock if clock is not None else SystemClock()


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller named by the bearer token; 401 when it is missing or invalid."""
    if credentials is None:
        raise Unauthenticated(f"authentication required: {HOW_TO_GET_A_TOKEN}")
    secret: str | None = getattr(request.app.state, "auth_secret", None)
    if secret is None:
        raise RuntimeError("app.state.auth_secret is not set")
    try:
        principal = verify_token(secret, credentials.credentials, now=_auth_clock(request).now())
    except AuthenticationError as error:
        raise Unauthenticated(f"invalid bearer token: {error.reason}") from error
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
"""Annotate an endpoint parameter with this to receive the authenticated caller."""


def require_roles(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting only callers with one of ``roles`` (403 otherwise)."""
    if not roles:
        raise ValueError("require_roles needs at least one role")
    allowed = ", ".join(role.value for role in roles)

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise Forbidden(
                f"this action is allowed to roles {allowed}; your role is {principal.role}"
            )
        return principal

    return dependency


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rapport_platform.auth", description="Development tokens."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    mint = commands.add_parser("mint", help="print a signed bearer token")
    mint.add_argument("--role", required=True, choices=[role.value for role in Role])
    mint.add_argument("--subject", required=True)
    mint.add_argument("--brand")
    mint.add_argument("--store")
    mint.add_argument("--name")
    mint.add_argument("--ttl-hours", type=float, default=DEFAULT_TTL.total_seconds() / 3600)
    args = parser.parse_args(argv)
    try:
        principal = Principal(
            subject=args.subject,
            role=Role(args.role),
            brand_id=args.brand,
            store_id=args.store,
            name=args.name,
        )
    except ValueError as error:
        parser.error(_first_error(error))
    secret = os.environ.get("RAPPORT_AUTH_SECRET", DEV_AUTH_SECRET)
    token = mint_token(secret, principal, timedelta(hours=args.ttl_hours), now=SystemClock().now())
    sys.stdout.write(token + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
