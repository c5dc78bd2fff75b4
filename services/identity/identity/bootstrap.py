"""Composition root of the identity service: the one place adapters are built."""

from __future__ import annotations

import secrets
from datetime import timedelta

from rapport_events.clock import Clock, SystemClock
from rapport_platform.pii import FieldCipher
from rapport_platform.service import Runtime, ServiceDefinition

from identity.adapters import MIGRATIONS
from identity.adapters.ingestion import KafkaIngestionProvisioner
from identity.adapters.passwords import ScryptPasswordHasher
from identity.adapters.postgres import PostgresIdentityUnitOfWork
from identity.adapters.tokens import JwtTokenIssuer
from identity.application.handlers import IdentityHandlers
from identity.application.queries import IdentityQueries
from identity.entrypoints.errors import ERRORS
from identity.entrypoints.http import router
from identity.settings import SERVICE_NAME, IdentitySettings

DESCRIPTION = (
    "Brands, stores, staff logins and members. Members are registered here, bound to "
    "the associate whose invite code they used, and announced on "
    "`rapport.identity.members`. Names and phones are encrypted at rest and masked "
    "for callers who do not serve the member."
)
OPENAPI_TAGS = [
    {"name": "brands", "description": "Brands (platform administrators)."},
    {"name": "auth", "description": "Staff login."},
    {"name": "stores", "description": "A brand's stores."},
    {"name": "staff", "description": "HQ, store managers and associates."},
    {"name": "members", "description": "Members, and their binding to associates."},
    {
        "name": "integrations",
        "description": "Credentials for outside systems that publish to the brand's topics.",
    },
]


def definition(
    settings: IdentitySettings | None = None, clock: Clock | None = None
) -> ServiceDefinition:
    settings = settings or IdentitySettings()
    runtime = Runtime(settings, clock)
    cipher = FieldCipher(settings.pii_key)

    def unit_of_work() -> PostgresIdentityUnitOfWork:
        # The pool exists once the service has started: reached when a request opens a unit.
        return PostgresIdentityUnitOfWork(
            runtime.pool, source=runtime.source, clock=runtime.clock, cipher=cipher
        )

    # Tokens are checked on the wall clock (rapport_platform.auth), so they are minted on it.
    tokens = JwtTokenIssuer(
        settings.auth_secret.get_secret_value(),
        SystemClock(),
        timedelta(hours=settings.token_ttl_hours),
    )
    handlers = IdentityHandlers(
        unit_of_work,
        runtime.clock,
        hasher=ScryptPasswordHasher(),
        random_below=secrets.randbelow,
        tokens=tokens,
        ingestion=KafkaIngestionProvisioner(
            settings.kafka_connection,
            partitions=settings.kafka_partitions,
            topic_prefix=settings.topic_prefix,
        ),
    )
    return ServiceDefinition(
        name=SERVICE_NAME,
        title="Rapport identity",
        description=DESCRIPTION,
        runtime=runtime,
        routers=[router(handlers, IdentityQueries(unit_of_work))],
        errors=ERRORS,
        migrations=MIGRATIONS,
        openapi_tags=OPENAPI_TAGS,
    )
