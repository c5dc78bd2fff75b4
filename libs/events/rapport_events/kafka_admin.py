"""The two Kafka admin operations aiokafka lacks: SCRAM credentials and ACLs.

Both are ordinary Kafka protocol requests (AlterUserScramCredentials, KIP-554, and
CreateAcls), sent with aiokafka's own client and protocol types, so they work against any
cluster where the caller may ALTER the cluster (the platform's super user does). Brokers
forward them to the KRaft controller, which keeps users and ACLs in the cluster metadata.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from aiokafka.protocol.admin import CreateAclsRequest_v1
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    CompactArray,
    CompactBytes,
    CompactString,
    Int8,
    Int16,
    Int32,
    Schema,
    TaggedFields,
)

from rapport_events.kafka_security import KafkaConnection, SaslMechanism

# Kafka refuses fewer than 4096 iterations for SCRAM-SHA-256/512 and more than 16384.
SCRAM_ITERATIONS = 8192
_SCRAM = {"SCRAM-SHA-256": (1, "sha256"), "SCRAM-SHA-512": (2, "sha512")}


class KafkaAdminError(RuntimeError):
    """The cluster refused an admin request; the message carries its error name and text."""


class AclOperation(IntEnum):
    """Kafka's AclOperation codes, for the operations the platform grants."""

    READ = 3
    WRITE = 4
    DESCRIBE = 8


_TOPIC_RESOURCE = 2
_LITERAL_PATTERN = 3
_ALLOW = 3


@dataclass(frozen=True)
class TopicGrant:
    """Allows ``principal`` (``User:<name>``) ``operations`` on exactly one topic, any host."""

    principal: str
    topic: str
    operations: tuple[AclOperation, ...]


# --------------------------------------------------------------------------- SCRAM credentials

_NAME = CompactString("utf-8")


class _AlterUserScramCredentialsResponse(Response):  # type: ignore[misc]
    API_KEY = 51
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "results",
            CompactArray(
                ("user", _NAME),
                ("error_code", Int16),
                ("error_message", _NAME),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class _AlterUserScramCredentialsStruct(RequestStruct):  # type: ignore[misc]
    FLEXIBLE_VERSION = True
    API_KEY = 51
    API_VERSION = 0
    RESPONSE_TYPE = _AlterUserScramCredentialsResponse
    SCHEMA = Schema(
        ("deletions", CompactArray(("name", _NAME), ("mechanism", Int8), ("tags", TaggedFields))),
        (
            "upsertions",
            CompactArray(
                ("name", _NAME),
                ("mechanism", Int8),
                ("iterations", Int32),
                ("salt", CompactBytes),
                ("salted_password", CompactBytes),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class _UpsertScramCredential(Request[_AlterUserScramCredentialsStruct]):  # type: ignore[misc]
    API_KEY = 51

    def __init__(self, username: str, password: str, mechanism: SaslMechanism) -> None:
        self._upsertion = _salted(username, password, mechanism)

    def build(self, request_struct_class: Any) -> Any:
        return request_struct_class([], [self._upsertion], {})


def _salted(username: str, password: str, mechanism: SaslMechanism) -> tuple[Any, ...]:
    """The credential as the broker stores it: the password itself never leaves the caller."""
    code, digest = _SCRAM[mechanism]
    salt = secrets.token_bytes(32)
    salted = hashlib.pbkdf2_hmac(digest, password.encode(), salt, SCRAM_ITERATIONS)
    return (username, code, SCRAM_ITERATIONS, salt, salted, {})


async def upsert_scram_credential(
    connection: KafkaConnection, username: str, password: str, mechanism: SaslMechanism
) -> None:
    """Creates the SCRAM user, or gives an existing one this password."""
    response = await _send(connection, _UpsertScramCredential(username, password, mechanism))
    for _user, error_code, error_message, _tags in response.results:
        _raise_for(error_code, error_message, f"SCRAM credential for {username!r}")


# --------------------------------------------------------------------------- ACLs


class _CreateAcls(Request[CreateAclsRequest_v1]):  # type: ignore[misc]
    API_KEY = 30

    def __init__(self, grant: TopicGrant) -> None:
        self._creations = [
            (_TOPIC_RESOURCE, grant.topic, _LITERAL_PATTERN, grant.principal, "*", op, _ALLOW)
            for op in grant.operations
        ]

    def build(self, request_struct_class: Any) -> Any:
        return request_struct_class(self._creations)


async def grant_on_topic(connection: KafkaConnection, grant: TopicGrant) -> None:
    """Adds the ACLs (an ACL that exists already is left as it is)."""
    response = await _send(connection, _CreateAcls(grant))
    for error_code, error_message in response.creation_responses:
        _raise_for(error_code, error_message, f"ACL for {grant.principal} on {grant.topic!r}")


# --------------------------------------------------------------------------- plumbing


async def _send(connection: KafkaConnection, request: Any) -> Any:
    from aiokafka.client import AIOKafkaClient

    client = AIOKafkaClient(**connection.client_options(), client_id="rapport-admin")
    await client.bootstrap()
    try:
        return await client.send(client.get_random_node(), request)
    finally:
        await client.close()


def _raise_for(error_code: int, error_message: str | None, what: str) -> None:
    if error_code == 0:
        return
    from aiokafka.errors import for_code

    name = for_code(error_code).__name__
    raise KafkaAdminError(f"{what}: {name} ({error_code}): {error_message or 'no message'}")
